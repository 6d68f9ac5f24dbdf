"""Per-account scoring quotas (per UTC minute and day), counted in the accounts file.

A request for n prompts is admitted only if every window still has room for all n; the check and
the increment are one ``BEGIN IMMEDIATE`` transaction, so concurrent requests (threads or server
processes) can never overshoot a quota, and the counts survive a restart.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ava_model.accounts.store import AccountStore
from ava_model.rules.plans import Plan


@dataclass(frozen=True)
class QuotaDecision:
    """Whether a request was admitted; if not, which window is full and when it resets."""

    allowed: bool
    window: str | None = None
    limit: int | None = None
    used: int | None = None
    resets_at: dt.datetime | None = None

    def retry_after_s(self, now: dt.datetime | None = None) -> int:
        """Return whole seconds until the full window resets (at least 1)."""
        if self.resets_at is None:
            return 1
        now = now or dt.datetime.now(dt.timezone.utc)
        return max(1, math.ceil((self.resets_at - now).total_seconds()))


def _window_start(window: str, now: dt.datetime) -> dt.datetime:
    if window == "minute":
        return now.replace(second=0, microsecond=0)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


_LENGTH = {"minute": dt.timedelta(minutes=1), "day": dt.timedelta(days=1)}


def consume(store: AccountStore, account: str, plan: Plan, n: int = 1, now: dt.datetime | None = None) -> QuotaDecision:
    """Count n scored prompts for an account if its plan's windows have room; return the decision."""
    now = now or dt.datetime.now(dt.timezone.utc)
    limits = {"minute": plan.per_minute, "day": plan.per_day}
    with store.connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            counts = {}
            for window, limit in limits.items():
                start = _window_start(window, now).isoformat()
                row = conn.execute("SELECT window_start, count FROM usage WHERE name = ? AND window = ?",
                                   (account, window)).fetchone()
                used = row[1] if row and row[0] == start else 0
                counts[window] = (start, used)
                if limit is not None and used + n > limit:
                    conn.execute("ROLLBACK")
                    return QuotaDecision(False, window, limit, used, _window_start(window, now) + _LENGTH[window])
            for window, (start, used) in counts.items():
                conn.execute("INSERT INTO usage (name, window, window_start, count) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(name, window) DO UPDATE SET window_start = excluded.window_start, "
                             "count = excluded.count", (account, window, start, used + n))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return QuotaDecision(True)
