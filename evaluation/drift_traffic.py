"""The windows of a drift analysis: read traffic (score log, CSV, Parquet), score it, find its outcome labels.

``read_traffic`` reads and checks any file of prompts; ``score_traffic`` returns its risks and
lights (the logged ones when every row has them); ``training_prompts`` is the default reference
(the prompts the model was built on); ``outcome_rows`` joins outcome labels from the label store
to the scored traffic, the input of :mod:`ava_evaluation.performance_drift`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.errors import DriftInputError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

LOG_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def read_traffic(source: Any, name: str = "traffic") -> pd.DataFrame:
    """Return the rows of a score log (JSONL), a CSV or a Parquet file of prompts, or of a DataFrame, checked.

    Parameters
    ----------
    source:
        A path ending in one of ``LOG_SUFFIXES`` or ``TABLE_SUFFIXES``, or a DataFrame. It needs a
        ``prompt`` column; ``platform`` (default sora-2), ``timestamp`` and ``risks`` (dicts mode ->
        probability, as the score log writes them) are used when present.
    name:
        How errors name the source.

    Returns
    -------
    pandas.DataFrame
        The rows (:func:`ava_evaluation.drift.load_window`), ``timestamp`` parsed to UTC when present.
    """
    import pandas as pd

    from ava_evaluation.drift import load_window

    frame = source
    if isinstance(source, (str, Path)):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix not in LOG_SUFFIXES + TABLE_SUFFIXES:
            raise DriftInputError(f"{name}: cannot read {path.name}; valid suffixes: "
                                  f"{', '.join(LOG_SUFFIXES + TABLE_SUFFIXES)}.")
        if suffix in (".parquet", ".pq"):
            if not path.is_file():
                raise DriftInputError(f"{name}: no Parquet file at {path}.")
            frame = pd.read_parquet(path)
    frame = load_window(frame, name)
    if "timestamp" in frame.columns:
        stamps = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="mixed")
        bad = [i + 1 for i in range(len(frame)) if pd.isna(stamps.iloc[i])]
        if bad:
            raise DriftInputError(f"{name}: timestamps must be ISO 8601 dates or times; rows {bad[:10]} are not.")
        frame = frame.assign(timestamp=stamps)
    return frame


def score_traffic(frame: pd.DataFrame, predictor: Any) -> tuple[pd.DataFrame, list[str]]:
    """Return (risks, lights) of the rows: the logged risks when every row has them, else the predictor's.

    Parameters
    ----------
    frame:
        Rows of :func:`read_traffic`.
    predictor:
        An ``ava_model`` Predictor; its rules give the light of each row's highest risk.

    Returns
    -------
    tuple
        A DataFrame of risks (one column per mode, the frame's row order) and one light per row.
    """
    import pandas as pd

    logged = "risks" in frame.columns and all(isinstance(r, dict) and r for r in frame["risks"])
    if logged:
        risks = pd.DataFrame(list(frame["risks"]))
        if risks.isna().any().any() or not ((risks >= 0) & (risks <= 1)).all().all():
            raise DriftInputError("logged risks must cover the same modes on every row, each in [0, 1].")
    else:
        logger.info("scoring %d prompts with model %s", len(frame), predictor.version)
        risks = predictor.predict_proba(list(frame["prompt"]), list(frame["platform"]))
    thresholds = predictor.rules.thresholds
    return risks.reset_index(drop=True), [thresholds.light(float(m)) for m in risks.max(axis=1)]


@dataclass(frozen=True)
class TrainingPrompts:
    """The default reference window: the prompts the model was built on.

    Attributes
    ----------
    prompts: the authored prompts, then a random sample of benchmark prompts.
    n_authored: how many are authored.
    n_benchmark: how many come from the shared benchmarks (0 when they are not available).
    missing: why the benchmarks are not used, or None.
    """

    prompts: list[str]
    n_authored: int
    n_benchmark: int
    missing: str | None


def training_prompts(rules: Any = None, sample: int = 300, seed: int = 0) -> TrainingPrompts:
    """Return the authored prompts plus ``sample`` benchmark prompts when the shared data is present."""
    import numpy as np

    from ava_model.errors import DataSourceError
    from ava_training.config import TrainConfig
    from ava_training.data import load_training_data
    from ava_training.importers.authored import import_authored

    config = TrainConfig()
    authored_rows, _ = import_authored(config.authored_dir, rules)
    authored = list(dict.fromkeys(authored_rows["prompt"]))
    try:
        data = load_training_data(config.data_dir, config.authored_dir, config.sources, rules, published_rates=False)
    except DataSourceError as exc:  # a benchmark file is missing under data_dir
        return TrainingPrompts(authored, len(authored), 0, f"no shared benchmark data at {config.data_dir} ({exc})")
    benchmark = sorted(set(data.rows.loc[data.rows["source"] != "authored", "prompt"]) - set(authored))
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(benchmark), size=min(sample, len(benchmark)), replace=False))
    return TrainingPrompts(authored + [benchmark[i] for i in picked], len(authored), len(picked), None)


def outcome_rows(traffic: pd.DataFrame, risks: pd.DataFrame, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return (timestamp, mode, label, risk): each outcome label matched to the latest scoring of its prompt.

    Parameters
    ----------
    traffic:
        Scored rows with prompt, platform and timestamp (the score log).
    risks:
        Their risks, one column per mode (:func:`score_traffic`).
    labels:
        Label rows (prompt, platform, mode, label); None reads the label store
        (``AVA_LABEL_STORE`` or data/labels.db) when it exists. Prompt-level labels
        (platform ``any``) and soft labels are not outcomes and are left out.

    Returns
    -------
    pandas.DataFrame
        The input of :func:`ava_evaluation.performance_drift.performance_by_window`; empty when
        no label matches a scored prompt.
    """
    import pandas as pd

    columns = ["timestamp", "mode", "label", "risk"]
    if labels is None:
        from ava_model.labels.store import LabelStore, default_store_path

        path = default_store_path()
        labels = LabelStore(path, readonly=True).rows() if path.is_file() else pd.DataFrame()
    if labels.empty or "timestamp" not in traffic.columns:
        return pd.DataFrame(columns=columns)
    outcomes = labels[(labels["platform"] != "any") & labels["label"].isin([0, 1])]
    scored = pd.concat([traffic[["timestamp", "prompt", "platform"]].reset_index(drop=True),
                        risks.reset_index(drop=True)], axis=1)
    scored = scored.sort_values("timestamp", kind="stable").drop_duplicates(["prompt", "platform"], keep="last")
    merged = outcomes[["prompt", "platform", "mode", "label"]].merge(scored, on=["prompt", "platform"])
    merged = merged[merged["mode"].isin(risks.columns)].reset_index(drop=True)
    column = [list(risks.columns).index(m) for m in merged["mode"]]
    risk = merged[list(risks.columns)].to_numpy(float)[range(len(merged)), column]
    return merged.assign(label=merged["label"].astype(int), risk=risk)[columns]
