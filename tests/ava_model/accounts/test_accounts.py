"""Accounts, tokens and plans on a live `ava serve` on loopback: who may score and read whose history."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ava_model.accounts.store import AccountStore, token_hash
from ava_model.errors import AccountError
from ava_model.rules.plans import Plan
from ava_model.accounts.quota import consume
from ava_model.rules.taxonomy import rules_dir

PLANS = """version: 1
default_plan: free
plans:
  free: {description: "few", per_minute: 3, per_day: null, history: false, max_batch: 1}
  burst: {description: "a day's quota for the concurrency test", per_minute: null, per_day: 25, history: false,
          max_batch: 1}
  pro: {description: "all", per_minute: null, per_day: null, history: true, max_batch: 100}
"""
PROMPT = "A man says 'Hi' to the camera"


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    """`ava serve` in a child process with accounts; yields (port, tokens, store, log path)."""
    root = tmp_path_factory.mktemp("team")
    rules = root / "rules"
    shutil.copytree(rules_dir(), rules)
    (rules / "plans.yaml").write_text(PLANS, encoding="utf-8")
    env_extra = {"AVA_RULES_DIR": str(rules), "AVA_SCORE_LOG": str(root / "scores.jsonl"),
                 "AVA_LABEL_STORE": str(root / "labels.db")}
    import os

    os.environ.update({"AVA_RULES_DIR": str(rules)})  # the test process reads the same plans
    store = AccountStore(root / "users.db")
    tokens = {name: store.add(name, plan=plan, role=role) for name, plan, role in [
        ("alice", "pro", "user"), ("bob", "pro", "user"), ("carol", "free", "user"), ("erin", "burst", "user"),
        ("dave", "pro", "admin"), ("frank", "pro", "user")]}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ava_model.cli", "serve", "--port", str(port), "--accounts",
                                 str(store.path), "--max-waiting", "64", "--wait-timeout", "30"],
                                env={**os.environ, **env_extra}, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                if _call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ava serve did not start: {log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield port, tokens, store, log
        proc.terminate()
        proc.wait(timeout=30)
    os.environ.pop("AVA_RULES_DIR", None)


def _call(port: int, method: str, path: str, token: str | None = None, body: dict | None = None,
          cookie: str | None = None) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"content-type": "application/json"} if body is not None else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if cookie:
        headers["cookie"] = cookie
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = {"text": raw.decode("utf-8", "replace")}
    return response.status, payload, {k.lower(): v for k, v in response.getheaders()}


CASES: list[tuple[str, int]] = []


def _record(case: str, status: int) -> int:
    CASES.append((case, status))
    return status


def test_no_token_gives_401_and_public_routes_stay_open(team_server):
    port, tokens, _, _ = team_server
    status, out, headers = _call(port, "POST", "/v1/score", body={"prompt": PROMPT, "platform": "kling"})
    assert _record("score, no token", status) == 401 and headers["www-authenticate"].startswith("Bearer")
    assert _record("history, no token", _call(port, "GET", "/v1/history?user=alice")[0]) == 401
    assert _record("history, malformed token", _call(port, "GET", "/v1/history", token="nonsense")[0]) == 401
    assert _record("healthz, no token", _call(port, "GET", "/healthz")[0]) == 200
    assert _record("taxonomy, no token", _call(port, "GET", "/v1/failure-modes")[0]) == 200
    assert _call(port, "GET", "/v1/modes/lip_sync")[0] == 200


def test_only_the_owner_or_an_admin_reads_a_history(team_server):
    port, tokens, _, _ = team_server
    status, out, _ = _call(port, "POST", "/v1/score", tokens["alice"], {"prompt": PROMPT, "platform": "sora-2"})
    assert _record("alice scores", status) == 200
    status, out, _ = _call(port, "POST", "/v1/score", tokens["alice"],
                           {"prompt": PROMPT, "platform": "sora-2", "user": "bob"})
    assert _record("alice scores into bob's history", status) == 403
    assert _record("bob reads alice's history", _call(port, "GET", "/v1/history?user=alice", tokens["bob"])[0]) == 403
    status, history, _ = _call(port, "GET", "/v1/history?user=alice", tokens["alice"])
    assert _record("alice reads her history", status) == 200 and history["user"] == "alice" and history["scored"] == 1
    status, own, _ = _call(port, "GET", "/v1/history", tokens["bob"])
    assert status == 200 and own["user"] == "bob" and own["scored"] == 0  # user comes from the token
    assert _record("admin reads alice's history", _call(port, "GET", "/v1/history?user=alice", tokens["dave"])[0]) == 200
    assert _record("free plan reads history", _call(port, "GET", "/v1/history", tokens["carol"])[0]) == 403


def test_a_revoked_token_gives_401_and_a_rotated_one_works(team_server):
    port, tokens, store, _ = team_server
    assert _call(port, "GET", "/v1/history", tokens["frank"])[0] == 200
    store.revoke("frank")
    assert _record("revoked token", _call(port, "GET", "/v1/history", tokens["frank"])[0]) == 401
    new = store.rotate("frank")
    assert _record("rotated token", _call(port, "GET", "/v1/history", new)[0]) == 200
    assert _call(port, "GET", "/v1/history", tokens["frank"])[0] == 401  # the old token stays dead


def test_a_free_plan_runs_out_with_429_retry_after_and_reset_time(team_server):
    port, tokens, _, _ = team_server
    statuses, refused = [], None
    for _ in range(5):
        status, out, headers = _call(port, "POST", "/v1/score", tokens["carol"], {"prompt": PROMPT, "platform": "kling"})
        statuses.append(status)
        if status == 429:
            refused = (out, headers)
    minute_rolled = statuses.count(200) > 3  # the UTC minute ended during the loop: a new window opened
    if not minute_rolled:
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    _record("free plan over its quota", 429 if refused else statuses[-1])
    out, headers = refused
    assert 1 <= int(headers["retry-after"]) <= 60
    reset = dt.datetime.fromisoformat(headers["x-quota-reset"])
    assert reset.second == 0 and reset.microsecond == 0 and "per minute" in out["detail"]
    status, *_ = _call(port, "POST", "/v1/score", tokens["carol"],
                       {"items": [{"prompt": PROMPT, "platform": "kling"}, {"prompt": PROMPT, "platform": "pika"}]})
    assert _record("free plan batch of 2", status) == 403


def test_sixteen_concurrent_clients_never_overshoot_a_quota(team_server):
    port, tokens, _, _ = team_server
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(4):
            status, *_ = _call(port, "POST", "/v1/score", tokens["erin"], {"prompt": PROMPT, "platform": "veo-3",
                                                                             "explain": False})
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"16 clients x 4 requests on a 25/day quota: {statuses.count(200)} x 200, {statuses.count(429)} x 429")
    assert len(statuses) == 64 and set(statuses) <= {200, 429}
    assert statuses.count(200) == 25  # a day quota: the UTC day does not roll over within the test
    _record("16 clients on a 25-prompt quota: 200s", statuses.count(200))


def test_the_web_pages_sign_in_with_a_cookie(team_server):
    port, tokens, _, _ = team_server
    status, page, _ = _call(port, "GET", "/history")
    assert _record("history page, no cookie", status) == 401 and "Sign in" in page["text"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/signin", body=f"token={tokens['alice']}",  # login CSRF: a form posted from another site
                 headers={"content-type": "application/x-www-form-urlencoded", "origin": "http://evil.example"})
    response = conn.getresponse()
    response.read()
    assert _record("sign-in posted from another origin", response.status) == 403 and not response.getheader("set-cookie")
    conn.request("POST", "/signin", body=f"token={tokens['alice']}",
                 headers={"content-type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("set-cookie")
    assert response.status == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    session = cookie.split(";")[0]
    status, page, _ = _call(port, "GET", "/history", cookie=session)
    assert _record("history page, alice's cookie", status) == 200 and "History of alice" in page["text"]
    assert _call(port, "GET", "/history?user=bob", cookie=session)[0] == 403
    status, *_ = _call(port, "POST", "/v1/score", body={"prompt": PROMPT, "platform": "kling"}, cookie=session)
    assert status == 200  # the page's own scoring calls carry the cookie


def test_no_response_or_log_line_holds_a_token(team_server):
    port, tokens, store, log = team_server
    time.sleep(0.5)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "POST /v1/score" in text  # the access log was written
    leaked = [name for name, token in tokens.items() if token in text or token[4:20] in text]
    assert not leaked
    assert token_hash(tokens["alice"]) not in text
    print("\nstatus codes:\n" + "\n".join(f"  {case}: {status}" for case, status in CASES))


def test_accounts_store_rules(tmp_path):
    store = AccountStore(tmp_path / "users.db")
    token = store.add("alice", plan="pro")
    assert token.startswith("ava_") and len(token) > 40
    assert token not in (tmp_path / "users.db").read_bytes().decode("latin-1")  # only the hash is stored
    assert store.authenticate(token).name == "alice" and store.authenticate(token[:-1] + "x") is None
    with pytest.raises(AccountError, match="already exists"):
        store.add("alice")
    with pytest.raises(AccountError, match="valid plans: free, "):
        store.add("zed", plan="gold")
    for bad in ("bad name; drop table", "alice\n", "", "x" * 65):
        with pytest.raises(AccountError, match="Account name"):
            store.add(bad)
    with pytest.raises(AccountError, match="No account 'nobody'; accounts: alice"):
        store.revoke("nobody")
    assert [a.name for a in store.list()] == ["alice"] and "token" not in json.dumps(store.list()[0].to_dict())


def test_quota_windows_reset_and_survive_a_restart(tmp_path):
    path = tmp_path / "users.db"
    AccountStore(path).add("carol", plan="free")
    plan = Plan("tiny", "", per_minute=2, per_day=3, history=False, max_batch=1)
    t0 = dt.datetime(2026, 12, 1, 10, 0, 5, tzinfo=dt.timezone.utc)
    assert consume(AccountStore(path), "carol", plan, now=t0).allowed
    assert consume(AccountStore(path), "carol", plan, now=t0).allowed  # a new AccountStore: counts persisted
    full = consume(AccountStore(path), "carol", plan, now=t0)
    assert not full.allowed and full.window == "minute" and full.retry_after_s(t0) == 55
    nxt = t0 + dt.timedelta(minutes=1)
    assert consume(AccountStore(path), "carol", plan, now=nxt).allowed  # the minute window reset
    day = consume(AccountStore(path), "carol", plan, now=nxt)
    assert not day.allowed and day.window == "day" and day.resets_at == dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc)
    assert consume(AccountStore(path), "carol", plan, now=dt.datetime(2026, 12, 2, 0, 0, 1, tzinfo=dt.timezone.utc)).allowed


def test_serve_refuses_a_public_address_without_accounts(tmp_path, capsys):
    from ava_model.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--accounts", str(tmp_path / "none.db")]) == 2
    assert "Refusing to serve on 0.0.0.0 without accounts" in capsys.readouterr().err
    assert not Path(tmp_path / "none.db").exists()


def test_plans_file_errors_name_the_plan_and_field():
    from ava_model.errors import RulesError
    from ava_model.rules.plans import parse_plans

    good = {"version": 1, "default_plan": "free", "plans": {"free": {"per_minute": 3, "history": False}}}
    assert parse_plans(good).plan("free").max_batch > 1_000  # null max_batch: no plan limit
    for edit, message in [({"per_minute": 0}, "plan 'free': per_minute must be a positive whole number"),
                          ({"per_day": "lots"}, "per_day must be"), ({"history": "yes"}, "history must be true or false")]:
        bad = {**good, "plans": {"free": {**good["plans"]["free"], **edit}}}
        with pytest.raises(RulesError, match=message):
            parse_plans(bad)
    with pytest.raises(RulesError, match="default_plan must be one of free"):
        parse_plans({**good, "default_plan": "gold"})
