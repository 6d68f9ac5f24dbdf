"""The one data path of training, evaluation and leave-one-source-out: labels -> embeddings -> features -> split.

``prepare(config)`` reads every label source, builds the prompt x mode label matrix, embeds the
prompts (cached), builds the feature matrix and assigns each prompt to a near-duplicate group and
a side of the hash split. Everything that trains or scores a model on AVA's data starts here, so
the split a model was judged on can always be rebuilt.
"""

from __future__ import annotations

import logging

from dataclasses import dataclass

import numpy as np

from ava_model.rules.taxonomy import Rules, load_rules
from ava_training.config import TrainConfig
from ava_training.data import TrainingData, load_training_data
from ava_training.dataset import LabelMatrix, build_label_matrix

_log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Prepared:
    """The labelled prompts of a run, embedded, featurised and split.

    Attributes
    ----------
    data : TrainingData
        Label rows of every source and the published evidence.
    matrix : LabelMatrix
        One row per distinct prompt, one column per mode.
    embeddings : numpy.ndarray
        (n, d) sentence embeddings of ``matrix.prompts``.
    features : numpy.ndarray
        (n, d + structure + modes) model inputs; the last ``len(matrix.modes)`` columns are the exposures.
    groups : numpy.ndarray
        Near-duplicate group id of each prompt.
    test_mask : numpy.ndarray
        True for the held-out prompts (a stable hash of the group decides).
    embedder : str
        Name of the embedder that produced ``embeddings``.
    """

    data: TrainingData
    matrix: LabelMatrix
    embeddings: np.ndarray
    features: np.ndarray
    groups: np.ndarray
    test_mask: np.ndarray
    embedder: str

    @property
    def prompts(self) -> list[str]:
        """The distinct prompts, in row order."""
        return list(self.matrix.prompts)

    @property
    def topic_features(self) -> np.ndarray:
        """The features without the exposure and negation columns (what the topic heads read)."""
        return self.features[:, : -2 * len(self.matrix.modes)]

    @property
    def exposures(self) -> np.ndarray:
        """The (n, modes) exposure columns."""
        k = len(self.matrix.modes)
        return self.features[:, -2 * k : -k].astype(np.float64)

    @property
    def train_index(self) -> np.ndarray:
        """Row indices of the training side."""
        return np.nonzero(~self.test_mask)[0]

    @property
    def test_index(self) -> np.ndarray:
        """Row indices of the held-out side."""
        return np.nonzero(self.test_mask)[0]


def prepare(config: TrainConfig | None = None, rules: Rules | None = None, modes: tuple[str, ...] | None = None,
            show_progress: bool = True) -> Prepared:
    """Return the Prepared data of a configuration.

    Parameters
    ----------
    config : TrainConfig, optional
        Which sources, label store, ladders, embedder, cache and split to use (default: ``TrainConfig()``).
    rules : Rules, optional
        Taxonomy and label rules (default: the packaged rules).
    modes : tuple of str, optional
        Column order of the label matrix (default: the taxonomy's modes; a model's own order when scoring it).
    show_progress : bool
        Show the embedding progress bar and log (logger ``ava_training.prepare``) how the split came out.
    """
    from ava_model.core.embedding import Embedder
    from ava_model.core.features import embedded_inputs
    from ava_training.splits import group_keys, holdout_mask, near_duplicate_groups

    config = config or TrainConfig()
    rules = rules or load_rules()
    data = load_training_data(
        config.data_dir, config.authored_dir, config.sources, rules, config.extra_labels, config.published_rates,
        config.label_store, config.ladders_dir,
    )
    matrix = build_label_matrix(data.rows, modes or rules.mode_ids)
    prompts = list(matrix.prompts)
    embedder = Embedder(config.embedder, cache_dir=config.cache_dir)
    if show_progress:
        _log.info("Embedding %d prompts with %s (cached vectors are reused)...", len(prompts), embedder.name)
    embeddings, features = embedded_inputs(embedder, prompts, show_progress=show_progress,
                                           readings_cache=config.cache_dir)
    groups = near_duplicate_groups(prompts, embeddings, config.near_duplicate_threshold)
    test_mask = holdout_mask(group_keys(prompts, groups), config.test_fraction)
    if show_progress:
        _log.info("Split: %d training prompts, %d held out (%d groups).", int((~test_mask).sum()),
                  int(test_mask.sum()), len(np.unique(groups)))
    return Prepared(data, matrix, embeddings, features, groups, test_mask, embedder.name)
