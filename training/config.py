"""TrainConfig: every knob of a training run, in one dataclass the CLI fills from flags."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ava_training.paths import authored_dir, cache_dir, ladders_dir, shared_data_dir
from ava_model.errors import ConfigError

BENCHMARK_SOURCES = ("vbench2", "vbench", "t2v_compbench")


@dataclass
class TrainConfig:
    """Configuration of one training run.

    Attributes
    ----------
    data_dir: shared benchmark datasets (``AVA_DATA_DIR``).
    authored_dir: authored label files (``data/authored``).
    ladders_dir: authored exposure ladders (``data/ladders``); their train split is trained on (``None``: not used).
    extra_labels: further label files (CSV/JSONL outcome or prompt-level rows).
    label_store: the SQLite label store of user reports (``None``: not used).
    sources: benchmark suites to import.
    published_rates: use the published per-model rates as platform-factor evidence.
    out_dir: where the artifact, manifest and model card are written.
    cache_dir: embedding cache; it also keeps each prompt's reading (exposures, negations, structure features).
    embedder: embedder name (``None``: ``AVA_EMBEDDER`` or the offline default).
    test_fraction: share of prompt groups held out (decided by a stable hash).
    near_duplicate_threshold: cosine above which two prompts share a group.
    calibration: 'sigmoid' or 'isotonic'.
    head_candidates: (family, C) pairs tried per mode by group CV on the training split.
    svm_max_rows: a mode with more labelled training rows than this tries only its linear candidates: an exact RBF
        SVM costs time quadratic in the rows, logistic regression linear, so training time stays linear in the data.
    fixed_heads: per mode (family, C) to use without selection (incremental retraining reuses the champion's).
    cv_folds: group folds for head selection and calibration.
    seed: randomness of fold assignment.
    exposure_ranking_weight: weight of the exposure heads' ordering term over neighbouring train-ladder rungs
        (:class:`ava_model.core.hazard.ExposureHazard`); 0 fits them by likelihood alone.
    track: log the run to MLflow; register: register the model and gate the champion alias.
    model_name: registered model name.
    """

    data_dir: Path = field(default_factory=shared_data_dir)
    authored_dir: Path = field(default_factory=authored_dir)
    ladders_dir: Path | None = field(default_factory=ladders_dir)
    extra_labels: tuple[Path, ...] = ()
    label_store: Path | None = None
    sources: tuple[str, ...] = BENCHMARK_SOURCES
    published_rates: bool = True
    out_dir: Path | None = None
    cache_dir: Path = field(default_factory=lambda: cache_dir() / "embeddings")
    embedder: str | None = None
    test_fraction: float = 0.2
    near_duplicate_threshold: float = 0.9
    calibration: str = "sigmoid"
    head_candidates: tuple[tuple[str, float], ...] = (
        ("logreg", 0.02), ("logreg", 0.1), ("svm", 1.0), ("svm", 4.0),
    )
    fixed_heads: dict[str, tuple[str, float]] | None = None
    svm_max_rows: int = 20_000
    cv_folds: int = 5
    seed: int = 0
    exposure_ranking_weight: float = 0.0
    track: bool = True
    register: bool = True
    model_name: str = "ava"

    def __post_init__(self) -> None:
        if self.calibration not in ("sigmoid", "isotonic"):
            raise ConfigError(f"calibration must be 'sigmoid' or 'isotonic', got {self.calibration!r}.")
        if self.svm_max_rows < 1:
            raise ConfigError(f"svm_max_rows must be >= 1, got {self.svm_max_rows}.")
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in (0, 1), got {self.test_fraction}.")
        unknown = [s for s in self.sources if s not in BENCHMARK_SOURCES]
        if unknown:
            raise ConfigError(f"Unknown sources {unknown}; valid: {', '.join(BENCHMARK_SOURCES)}.")

    def to_params(self) -> dict[str, str]:
        """Return the configuration as flat strings (MLflow parameters)."""
        return {k: str(v) for k, v in asdict(self).items()}
