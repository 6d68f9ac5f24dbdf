"""Score a table of prompts on Apache Spark: the model loads once per executor process, partitions score in batches.

``pip install 'ava-model[spark]'`` adds pyspark (Spark needs a Java 17+ runtime, e.g. Debian's
``default-jre-headless``). From Python::

    from pyspark.sql import SparkSession
    from ava_model.spark import score_dataframe

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    prompts = spark.read.parquet("prompts.parquet")          # columns: prompt, platform[, user]
    risks = score_dataframe(prompts, model="models:/ava@champion")
    risks.write.parquet("risks.parquet")

or ``ava score-spark --input prompts.parquet --output risks.parquet --master local[2]``.

The output has the input's ``id``, ``prompt``, ``platform`` (canonical id) and ``user``, one double column per
failure mode (the risks :meth:`ava_model.api.Predictor.predict_proba` gives), ``top_mode``, ``top_risk``,
``light`` and ``error``. A row whose prompt or platform is invalid is not scored: its risks are null and
``error`` names the field and the reason; one bad row never fails the job.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.errors import AvaError, ConfigError, DataSourceError

if TYPE_CHECKING:
    import pandas as pd

    from ava_model.core.scorer import Scorer

SPARK_HINT = ("pip install 'ava-model[spark]' (pyspark) and a Java 17+ runtime "
              "(Debian: apt-get install default-jre-headless)")
_SCORERS: dict[str, Scorer] = {}  # one loaded model per executor Python process and model URI


@dataclass(frozen=True)
class SparkScoreConfig:
    """How to score a table on Spark.

    Attributes
    ----------
    model : str or None
        Artifact folder or ``models:/`` URI every executor loads (None: ``AVA_MODEL_URI`` or the shipped model).
    master : str
        Spark master URL for a session this job starts (ignored when a session is already active).
    platform : str or None
        Platform for rows whose ``platform`` is blank or missing.
    batch_size : int
        Prompts embedded and scored together inside a partition.
    partitions : int or None
        Repartition the input to this many partitions first (None: keep the input's).
    """

    model: str | None = None
    master: str = "local[2]"
    platform: str | None = None
    batch_size: int = 256
    partitions: int | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}.")
        if self.partitions is not None and self.partitions < 1:
            raise ConfigError(f"partitions must be >= 1 or None, got {self.partitions}.")


@dataclass(frozen=True)
class SparkScoreResult:
    """What a Spark scoring job did.

    Attributes
    ----------
    rows : int
        Rows written (scored plus rejected).
    rejected : int
        Rows with an ``error`` (not scored).
    output : Path
        The Parquet folder written.
    startup_seconds : float
        Time to start (or join) the Spark session.
    seconds : float
        Time to read, score and write the table.
    """

    rows: int
    rejected: int
    output: Path
    startup_seconds: float
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Rows per second of the scoring stage (start-up excluded)."""
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


def _require_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:
        raise AvaError(f"Spark scoring needs pyspark: {SPARK_HINT}.") from exc
    return pyspark


def output_schema(modes: tuple[str, ...]) -> Any:
    """Return the Spark schema of scored rows for a model with these modes."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    return StructType(
        [StructField(c, StringType()) for c in ("id", "prompt", "platform", "user")]
        + [StructField(m, DoubleType()) for m in modes]
        + [StructField(c, t) for c, t in (("top_mode", StringType()), ("top_risk", DoubleType()),
                                            ("light", StringType()), ("error", StringType()))]
    )


def _scorer(model: str | None) -> Scorer:
    key = model or ""
    if key not in _SCORERS:
        from ava_model.persistence.loading import load_scorer

        _SCORERS[key] = load_scorer(model)
    return _SCORERS[key]


def score_batch(scorer: Scorer, frame: pd.DataFrame, platform: str | None = None) -> pd.DataFrame:
    """Return the scored rows of one pandas batch (the columns of :func:`output_schema`).

    Rows are checked one by one (prompt text, platform name); the valid ones are embedded and scored
    together, exactly as :meth:`~ava_model.core.scorer.Scorer.predict_proba` scores them.
    """
    import numpy as np
    import pandas as pd

    from ava_model.core.validation import check_prompt
    from ava_model.labels.schema import is_blank

    modes = list(scorer.model.modes)
    n = len(frame)
    prompts = frame["prompt"].tolist() if "prompt" in frame else [None] * n
    names = frame["platform"].tolist() if "platform" in frame else [None] * n
    users = frame["user"].tolist() if "user" in frame else [None] * n
    ids = frame["id"].tolist() if "id" in frame else [None] * n
    texts, platform_ids, errors = [None] * n, [None] * n, [None] * n
    for i, (prompt, name) in enumerate(zip(prompts, names)):
        try:
            texts[i] = check_prompt(prompt, scorer.rules.thresholds.max_prompt_chars)
            chosen = platform if is_blank(name) else name
            if is_blank(chosen):
                raise ConfigError("platform is blank and no default platform was given (--platform).")
            platform_ids[i] = scorer.rules.platform(str(chosen)).id
        except AvaError as exc:
            field = "prompt" if texts[i] is None else "platform"
            errors[i] = f"{field}: {exc}"
    good = [i for i in range(n) if errors[i] is None]
    risks = np.full((n, len(modes)), np.nan)
    if good:
        risks[good], _ = scorer.risk_matrix([texts[i] for i in good], [platform_ids[i] for i in good])
    out = pd.DataFrame(risks, columns=modes)
    unscored = np.isnan(risks).all(axis=1)
    top = np.where(unscored, -1, np.where(np.isnan(risks), -np.inf, risks).argmax(axis=1))
    out.insert(0, "user", [None if is_blank(u) else str(u) for u in users])
    out.insert(0, "platform", [pid if pid is not None else (None if is_blank(nm) else str(nm))
                               for pid, nm in zip(platform_ids, names)])
    out.insert(0, "prompt", [t if t is not None else (p if isinstance(p, str) else None) for t, p in zip(texts, prompts)])
    out.insert(0, "id", [None if is_blank(v) else str(v) for v in ids])
    out["top_mode"] = [modes[j] if j >= 0 else None for j in top]
    out["top_risk"] = [float(risks[i, j]) if j >= 0 else np.nan for i, j in enumerate(top)]
    out["light"] = [scorer.rules.thresholds.light(float(risks[i, j])) if j >= 0 else None for i, j in enumerate(top)]
    out["error"] = errors
    return out


def _partition_scorer(model: str | None, platform: str | None, batch_size: int):
    def score_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pyspark import TaskContext

        task = TaskContext.get()
        # One embedding thread per CPU the task was given: parallel workers share the cores, not oversubscribe them.
        os.environ.setdefault("AVA_EMBEDDER_THREADS", str(task.cpus() if task is not None else 1))
        scorer = _scorer(model)  # loaded once per executor process, reused by every partition it runs
        for batch in batches:
            for start in range(0, len(batch), batch_size):
                yield score_batch(scorer, batch.iloc[start:start + batch_size].reset_index(drop=True), platform)

    return score_partition


def score_dataframe(frame: Any, model: str | None = None, platform: str | None = None, batch_size: int = 256,
                    modes: tuple[str, ...] | None = None) -> Any:
    """Return a lazy Spark DataFrame of the scored rows of ``frame`` (columns: :func:`output_schema`).

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
        Needs a ``prompt`` column; ``platform``, ``user`` and ``id`` are optional (``user`` and ``id`` are copied).
    model : str, optional
        Artifact folder or ``models:/`` URI; every executor must be able to read it.
    platform : str, optional
        Platform for blank or missing ``platform`` cells.
    batch_size : int
        Prompts embedded together.
    modes : tuple of str, optional
        The model's modes (default: read from the model on the driver).
    """
    _require_pyspark()
    if "prompt" not in frame.columns:
        raise DataSourceError(f"The table needs a 'prompt' column; found {', '.join(frame.columns)}. "
                              "Columns read: prompt (required), platform, user, id.")
    keep = [c for c in ("id", "prompt", "platform", "user") if c in frame.columns]
    modes = modes or tuple(_scorer(model).model.modes)
    return frame.select(*keep).mapInPandas(_partition_scorer(model, platform, batch_size), output_schema(modes))


def _read(spark: Any, path: Path) -> Any:
    if not path.exists():
        raise DataSourceError(f"Input {path} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return spark.read.csv(str(path), header=True, multiLine=True, escape='"')
    if suffix in (".jsonl", ".ndjson", ".json"):
        return spark.read.json(str(path))
    return spark.read.parquet(str(path))  # a .parquet file or a folder of part files


def session(master: str = "local[2]", app_name: str = "ava-score") -> Any:
    """Return the active Spark session, or start one on ``master`` whose Python workers use this interpreter."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        return (SparkSession.builder.master(master).appName(app_name)
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.ui.enabled", "false")
                .getOrCreate())
    except Exception as exc:  # Java missing or the master unreachable: one line naming the cause
        raise AvaError(f"Cannot start Spark on {master!r}: {str(exc).splitlines()[0]}. Spark needs {SPARK_HINT}.") from exc


def score_table(input_path: Path, output_path: Path, config: SparkScoreConfig | None = None) -> SparkScoreResult:
    """Score a Parquet (or CSV / JSON lines) table on Spark and write the scored rows as Parquet.

    Parameters
    ----------
    input_path : Path
        Parquet file or folder, ``.csv`` with a header, or ``.jsonl``.
    output_path : Path
        Parquet folder to write (replaced if it exists).
    config : SparkScoreConfig, optional
        Model, master, default platform, batch size and partitions.
    """
    config = config or SparkScoreConfig()
    started = time.perf_counter()
    spark = session(config.master)
    startup = time.perf_counter() - started
    started = time.perf_counter()
    frame = _read(spark, Path(input_path))
    if config.partitions:
        frame = frame.repartition(config.partitions)
    scored = score_dataframe(frame, config.model, config.platform, config.batch_size)
    scored.write.mode("overwrite").parquet(str(output_path))
    written = spark.read.parquet(str(output_path))
    rows, rejected = written.count(), written.filter("error IS NOT NULL").count()
    return SparkScoreResult(rows, rejected, Path(output_path), startup, time.perf_counter() - started)
