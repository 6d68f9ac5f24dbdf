"""The bounded work queue answers 429 with Retry-After instead of queueing without bound."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ava_model.server.work_queue import QueueConfig, WorkQueue
from ava_model.errors import ConfigError


class _Held:
    """An ASGI app whose scoring requests finish only when released (stands in for a slow model)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0

    async def __call__(self, scope, receive, send) -> None:
        self.started += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


async def _burst(config: QueueConfig, n: int, release_after_s: float | None):
    inner = _Held()
    app = WorkQueue(inner, config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        tasks = [asyncio.create_task(client.post("/v1/score", json={})) for _ in range(n)]
        await asyncio.sleep(0.05)
        running, waiting = app.running, app.waiting
        if release_after_s is not None:
            await asyncio.sleep(release_after_s)
            inner.release.set()
        responses = await asyncio.gather(*tasks)
        started = inner.started
        inner.release.set()
        other = await client.get("/healthz")
    return responses, running, waiting, started, other


def test_a_full_queue_answers_429_with_retry_after_at_once():
    config = QueueConfig(max_concurrent=2, max_waiting=3, wait_timeout_s=5.0)
    responses, running, waiting, started, _ = asyncio.run(_burst(config, 9, release_after_s=0.1))
    codes = sorted(r.status_code for r in responses)
    assert (running, waiting) == (2, 3)
    assert codes == [200] * 5 + [429] * 4
    refused = [r for r in responses if r.status_code == 429]
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
    assert "at capacity" in refused[0].json()["detail"] and started == 5


def test_a_request_that_waits_past_the_time_limit_gets_429():
    config = QueueConfig(max_concurrent=1, max_waiting=10, wait_timeout_s=0.2)
    responses, *_ = asyncio.run(_burst(config, 3, release_after_s=0.5))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 429, 429]
    assert "within 0.2 s" in next(r for r in responses if r.status_code == 429).json()["detail"]


def test_other_routes_are_not_queued():
    config = QueueConfig(max_concurrent=1, max_waiting=0, wait_timeout_s=0.2)
    *_, other = asyncio.run(_burst(config, 2, release_after_s=0.05))
    assert other.status_code == 200  # GET /healthz passes straight through


@pytest.mark.parametrize("kwargs", [{"max_concurrent": 0}, {"max_waiting": -1}, {"wait_timeout_s": 0}])
def test_bad_limits_are_named(kwargs):
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        QueueConfig(**kwargs)


def test_the_load_and_fault_script_on_the_real_server(server_url):
    from ava_evaluation.load_test import run_faults, run_load

    result = run_load(server_url, clients=8, seconds=3.0, max_requests=60)
    row = result.row()
    print(row)
    assert set(result.statuses) <= {200, 429} and result.statuses[200] > 0
    faults = {f["case"]: f for f in run_faults(server_url)}
    print(faults)
    assert all(isinstance(f["status"], int) and f["status"] < 500 for f in faults.values())
    assert faults["lone surrogate in prompt"]["status"] == 422 and faults["20 MB body"]["status"] == 413
    assert all(f["escaped"] for f in faults.values())
