"""Baselines trained on the same split as AVA: the base rate and TF-IDF + logistic regression."""

from __future__ import annotations

import numpy as np


def base_rate_predictions(y_train: np.ndarray, w_train: np.ndarray, n_test: int) -> np.ndarray:
    """Return the weighted training positive rate for every test row."""
    return np.full(n_test, float(np.average(y_train, weights=w_train)))


def tfidf_predictions(
    prompts_train: list[str], y_train: np.ndarray, w_train: np.ndarray, prompts_test: list[str]
) -> np.ndarray:
    """Return P(positive) from word 1-2 gram TF-IDF and logistic regression (uncalibrated)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    X_train = vectorizer.fit_transform(prompts_train)
    model = LogisticRegression(C=4.0, max_iter=2000).fit(X_train, y_train, sample_weight=w_train)
    return model.predict_proba(vectorizer.transform(prompts_test))[:, 1]
