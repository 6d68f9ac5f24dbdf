"""A team tracking server for real: ``mlflow server`` on loopback, then train, register, promote, load, retrain, serve.

The server runs with a SQLite backend store and proxied artifacts in a local folder (PostgreSQL is the
production backend store: docs/scaling.md). Every client call goes over HTTP to it; the test stops it by
its PID. Then ``mlflow models serve`` serves ``models:/ava@champion`` and answers bad rows with a 400
that names the field.
"""

from __future__ import annotations

import json
from dataclasses import replace
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ava_training.config import TrainConfig
from ava_training.paths import authored_dir, cache_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[:4]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its workers, by the PID we started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    server = _start([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
                     "--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}",
                     "--artifacts-destination", (tmp / "artifacts").as_uri(), "--workers", "1"], tmp / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/health", server, tmp / "server.log")
        yield url
    finally:
        _stop(server)
    assert server.poll() is not None


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_train_register_promote_load_retrain_and_serve_through_a_tracking_server(tracking_server, tmp_path,
                                                                                 monkeypatch):
    from mlflow.tracking import MlflowClient

    from ava_model.api import load
    from ava_training.pipeline import run_training
    from ava_training.retrain import retrain
    from ava_training.tracking import promote

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server)
    monkeypatch.chdir(tmp_path)
    config = TrainConfig(authored_dir=authored_dir(), sources=(), published_rates=False, out_dir=tmp_path / "v1",
                         cache_dir=cache_dir() / "embeddings", head_candidates=(("svm", 4.0),), cv_folds=3)
    first = run_training(config)
    assert first.model_version == "1" and first.run_id
    client = MlflowClient(tracking_server)
    assert client.get_run(first.run_id).data.tags["data_digest"] == first.manifest["data_digest"]
    print(promote("1"))
    assert client.get_model_version_by_alias("ava", "champion").version == "1"

    champion = load("models:/ava@champion")  # downloaded over HTTP from the server's artifact store
    prompt = "A man says 'Good morning, everyone' to the camera"
    assert champion.predict(prompt, "veo-3", explain=False).risks == load(first.artifact_dir).predict(
        prompt, "veo-3", explain=False).risks

    second, decision = retrain(replace(config, out_dir=tmp_path / "v2"))
    assert second.model_version == "2"
    alias = client.get_model_version_by_alias("ava", "champion").version
    assert alias == ("2" if decision.promote and second.promoted else "1"), decision.summary()

    port = _free_port()
    log = tmp_path / "serve.log"
    serving = _start([sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/ava@champion",
                      "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)], log,
                     # MLflow execs `uvicorn` by name: the venv's bin must be on PATH, as in an activated venv
                     {"MLFLOW_TRACKING_URI": tracking_server,
                      "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    try:
        _wait_for(f"http://127.0.0.1:{port}/ping", serving, log)
        invocations = f"http://127.0.0.1:{port}/invocations"
        status, body = _post(invocations, {"dataframe_records": [{"prompt": prompt, "platform": "veo-3"}]})
        assert status == 200, body
        row = body["predictions"][0]
        expected = load("models:/ava@champion").predict_proba([prompt], "veo-3").iloc[0]
        assert row["lip_sync"] == pytest.approx(float(expected["lip_sync"]), abs=1e-6)
        assert row["light"] in ("green", "yellow", "red") and row["top_mode"] in expected.index

        status, body = _post(invocations, {"dataframe_records": [{"prompt": prompt, "platform": "no-such-model"}]})
        print(f"bad platform -> {status}: {body}")
        assert status == 400 and "platform" in body["message"] and "sora-2" in body["message"]
        status, body = _post(invocations, {"dataframe_records": [{"text": prompt, "platform": "veo-3"}]})
        print(f"missing prompt column -> {status}: {body}")
        assert status == 400 and "prompt" in body["message"]
    finally:
        _stop(serving)
