"""The label store: every reported outcome, appended atomically, never edited, never lost.

SQLite in WAL mode (``data/labels.db``, or ``AVA_LABEL_STORE``): one file, no server,
safe under concurrent writers (processes and threads), readable while being written.
A batch is validated whole before one transaction writes it: nothing is partially
written. Resubmitting the verdict that is already current for a (generation id,
platform, mode) is a no-op; a different verdict is a correction: a new row that
supersedes the old one, so every earlier training set can be rebuilt from the rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.errors import LabelValidationError
from ava_model.labels import LABEL_COLUMNS, validate_labels

if TYPE_CHECKING:
    import pandas as pd

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prompt TEXT NOT NULL,
    platform TEXT NOT NULL,
    mode TEXT NOT NULL,
    label REAL NOT NULL,
    source TEXT NOT NULL,
    weight REAL NOT NULL,
    labelled_at TEXT NOT NULL,
    generation_id TEXT,
    duration_s REAL,
    at_second REAL,
    note TEXT,
    user_id TEXT,
    received_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES labels(id)
);
CREATE INDEX IF NOT EXISTS labels_generation ON labels(generation_id, mode);
"""
STORE_COLUMNS = (*LABEL_COLUMNS, "user_id", "received_at", "supersedes", "id")


def default_store_path() -> Path:
    """Return ``AVA_LABEL_STORE`` or ``data/labels.db`` in the repository."""
    env = os.environ.get("AVA_LABEL_STORE")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data" / "labels.db"


@dataclass(frozen=True)
class AddResult:
    """What one submission did to the store."""

    inserted: int
    duplicates: int
    corrections: int


class LabelStore:
    """Append-only store of labelled outcomes in one SQLite file."""

    def __init__(self, path: str | Path | None = None, timeout: float = 60.0):
        self.path = Path(path) if path is not None else default_store_path()
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # a committed label survives a crash
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return conn

    def add(self, rows: pd.DataFrame | Iterable[dict[str, Any]], *, user: str | None = None) -> AddResult:
        """Validate rows against the schema and taxonomy, then append them in one transaction."""
        import pandas as pd

        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if frame.empty:
            raise LabelValidationError("No labels given.")
        clean = validate_labels(frame, origin="labels")
        users = frame["user_id"].tolist() if "user_id" in frame.columns else [user] * len(frame)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        records = []
        for rec, user_id in zip(clean.to_dict("records"), users):
            rec = {k: (None if _missing(v) else v) for k, v in rec.items()}
            rec["labelled_at"] = rec["labelled_at"].isoformat()
            rec["user_id"] = user_id if not _missing(user_id) else None
            records.append(rec)
        inserted = duplicates = corrections = 0
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for rec in records:
                previous = None
                if rec["generation_id"]:  # without a generation id two reports cannot be told apart: keep both
                    found = conn.execute(
                        "SELECT id, label FROM labels WHERE generation_id = ? AND mode = ? AND platform = ? "
                        "AND id NOT IN (SELECT supersedes FROM labels WHERE supersedes IS NOT NULL) "
                        "ORDER BY id DESC LIMIT 1",
                        (rec["generation_id"], rec["mode"], rec["platform"]),
                    ).fetchone()
                    if found and abs(found[1] - float(rec["label"])) < 1e-9:
                        duplicates += 1
                        continue
                    previous = found[0] if found else None
                conn.execute(
                    "INSERT INTO labels (prompt, platform, mode, label, source, weight, labelled_at, generation_id, "
                    "duration_s, at_second, note, user_id, received_at, supersedes) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rec["prompt"], rec["platform"], rec["mode"], float(rec["label"]), rec["source"],
                     float(rec["weight"]), rec["labelled_at"], rec["generation_id"], rec["duration_s"],
                     rec["at_second"], rec["note"], rec["user_id"], now, previous),
                )
                inserted += 1
                corrections += previous is not None
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        return AddResult(inserted, duplicates, corrections)

    def rows(self, *, include_superseded: bool = False) -> pd.DataFrame:
        """Return the stored labels in insertion order; superseded rows only on request."""
        import pandas as pd

        query = "SELECT * FROM labels"
        if not include_superseded:
            query += " WHERE id NOT IN (SELECT supersedes FROM labels WHERE supersedes IS NOT NULL)"
        conn = self._connect()
        try:
            frame = pd.read_sql_query(query + " ORDER BY id", conn)
        finally:
            conn.close()
        return frame

    def training_rows(self) -> pd.DataFrame:
        """Return the current (not superseded) labels in the label schema, for training."""
        import pandas as pd

        frame = self.rows()
        if frame.empty:
            return pd.DataFrame(columns=list(LABEL_COLUMNS))
        return validate_labels(frame, origin=str(self.path))

    def digest(self) -> tuple[int, str]:
        """Return (row count, sha256) of every stored row including superseded ones: the exact snapshot."""
        frame = self.rows(include_superseded=True)
        payload = frame.to_csv(index=False).encode("utf-8")
        return len(frame), hashlib.sha256(payload).hexdigest()

    def stats(self) -> dict[str, Any]:
        """Return counts by source, mode, platform and week, and the failure share per mode."""
        frame = self.rows()
        if frame.empty:
            return {"rows": 0}
        week = frame["labelled_at"].str.slice(0, 10).map(lambda d: dt.date.fromisoformat(d).strftime("%G-W%V"))
        return {
            "rows": int(len(frame)),
            "superseded": int(len(self.rows(include_superseded=True)) - len(frame)),
            "by_source": frame["source"].value_counts().to_dict(),
            "by_mode": frame["mode"].value_counts().to_dict(),
            "by_platform": frame["platform"].value_counts().to_dict(),
            "by_week": week.value_counts().sort_index().to_dict(),
            "failure_share_by_mode": frame.groupby("mode")["label"].mean().round(4).to_dict(),
        }


def _missing(value: Any) -> bool:
    try:
        return value is None or value != value  # NaN / NaT
    except (TypeError, ValueError):
        return False


def record(
    prompt: str,
    platform: str,
    mode: str,
    failed: bool | float,
    *,
    generation_id: str | None = None,
    at_second: float | None = None,
    duration_s: float | None = None,
    note: str | None = None,
    user: str | None = None,
    source: str = "user",
    weight: float = 1.0,
    store: LabelStore | str | Path | None = None,
) -> AddResult:
    """Store one reported outcome: did this generation on this platform show this failure?"""
    target = store if isinstance(store, LabelStore) else LabelStore(store)
    row = {
        "prompt": prompt, "platform": platform, "mode": mode, "label": float(failed), "source": source,
        "weight": weight, "labelled_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "generation_id": generation_id, "at_second": at_second, "duration_s": duration_s, "note": note,
        "user_id": user,
    }
    return target.add([row])
