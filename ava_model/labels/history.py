"""A person's failure history: their scored prompts (scoring log) and reported failures (label store).

Only rows carrying this user's id are read; nothing about one user is shown under another id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class UserHistory:
    """What one user scored and reported, and how their observed rates compare with AVA's predictions."""

    user: str
    scored: int
    red: int
    rewrites_offered: int
    reported: int
    by_mode: list[dict[str, Any]]  # mode, platform, reports, observed_rate, predicted_risk
    weekly: list[dict[str, Any]]  # week, scored, red, reported, failed
    red_prompts: list[dict[str, Any]]  # timestamp, prompt, platform, top_mode, risk, rewrite_offered, rewrite_used

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)

    def render(self) -> str:
        """Return the history as terminal text."""
        lines = [f"History of {self.user}: {_count(self.scored, 'prompt')} scored ({self.red} red, rewrite offered "
                 f"for {self.rewrites_offered}), {_count(self.reported, 'outcome')} reported"]
        if self.by_mode:
            lines.append("  mode / platform            reports  observed  AVA predicted")
            lines += [f"  {r['mode']:<16} {r['platform']:<10} {r['reports']:>7}  {r['observed_rate']:>8.2f}  "
                      f"{'—' if r['predicted_risk'] is None else format(r['predicted_risk'], '.2f'):>13}"
                      for r in self.by_mode]
        for w in self.weekly:
            lines.append(f"  {w['week']}: scored {w['scored']}, red {w['red']}, reported {w['reported']}, "
                         f"failed {w['failed']}")
        for r in self.red_prompts[:10]:
            used = " (rewrite used)" if r["rewrite_used"] else " (rewrite offered)" if r["rewrite_offered"] else ""
            lines.append(f"  red {r['timestamp'][:10]} {r['platform']} {r['top_mode']} {r['risk']:.2f}{used}: "
                         f"{r['prompt'][:70]}")
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def score_log_hint(user: str, score_log: str | Path | None = None) -> str | None:
    """Return why a user's history holds no scored prompts and how to record them, or None when the log has some.

    Scored prompts are recorded only while ``AVA_SCORE_LOG`` names the score log (it is off by default).

    Parameters
    ----------
    user:
        The user id whose history is read.
    score_log:
        The score log given with ``--log``; None: ``AVA_SCORE_LOG``.

    Returns
    -------
    str or None
        One or two sentences naming the log (or saying none is set) and the command that fills it;
        None when the log holds prompts of ``user``.
    """
    from ava_model.labels.score_log import log_path

    path = Path(score_log) if score_log else (Path(log_path()) if log_path() else None)
    record = (f"Scored prompts are recorded only while AVA_SCORE_LOG names the log: "
              f"export AVA_SCORE_LOG=~/ava-scores.jsonl, then `ava score PROMPT --platform ID --user {user}` "
              f"(or `ava serve`, with the request's user), and read it back with `ava history --user {user}` "
              f"(or --log PATH).")
    if path is None:
        return f"No score log: AVA_SCORE_LOG is not set and no --log was given. {record}"
    if not path.is_file():
        return f"The score log {path} does not exist yet. {record}"
    if _read_log(path, user).empty:
        return (f"The score log {path} holds no prompts of user {user!r}: score with --user {user} "
                f"(or the request's user) while AVA_SCORE_LOG={path}.")
    return None


_LOG_COLUMNS = ("timestamp", "prompt", "platform", "risks", "light", "top_mode", "rewrite_offered", "rewrite_prompt")


def _read_log(path: Path | None, user: str) -> pd.DataFrame:
    if path is None or not Path(path).is_file():
        return pd.DataFrame(columns=list(_LOG_COLUMNS))
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line from a crashed writer is skipped, not fatal
            if rec.get("user") == user:
                records.append(rec)
    return pd.DataFrame(records, columns=list(_LOG_COLUMNS))


def _week(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps, utc=True, format="mixed").dt.strftime("%G-W%V")


def user_history(user: str, *, score_log: str | Path | None = None, store: Any = None) -> UserHistory:
    """Return the history of one user id from the scoring log and the label store."""
    from ava_model.labels.store import LabelStore, default_store_path
    from ava_model.labels.score_log import log_path

    scored = _read_log(Path(score_log) if score_log else (Path(log_path()) if log_path() else None), user)
    if store is None and default_store_path().is_file():
        store = LabelStore(default_store_path(), readonly=True)
    labels = store.rows() if store is not None else pd.DataFrame(columns=["user_id"])
    labels = labels[labels["user_id"] == user]
    by_mode = []
    for (mode, platform), group in labels.groupby(["mode", "platform"]) if len(labels) else []:
        predicted = None
        if len(scored):
            mine = scored[(scored["platform"] == platform) & scored["prompt"].isin(group["prompt"])]
            if len(mine):
                predicted = round(float(mine["risks"].map(lambda r: r.get(mode, 0.0)).mean()), 4)
        by_mode.append({"mode": mode, "platform": platform, "reports": int(len(group)),
                        "observed_rate": round(float(group["label"].mean()), 4), "predicted_risk": predicted})
    weeks: dict[str, dict[str, Any]] = {}
    if len(scored):
        for week, group in scored.groupby(_week(scored["timestamp"])):
            weeks.setdefault(week, {"week": week, "scored": 0, "red": 0, "reported": 0, "failed": 0})
            weeks[week].update(scored=int(len(group)), red=int((group["light"] == "red").sum()))
    if len(labels):
        for week, group in labels.groupby(_week(labels["labelled_at"])):
            weeks.setdefault(week, {"week": week, "scored": 0, "red": 0, "reported": 0, "failed": 0})
            weeks[week].update(reported=int(len(group)), failed=int((group["label"] >= 0.5).sum()))
    red = scored[scored["light"] == "red"] if len(scored) else scored
    # A rewrite counts as used when the user later scored exactly the rewritten prompt.
    later = {(p, t) for p, t in zip(scored["prompt"], scored["timestamp"])}
    red_prompts = [
        {"timestamp": r.timestamp, "prompt": r.prompt, "platform": r.platform, "top_mode": r.top_mode,
         "risk": float(r.risks[r.top_mode]), "rewrite_offered": bool(r.rewrite_offered),
         "rewrite_used": bool(r.rewrite_prompt) and any(p == r.rewrite_prompt and t > r.timestamp for p, t in later)}
        for r in red.sort_values("timestamp", ascending=False).itertuples()
    ]
    return UserHistory(user, int(len(scored)), int(len(red)),
                       int(scored["rewrite_offered"].fillna(False).astype(bool).sum()) if len(scored) else 0,
                       int(len(labels)), by_mode, [weeks[k] for k in sorted(weeks)], red_prompts)
