"""The label store: every reported outcome, appended atomically, never edited, never lost.

SQLite in WAL mode (``data/labels.db``, or ``AVA_LABEL_STORE``): one file, no server,
safe under concurrent writers (processes and threads), readable while being written.
A batch is validated whole before one transaction writes it: nothing is partially
written. Resubmitting the verdict that is already current for a (generation id,
platform, mode) is a no-op; a different verdict is a correction: a new row that
supersedes the old one, so every earlier training set can be rebuilt from the rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.errors import LabelStoreError, LabelValidationError
from ava_model.labels.schema import LABEL_COLUMNS, validate_labels
from ava_model.locations import state_dir

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
    return Path(env) if env else state_dir() / "data" / "labels.db"


@dataclass(frozen=True)
class AddResult:
    """What one submission did to the store."""

    inserted: int
    duplicates: int
    corrections: int


class LabelStore:
    """Append-only store of labelled outcomes in one SQLite file.

    ``readonly=True`` opens an existing store with ``mode=ro`` (the read commands: stats, history,
    training): it never creates, migrates or writes the file, so it works on a read-only copy.
    Every failure of the file itself (corrupt, read-only, missing folder, disk full) raises
    :class:`~ava_model.errors.LabelStoreError` naming the path and what to do.
    """

    def __init__(self, path: str | Path | None = None, timeout: float = 60.0, *, readonly: bool = False):
        self.path = Path(path) if path is not None else default_store_path()
        self.timeout = timeout
        self.readonly = readonly
        if readonly:
            if not self.path.is_file():
                raise LabelStoreError(f"No label store at {self.path}: nothing has been labelled yet "
                                      "(`ava label add` or `ava label import` creates it).")
            with self._open("reading") as conn:
                self._check_schema(conn)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where a folder should be, no permission
            raise LabelStoreError(f"Cannot create the folder of the label store {self.path}: {exc.strerror or exc}. "
                                  "Point AVA_LABEL_STORE (or --store) at a file in a writable folder.") from exc
        with self._open("opening") as conn:
            conn.executescript(_SCHEMA)
            self._check_schema(conn)

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(labels)")}
        missing = [c for c in ("prompt", "platform", "mode", "label", "supersedes") if c not in columns]
        if missing:
            raise LabelStoreError(f"{self.path} is an SQLite file but not an AVA label store (table 'labels' lacks "
                                  f"{', '.join(missing)}). Point AVA_LABEL_STORE (or --store) at the right file.")

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.timeout,
                                   isolation_level=None)
        else:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a committed label survives a crash
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return conn

    @contextlib.contextmanager
    def _open(self, doing: str) -> Iterator[sqlite3.Connection]:
        """Yield a connection; turn SQLite's failures of the file into LabelStoreError (the connection is closed)."""
        conn = None
        try:
            conn = self._connect()
            yield conn
        except sqlite3.DatabaseError as exc:
            raise LabelStoreError(self._explain(exc, doing)) from exc
        finally:
            if conn is not None:
                conn.close()

    def _explain(self, exc: sqlite3.DatabaseError, doing: str) -> str:
        text = str(exc).lower()
        where = f"Label store {self.path} ({doing})"
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return (f"{where}: the file is corrupt or not an SQLite database ({exc}). No row was changed. "
                    "Restore it from a backup, or move it aside so a new store is created.")
        if "readonly" in text or "read-only" in text:
            return (f"{where}: the file or its folder is read-only ({exc}). Reading works (`ava label stats`); "
                    "to add labels, make the file and folder writable or point AVA_LABEL_STORE at a writable copy.")
        if "full" in text:
            return (f"{where}: the disk is full ({exc}). Nothing of this batch was stored; free space and submit it again.")
        if "unable to open" in text:
            return (f"{where}: cannot open the file ({exc}). Check that its folder exists and is readable "
                    "and writable, or point AVA_LABEL_STORE (or --store) elsewhere.")
        if "locked" in text or "busy" in text:
            return f"{where}: the store stayed locked for {self.timeout:.0f} s ({exc}). Try again."
        return f"{where}: {exc}"

    def add(self, rows: pd.DataFrame | Iterable[dict[str, Any]], *, user: str | None = None) -> AddResult:
        """Validate rows against the schema and taxonomy, then append them in one transaction."""
        import pandas as pd

        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if frame.empty:
            raise LabelValidationError("No labels given.")
        clean = validate_labels(frame, origin="labels")
        # A row's own user wins; blank cells (and files without the column) take ``user``.
        users = ([user if _missing(u) else u for u in frame["user_id"]] if "user_id" in frame.columns
                 else [user] * len(frame))
        bad = [f"row {i + 1}, field 'user_id': must be text, got {type(u).__name__}"
               for i, u in enumerate(users) if u is not None and not isinstance(u, (str, int))]
        if bad:
            raise LabelValidationError("labels: " + "; ".join(bad[:10]))
        users = [None if u is None else str(u).strip() or None for u in users]
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        records = []
        for rec, user_id in zip(clean.to_dict("records"), users):
            rec = {k: (None if _missing(v) else v) for k, v in rec.items()}
            rec["labelled_at"] = rec["labelled_at"].isoformat()
            rec["user_id"] = user_id if not _missing(user_id) else None
            records.append(rec)
        if self.readonly:
            raise LabelStoreError(f"Label store {self.path} was opened read-only; open it without readonly=True to add labels.")
        inserted = duplicates = corrections = 0
        with self._open("adding labels") as conn:
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
        return AddResult(inserted, duplicates, corrections)

    def rows(self, *, include_superseded: bool = False) -> pd.DataFrame:
        """Return the stored labels in insertion order; superseded rows only on request."""
        import pandas as pd

        query = "SELECT * FROM labels"
        if not include_superseded:
            query += " WHERE id NOT IN (SELECT supersedes FROM labels WHERE supersedes IS NOT NULL)"
        with self._open("reading") as conn:
            try:
                frame = pd.read_sql_query(query + " ORDER BY id", conn)
            except pd.errors.DatabaseError as exc:  # pandas wraps SQLite's error
                raise sqlite3.DatabaseError(str(exc.__cause__ or exc)) from exc
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
