"""A 2-D map of the prompt embeddings: reference and current points, and the drift-driver clusters.

The projection is a PCA fitted on the pooled (subsampled) windows: linear, so distances along
the axes mean what they mean in the embedding, and deterministic. The clusters are those of
:func:`ava_evaluation.drift.drift_drivers` (same k-means, same subsample), placed at the mean
position of their members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ava_evaluation.drift import DriftConfig, cluster_members
from ava_model.errors import DriftInputError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class EmbeddingMap:
    """The projected points and clusters of one reference/current comparison.

    Attributes
    ----------
    points: one row per kept prompt: x, y, window ("reference" or "current"), cluster, row (in its window).
    centres: one row per cluster: cluster, x, y (mean of its members), n_reference, n_current,
        and terms (its characteristic words) when the map was given the prompts.
    explained: share of the embedding variance on each of the two axes.
    """

    points: pd.DataFrame
    centres: pd.DataFrame
    explained: tuple[float, float]


def cluster_terms(prompts: list[str], clusters: Any, top: int = 3) -> dict[int, list[str]]:
    """Return per cluster the ``top`` words most over-represented among its prompts.

    A word's score is the share of the cluster's prompts containing it minus its share over
    all prompts; English stop words, digits and words under 3 letters are left out.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    clusters = np.asarray(clusters)
    if len(prompts) != len(clusters):
        raise DriftInputError(f"got {len(prompts)} prompts for {len(clusters)} cluster labels.")
    vectorizer = CountVectorizer(stop_words="english", binary=True, token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    try:
        counts = vectorizer.fit_transform(prompts)
    except ValueError:  # no word left after the stop words
        return {int(c): [] for c in np.unique(clusters)}
    words, overall = vectorizer.get_feature_names_out(), np.asarray(counts.mean(0)).ravel()
    terms = {}
    for c in np.unique(clusters):
        lift = np.asarray(counts[clusters == c].mean(0)).ravel() - overall
        best = np.argsort(-lift, kind="stable")[:top]
        terms[int(c)] = [str(words[i]) for i in best if lift[i] > 0]
    return terms


def embedding_map(X_ref: Any, X_cur: Any, config: DriftConfig | None = None,
                  prompts: tuple[list[str], list[str]] | None = None) -> EmbeddingMap:
    """Return the PCA map of both windows with the drift-driver clusters of ``config`` (n_clusters, seed, max_samples).

    With ``prompts`` (reference prompts, current prompts, in the rows' order) each cluster also
    gets ``terms``, its most characteristic words (:func:`cluster_terms`).
    """
    import pandas as pd
    from sklearn.decomposition import PCA

    config = config or DriftConfig()
    fit = cluster_members(X_ref, X_cur, config)
    A = np.asarray(X_ref, dtype=np.float64)[fit["keep_reference"]]
    B = np.asarray(X_cur, dtype=np.float64)[fit["keep_current"]]
    pca = PCA(n_components=2, random_state=config.seed).fit(np.vstack([A, B]))
    xy = pca.transform(np.vstack([A, B]))
    points = pd.DataFrame({
        "x": xy[:, 0], "y": xy[:, 1],
        "window": ["reference"] * len(A) + ["current"] * len(B),
        "cluster": np.concatenate([fit["reference"], fit["current"]]),
        "row": np.concatenate([fit["keep_reference"], fit["keep_current"]]),
    })
    centres = points.groupby("cluster").agg(x=("x", "mean"), y=("y", "mean"),
                                            n_reference=("window", lambda w: int((w == "reference").sum())),
                                            n_current=("window", lambda w: int((w == "current").sum())))
    centres = centres.reset_index()
    if prompts is not None:
        kept = [prompts[0][i] for i in fit["keep_reference"]] + [prompts[1][i] for i in fit["keep_current"]]
        terms = cluster_terms(kept, points["cluster"])
        centres["terms"] = [terms[int(c)] for c in centres["cluster"]]
    explained = tuple(float(v) for v in pca.explained_variance_ratio_)
    return EmbeddingMap(points, centres, (explained[0], explained[1]))
