"""A bounded work queue in front of the scoring routes: back-pressure instead of unbounded queueing.

At most ``max_concurrent`` scoring requests run at once (more only fight over the same cores), at
most ``max_waiting`` wait for a turn, and none waits longer than ``wait_timeout_s``. A request that
finds the queue full, or whose turn does not come in time, is answered at once with **429** and a
``Retry-After`` estimated from the recent service time, so a client backs off instead of waiting 13 s.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from ava_model.errors import ConfigError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class QueueConfig:
    """Limits of the work queue (``ava serve --max-concurrent/--max-waiting/--wait-timeout``)."""

    max_concurrent: int = 1
    max_waiting: int = 16
    wait_timeout_s: float = 2.0
    paths: tuple[str, ...] = ("/v1/score",)

    def __post_init__(self) -> None:
        if self.max_concurrent < 1:
            raise ConfigError(f"max_concurrent must be >= 1, got {self.max_concurrent}.")
        if self.max_waiting < 0:
            raise ConfigError(f"max_waiting must be >= 0, got {self.max_waiting}.")
        if not self.wait_timeout_s > 0:
            raise ConfigError(f"wait_timeout_s must be > 0, got {self.wait_timeout_s}.")


class WorkQueue:
    """ASGI middleware applying a QueueConfig to the scoring routes; other routes pass straight through."""

    def __init__(self, app: Callable[..., Awaitable[None]], config: QueueConfig | None = None) -> None:
        self.app, self.config = app, config or QueueConfig()
        self._slots: asyncio.Semaphore | None = None
        self.waiting = 0
        self.running = 0
        self.refused = 0
        self._service_s = 0.05  # moving average of one request's service time

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit a scoring request to the bounded queue, or answer 503 with Retry-After when it is full."""
        if scope["type"] != "http" or scope.get("path") not in self.config.paths or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the server's event loop
            self._slots = asyncio.Semaphore(self.config.max_concurrent)
        # Admission is decided before any await, so a burst cannot slip past the bound.
        if self.running + self.waiting >= self.config.max_concurrent + self.config.max_waiting:
            await self._busy(send, f"{self.running} requests are scoring and {self.waiting} waiting")
            return
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.config.wait_timeout_s)
        except (asyncio.TimeoutError, TimeoutError):
            await self._busy(send, f"no scoring slot freed within {self.config.wait_timeout_s:g} s")
            return
        finally:
            self.waiting -= 1
        self.running += 1
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            self._slots.release()
            self._service_s = 0.9 * self._service_s + 0.1 * (time.perf_counter() - started)

    def retry_after_s(self) -> int:
        """Return whole seconds until a new request would likely get a slot."""
        ahead = self.waiting + self.running
        return max(1, math.ceil(self._service_s * ahead / self.config.max_concurrent))

    async def _busy(self, send: Send, why: str) -> None:
        self.refused += 1
        retry = self.retry_after_s()
        body = json.dumps({"detail": f"AVA is at capacity ({why}); retry after {retry} s."}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry).encode())]})
        await send({"type": "http.response.body", "body": body})
