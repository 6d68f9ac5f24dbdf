"""Opt-in production log of scored prompts (``AVA_SCORE_LOG=path``): one JSON line per prediction.

Each line is written with a single ``write`` on a file opened with O_APPEND, under a
process-wide lock, so concurrent threads and processes never interleave lines; drift
analysis (evaluation/drift.py) reads the file back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ava_model.answer.report import RiskReport

_lock = threading.Lock()


def log_path() -> str | None:
    """Return the scoring-log path from ``AVA_SCORE_LOG``, or None when logging is off."""
    return os.environ.get("AVA_SCORE_LOG") or None


def append(report: RiskReport, user: str | None = None) -> None:
    """Append one line for a scored prompt to the log, if logging is on."""
    path = log_path()
    if path is None:
        return
    line = json.dumps({
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
        "prompt_sha256": hashlib.sha256(report.prompt.encode("utf-8")).hexdigest(),
        "prompt": report.prompt,
        "platform": report.platform,
        "risks": report.risks,
        "light": report.light,
        "top_mode": report.top_mode,
        "rewrite_offered": bool(report.rewrite and report.rewrite.helped),
        "rewrite_prompt": report.rewrite.prompt if report.rewrite and report.rewrite.helped else None,
        "model_version": report.model_version,
        "user": user,
    }) + "\n"
    data = line.encode("utf-8")
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
