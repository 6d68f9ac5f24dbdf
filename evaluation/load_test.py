"""Load and fault test of ``ava serve`` on loopback, bounded in requests and time.

``python -m ava_evaluation.load_test`` starts the server in a child process on 127.0.0.1 (or uses
``--url`` of one already running on loopback), measures the in-process rate of full ``predict()``
for comparison, then runs closed-loop clients (16 and 64 by default) for a bounded time each and
prints requests/s, p50/p99 latency, responses by status and the server's RSS before and after.
A fault pass sends malformed and hostile requests and records each status. ``--write`` writes
docs/reliability.md with the tables. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROMPTS = (
    "A man says 'We should have left an hour ago' to the camera, close-up",
    "Seven red balloons float over a party table",
    "A glass of red wine tips over and spills across a white tablecloth",
    "A neon sign that reads 'OPEN ALL NIGHT' flickers above a diner door",
    "The camera orbits a dancer spinning on a rooftop at dusk",
    "Two boxers trade punches in a ring, slow motion",
    "A cat walks behind a sofa and comes out the other side",
    "A chef cracks two eggs, whisks them, then pours them into a hot pan",
)
PLATFORMS = ("sora-2", "veo-3", "kling", "runway-gen-4", "pika")


_TAKES = ("at dawn", "at noon", "at dusk", "at night", "in the rain", "in the snow", "in fog", "in summer", "in winter")


def unique_prompt(i: int) -> str:
    """Return the i-th request's prompt: every request is a new text, so no embedding cache flatters the figures."""
    return f"{PROMPTS[i % len(PROMPTS)]}, {_TAKES[(i // len(PROMPTS)) % len(_TAKES)]}, take {i}"


@dataclass
class LoadResult:
    """One closed-loop run: clients, duration, latencies of every answered request and statuses."""

    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None

    def row(self) -> dict[str, object]:
        """Return the table row of this run."""
        lat = sorted(self.latencies_ms)
        q = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]) if lat else (lambda p: float("nan"))
        ok = self.statuses.get(200, 0)
        return {
            "clients": self.clients, "seconds": round(self.seconds, 1), "requests": sum(self.statuses.values()),
            "ok_per_s": round(ok / self.seconds, 1), "p50_ms": round(q(0.5), 1), "p99_ms": round(q(0.99), 1),
            "p99/p50": round(q(0.99) / q(0.5), 2) if lat else float("nan"), "max_ms": round(lat[-1], 1) if lat else None,
            "statuses": dict(sorted(self.statuses.items())),
            "rss_mb": f"{self.rss_before_mb:.0f} -> {self.rss_after_mb:.0f}" if self.rss_before_mb else "n/a",
        }


def _check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"load_test only runs against loopback; got host {host!r}.")
    return host, parts.port or 80


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}


def run_load(url: str, clients: int, seconds: float, max_requests: int, server_pid: int | None = None) -> LoadResult:
    """Run ``clients`` closed-loop clients posting full-report /v1/score requests for ``seconds`` (or max_requests)."""
    host, port = _check_loopback(url)
    result = LoadResult(clients, seconds, rss_before_mb=_rss_mb(server_pid))
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    sent = [0]

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        i = k
        while time.monotonic() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            body = json.dumps({"prompt": unique_prompt(i), "platform": PLATFORMS[i % len(PLATFORMS)],
                               "explain": True}).encode()
            i += clients
            started = time.perf_counter()
            retry_after = 0.0
            try:
                status, _, answer_headers = _request(conn, "POST", "/v1/score", body,
                                                                  {"content-type": "application/json"})
                retry_after = float(answer_headers.get("retry-after", 0) or 0)
            except (OSError, http.client.HTTPException):
                status = "connection error"
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                result.statuses[status] += 1
                if status == 200:
                    result.latencies_ms.append(elapsed)
            if status == 429:  # a polite client honours Retry-After (capped at 1 s to keep the run short)
                time.sleep(min(retry_after, 1.0))
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - started
    result.rss_after_mb = _rss_mb(server_pid)
    return result


FAULTS: tuple[tuple[str, str, str, bytes, dict[str, str]], ...] = (
    # (case, method, path, body, headers)
    ("lone surrogate in prompt", "POST", "/v1/score", b'{"prompt": "a \\ud800", "platform": "kling"}', {}),
    ("invalid UTF-8 bytes", "POST", "/v1/score", b'{"prompt": "a \xff dog", "platform": "kling"}', {}),
    ("malformed JSON", "POST", "/v1/score", b'{"prompt": ', {}),
    ("wrong type", "POST", "/v1/score", b'{"prompt": 5, "platform": "kling"}', {}),
    ("unknown platform", "POST", "/v1/score", b'{"prompt": "a dog", "platform": "dall-e"}', {}),
    ("empty prompt", "POST", "/v1/score", b'{"prompt": "   ", "platform": "kling"}', {}),
    ("20 MB body", "POST", "/v1/score", b'{"prompt": "' + b"a" * (20 << 20) + b'", "platform": "kling"}', {}),
    ("control characters", "POST", "/v1/score", b'{"prompt": "a dog\\u0000 runs\\u001b", "platform": "kling"}', {}),
    ("RTL and emoji", "POST", "/v1/score", '{"prompt": "\u202eA dog \U0001F415 runs", "platform": "kling"}'.encode(), {}),
    ("unknown route", "GET", "/v1/nothing", b"", {}),
    ("XSS in mode page", "GET", "/modes/%3Cscript%3Ealert(1)%3C%2Fscript%3E", b"", {}),
    ("invalid UTF-8 in path", "GET", "/v1/modes/%ff", b"", {}),
)


def run_faults(url: str) -> list[dict[str, object]]:
    """Send each hostile request once; return [{case, status, ms, note}]."""
    host, port = _check_loopback(url)
    out = []
    for case, method, path, body, headers in FAULTS:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        started = time.perf_counter()
        try:
            status, payload, _ = _request(conn, method, path, body or None,
                                       {"content-type": "application/json", **headers} if body else headers)
            note = payload[:90].decode("utf-8", "replace").replace("\n", " ")
            escaped = "<script>" not in payload.decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            status, note, escaped = "connection error", str(exc), True
        finally:
            conn.close()
        out.append({"case": case, "status": status, "ms": round((time.perf_counter() - started) * 1000, 1),
                    "escaped": escaped, "answer": note})
    return out


def in_process_rate(n: int = 40) -> dict[str, float]:
    """Return full predict() p50 (ms) and the rate one process reaches (reports/s), on the same prompts."""
    from ava_model.api import load

    predictor = load()
    predictor.predict(PROMPTS[0], PLATFORMS[0])
    times = []
    for i in range(n):
        started = time.perf_counter()
        predictor.predict(unique_prompt(10_000_000 + i), PLATFORMS[i % len(PLATFORMS)])
        times.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(times)
    return {"p50_ms": round(p50, 1), "reports_per_s": round(1000 / statistics.mean(times), 1)}


def start_server(port: int, extra_args: list[str]) -> subprocess.Popen:
    """Start ``ava serve`` on 127.0.0.1:port in a child process; return it once /healthz answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ava_model.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             *extra_args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ava serve exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if _request(conn, "GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("ava serve did not answer /healthz within 120 s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _table(rows: list[dict[str, object]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]).replace("|", "\\|") for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load and fault passes; print the tables (and write docs/reliability.md with --write)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of each load run")
    parser.add_argument("--max-requests", type=int, default=5000, help="cap on requests per load run")
    parser.add_argument("--serve-args", default="", help="extra arguments for `ava serve` (e.g. '--workers 2')")
    parser.add_argument("--compare", nargs="*", default=[],
                        help="other `ava serve` argument sets to run at the first client count, for the report "
                             "(e.g. '--max-concurrent 1' '--workers 2 --max-concurrent 1')")
    parser.add_argument("--write", nargs="?", type=Path, const=Path("docs/reliability.md"), default=None,
                        metavar="PATH", help="write the reliability report (default path: docs/reliability.md)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    base = in_process_rate()
    print(f"in process: full predict() p50 {base['p50_ms']} ms, {base['reports_per_s']} reports/s")
    proc = None
    url = args.url
    if url is None:
        port = _free_port()
        proc = start_server(port, args.serve_args.split())
        url = f"http://127.0.0.1:{port}"
    try:
        run_load(url, 4, 3.0, 200, proc.pid if proc else None)  # warm-up
        runs = [run_load(url, c, args.seconds, args.max_requests, proc.pid if proc else None) for c in args.clients]
        faults = run_faults(url)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    rows = [r.row() for r in runs]
    tried = []
    for serve_args in args.compare if args.url is None else []:
        port = _free_port()
        other = start_server(port, serve_args.split())
        try:
            run_load(f"http://127.0.0.1:{port}", 4, 3.0, 200, other.pid)
            tried.append({"serve_args": serve_args or "(defaults)",
                          **run_load(f"http://127.0.0.1:{port}", args.clients[0], args.seconds, args.max_requests,
                                     other.pid).row()})
        finally:
            other.terminate()
            other.wait(timeout=30)
    for row in rows + tried:
        row["vs_in_process"] = round(row["ok_per_s"] / base["reports_per_s"], 2)
    print(_table(rows))
    if tried:
        print(_table(tried))
    print(_table(faults))
    if args.json:
        args.json.write_text(json.dumps({"in_process": base, "load": rows, "tried": tried, "faults": faults},
                                        indent=2, default=str))
    if args.write:
        print(f"wrote {write_report(base, rows, tried, faults, args, args.write)}")
    return 0


def write_report(base: dict[str, float], rows: list[dict], tried: list[dict], faults: list[dict],
                 args: argparse.Namespace, path: Path) -> Path:
    """Write the reliability report (docs/reliability.md): what was tried, the counts and figures, what is out of scope.

    ``path`` is taken as given (relative to the working directory), so an installed wheel never writes into
    its own package folder. Returns the path written.
    """
    import platform

    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"""# Reliability: load and fault figures

Written by `python -m ava_evaluation.load_test --write` on {time.strftime('%Y-%m-%d')}, {platform.machine()},
{os.cpu_count()} cores, Python {platform.python_version()}. Server: `{('ava serve ' + args.serve_args).strip()}` on 127.0.0.1
(one worker, `--max-concurrent 1 --max-waiting 16 --wait-timeout 2` unless given).
Each load run: closed-loop clients posting full-report `/v1/score` requests (one prompt, `explain: true`; every
request a new text, so no embedding cache helps) for
{args.seconds:.0f} s or {args.max_requests} requests. Latency percentiles are over answered (200) requests.

## In process
Full `predict()` p50 **{base['p50_ms']} ms**, **{base['reports_per_s']} reports/s** in one process.

## Load
{_table(rows)}

`vs_in_process` is the server's 200-rate over the in-process rate (above 1: the server overlaps request
parsing and JSON work with scoring). 429 answers are the bounded work queue refusing work it could not
start in time (with `Retry-After`), not errors. With `--workers N` the RSS column shows the supervisor only.

## Other server settings tried ({args.clients[0]} clients)
{_table(tried) if tried else "(none in this run: pass --compare)"}

## Faults
{_table(faults)}

Fault cases outside HTTP are tests: tampered, truncated, empty and schema-broken artifacts
(`tests/ava_model/persistence/test_safe_load.py`: a pickle that would run a shell command is refused and no marker file appears);
corrupt, foreign, read-only, missing-folder and disk-full label stores (`tests/ava_model/labels/test_store_faults.py`);
an unreachable MLflow registry (`tests/training/test_training.py`, a clear `ArtifactError` in seconds, not minutes);
lone surrogates on Python, HTTP and CLI (`tests/ava_model/core/test_validation.py`); property-based fuzzing of every
input surface (`tests/ava_model/test_fuzz.py`).

## Threat model
Protected:
- **Other users' data.** With accounts, `/v1/score` and the history routes need a bearer token (or the sign-in
  cookie); a history is readable only by its owner or an admin, and scores join the token's account only.
  Tokens are 256-bit random, stored as SHA-256, compared in constant time, never echoed or logged.
- **Quotas.** Per-plan minute and day quotas are counted in one SQLite transaction per request: concurrent
  requests and worker processes cannot overshoot them; counts survive restarts.
- **Model files.** A tampered `ava.joblib` cannot run code: its pickle is read through an allow-list of globals;
  checksums can be pinned outside the artifact (`expected_sha256=`, the registry run tag).
- **Bad input.** Every surface answers bad text (lone surrogates, control characters, huge bodies) with a 4xx or
  `InvalidPrompt`, never a 500 or a traceback; overload gets 429 with `Retry-After`.

Not protected:
- Traffic on the wire: AVA serves plain HTTP; TLS belongs to the reverse proxy in front of it.
- A user who can write the accounts file, the rules folder or the Python environment controls the server.
- Single-user local mode (no accounts) trusts everyone who can reach 127.0.0.1 on the machine.
- Prompts are stored in the score log and label store in clear text on the server's disk.
- A hostile artifact can still exhaust memory (a huge array shape, a zlib bomb) while it is checked; it cannot
  run code. Load only artifacts you trained or pinned.
- The work queue admits a request before its token is checked, so a flood of unauthenticated requests can
  take scoring slots (each answered 401 at once); rate-limit anonymous traffic at the proxy.
- The sign-in cookie holds the API token itself (HttpOnly, SameSite=Strict): signing out clears the cookie but
  does not revoke the token (`ava users rotate NAME` does). A quota is charged before scoring and not refunded
  if scoring then fails.

## Out of scope
- Traffic from other hosts: the script refuses non-loopback URLs; TLS, proxies and network faults are not tested.
- Denial of service beyond the body limit and the work queue (slowloris, connection floods) is left to the
  reverse proxy in front of AVA.
- Disk-full, corrupt and read-only label stores are covered by `tests/ava_model/labels/test_store_faults.py`; tampered
  model files by `tests/ava_model/persistence/test_safe_load.py`.
"""
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
