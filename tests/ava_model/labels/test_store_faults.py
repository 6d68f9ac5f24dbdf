"""The label store fails clearly: corrupt, read-only, missing-folder and disk-full files give LabelStoreError,
read commands open the store read-only, and no case loses or alters a stored row."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from ava_model.cli import main
from ava_model.errors import LabelStoreError
from ava_model.labels.store import LabelStore, record


def _rows(n: int, tag: str = "") -> list[dict]:
    return [{"prompt": f"A ball {tag}{i} bounces " + "x" * 2000, "platform": "kling", "mode": "physics", "label": 1,
             "source": "user", "weight": 1, "labelled_at": "2026-11-01"} for i in range(n)]


def _snapshot(path: Path) -> list[tuple]:
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT * FROM labels ORDER BY id").fetchall()


@pytest.fixture()
def store(tmp_path) -> LabelStore:
    store = LabelStore(tmp_path / "store" / "labels.db")
    for i in range(3):
        record(f"A glass {i} tips over", "kling", "physics", i % 2 == 0, store=store, generation_id=f"g{i}")
    return store


def test_a_corrupt_store_is_a_clear_error_and_is_left_as_it_was(tmp_path, capsys):
    path = tmp_path / "labels.db"
    path.write_bytes(b"not an sqlite file " * 200)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for readonly in (False, True):
        with pytest.raises(LabelStoreError, match=rf"{path.name}.*corrupt or not an SQLite database.*backup"):
            LabelStore(path, readonly=readonly)
    assert main(["label", "--store", str(path), "stats"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ava: error: Label store") and "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_another_sqlite_file_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE labels (x TEXT)")
    with pytest.raises(LabelStoreError, match="not an AVA label store"):
        LabelStore(path, readonly=True)


class _ReadOnlyFile(LabelStore):
    """As root, file modes do not stop writes; SQLite's query_only gives the same read-only refusal."""

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute("PRAGMA query_only=1")
        return conn


def test_a_read_only_store_reads_and_refuses_writes_clearly(store, capsys):
    before = _snapshot(store.path)
    folder = store.path.parent
    if os.geteuid() != 0:  # a real read-only file and folder
        for p in folder.iterdir():
            p.chmod(0o444)
        folder.chmod(0o555)
        writer = LabelStore.__new__(LabelStore)
    else:
        writer = _ReadOnlyFile.__new__(_ReadOnlyFile)
    writer.path, writer.timeout, writer.readonly = store.path, 5.0, False
    try:
        assert LabelStore(store.path, readonly=True).stats()["rows"] == 3
        assert main(["label", "--store", str(store.path), "stats"]) == 0
        assert '"rows": 3' in capsys.readouterr().out
        with pytest.raises(LabelStoreError, match=r"read-only.*writable"):
            writer.add(_rows(2))
        with pytest.raises(LabelStoreError, match="opened read-only"):
            LabelStore(store.path, readonly=True).add(_rows(1))
    finally:
        folder.chmod(0o755)
        for p in folder.iterdir():
            p.chmod(0o644)
    assert _snapshot(store.path) == before


def test_a_store_path_under_a_file_or_a_missing_store_is_named(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LabelStoreError, match=r"Cannot create the folder of the label store .*afile/labels\.db"):
        LabelStore(tmp_path / "afile" / "labels.db")
    with pytest.raises(LabelStoreError, match="No label store at .*nowhere.*ava label add"):
        LabelStore(tmp_path / "nowhere" / "labels.db", readonly=True)
    # stats on a store that does not exist yet says so without creating it
    assert main(["label", "--store", str(tmp_path / "nowhere" / "labels.db"), "stats"]) == 0
    assert '"rows": 0' in capsys.readouterr().out and not (tmp_path / "nowhere").exists()


class _FullDisk(LabelStore):
    """SQLite's max_page_count makes the real SQLITE_FULL error a full disk gives."""

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages + 1}")
        return conn


def test_a_full_disk_stores_nothing_of_the_batch_and_keeps_every_row(store):
    before = _snapshot(store.path)
    full = _FullDisk.__new__(_FullDisk)
    full.path, full.timeout, full.readonly = store.path, 5.0, False
    with pytest.raises(LabelStoreError, match=r"disk is full.*Nothing of this batch was stored"):
        full.add(_rows(40))
    assert _snapshot(store.path) == before
    assert store.add(_rows(2, "after")).inserted == 2  # the store still works once there is room


def test_read_commands_never_write_the_store(store):
    before = (_snapshot(store.path), store.path.stat().st_mtime_ns)
    reader = LabelStore(store.path, readonly=True)
    reader.stats(), reader.rows(include_superseded=True), reader.training_rows(), reader.digest()
    assert (_snapshot(store.path), store.path.stat().st_mtime_ns) == before
