"""Fixtures of the web tests: the sample study (landcarbon.web.sample) written once per session, the app
over it, a token file, and a live server on 127.0.0.1 (uvicorn in a thread) for the browser test."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("rio_tiler")

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    from landcarbon.web.sample import build_sample

    return build_sample(tmp_path_factory.mktemp("sample_study"))


@pytest.fixture
def study_dir(sample_dir, tmp_path) -> Path:
    """A private copy of the sample study (for tests that write or delete)."""
    d = tmp_path / "served"
    shutil.copytree(sample_dir, d)
    return d


@pytest.fixture(scope="session")
def token_file(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("secret") / "token"
    f.write_text(TOKEN + "\n")
    f.chmod(0o600)
    return f


def make_client(folder: Path, **settings):
    from fastapi.testclient import TestClient

    from landcarbon.web import Settings, create_app

    app = create_app(Settings(catalog=str(folder), **settings))
    return TestClient(app)


@pytest.fixture(scope="session")
def client(sample_dir) -> Iterator:
    """A read-only client of the shared sample study (no token: write routes off)."""
    with make_client(sample_dir) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving an app in a background thread on 127.0.0.1."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="session")
def live_server(sample_dir) -> Iterator[LiveServer]:
    from landcarbon.web import Settings, create_app

    with LiveServer(create_app(Settings(catalog=str(sample_dir)))) as srv:
        yield srv
