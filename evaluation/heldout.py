"""Evaluate a trained artifact on the held-out split its training run defined."""

from __future__ import annotations

import pandas as pd


def evaluate_artifact(uri: str | None = None) -> pd.DataFrame:
    """Return per-mode held-out metrics of a model next to the baselines, recomputed from the data.

    Rebuilds the label set and the hash split exactly as training does, so the held-out
    prompts are the ones the model never saw.
    """
    import numpy as np

    from ava_model.api import load
    from ava_model.embedding import Embedder
    from ava_model.features import build_features
    from training.config import TrainConfig
    from training.data import load_training_data
    from training.dataset import build_label_matrix
    from training.splits import group_keys, holdout_mask, near_duplicate_groups
    from training.trainer import _predict_heldout, heldout_metrics

    predictor = load(uri)
    config = TrainConfig()
    rules = predictor.rules
    data = load_training_data(config.data_dir, config.authored_dir, config.sources, rules,
                              published_rates=False)  # rates are not needed to score prompts
    matrix = build_label_matrix(data.rows, predictor.model.modes)
    prompts = list(matrix.prompts)
    embedder = Embedder(predictor.model.embedder, cache_dir=config.cache_dir)
    embeddings = embedder.encode(prompts, show_progress=True)
    X = build_features(embeddings, prompts)
    groups = near_duplicate_groups(prompts, embeddings, config.near_duplicate_threshold)
    test = holdout_mask(group_keys(prompts, groups), config.test_fraction)
    heldout = _predict_heldout(predictor.model, X, matrix, np.nonzero(~test)[0], np.nonzero(test)[0])
    return heldout_metrics(heldout).sort_values(["mode", "predictor"])
