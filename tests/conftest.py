"""Shared fixtures: the real embedder (session-scoped, cached), a small trained model, shared-data access."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ava_training.paths import authored_dir, cache_dir, shared_data_dir  # noqa: E402

os.environ.setdefault("AVA_ONNX_CACHE", str(cache_dir() / "onnx"))  # the verified ONNX graph, shared by test processes


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared benchmark datasets; tests that need them skip when they are absent."""
    path = shared_data_dir()
    if not (path / "vbench2").is_dir():
        pytest.skip(f"shared benchmark data not found at {path} (set AVA_DATA_DIR to ../shared/datasets)")
    return path


@pytest.fixture(scope="session")
def rules():
    from ava_model.rules.taxonomy import load_rules

    return load_rules()


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 embedder with the repository's on-disk embedding cache."""
    from ava_model.core.embedding import Embedder

    return Embedder(cache_dir=cache_dir() / "embeddings")


@pytest.fixture(scope="session")
def small_training(tmp_path_factory, embedder):
    """A model trained once per session on the authored labels only (no shared data needed)."""
    from ava_training.config import TrainConfig
    from ava_training.pipeline import run_training

    out = tmp_path_factory.mktemp("small-model")
    config = TrainConfig(
        authored_dir=authored_dir(),
        sources=(),
        published_rates=False,
        out_dir=out,
        cache_dir=cache_dir() / "embeddings",
        head_candidates=(("svm", 4.0),),
        cv_folds=3,
        track=False,
        register=False,
    )
    return run_training(config)


@pytest.fixture(scope="session")
def small_predictor(small_training):
    from ava_model.api import load

    return load(small_training.artifact_dir)


@pytest.fixture(scope="session")
def shipped_predictor():
    """The default model shipped in the package."""
    from ava_model.api import load

    return load()


@pytest.fixture(scope="session")
def server_url(shipped_predictor):
    """Serve the app on a free localhost port in a background thread; yield its base URL."""
    import socket
    import threading
    import time
    import urllib.request

    import uvicorn

    from ava_model.server.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(shipped_predictor), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail(f"uvicorn did not answer {url}/healthz within 30 s")
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
