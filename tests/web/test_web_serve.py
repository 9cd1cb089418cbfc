"""`landcarbon serve` as an operator runs it: one error line for a bad catalog or token file; JSON log lines;
graceful shutdown on SIGTERM; several uvicorn workers over one PostgreSQL catalog (a throw-away cluster, as
tests/io/test_catalog_postgres.py starts it) answer exactly as the SQLite catalog of the same study does."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from .conftest import free_port, make_client

ROOT = Path(__file__).resolve().parents[2]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    from landcarbon.cli.main import main

    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_serve_help_and_bad_input_is_one_error_line(capsys, tmp_path):
    code, out, _ = _cli(capsys, "serve", "--help")
    assert code == 0 and "--catalog" in out and "--token-file" in out and "--workers" in out
    code, _, err = _cli(capsys, "serve", "--catalog", str(tmp_path / "missing" / "x.sqlite"))
    assert code == 2 and err.strip().count("\n") == 0 and err.startswith("error: ") and "does not exist" in err
    (tmp_path / "short").write_text("abc")
    code, _, err = _cli(capsys, "serve", "--catalog", str(tmp_path), "--token-file", str(tmp_path / "short"))
    assert code == 2 and "16 characters" in err and "Traceback" not in err
    code, _, err = _cli(capsys, "serve", "--catalog", "mysql://x@y/z")
    assert code == 2 and "not supported" in err


class Served:
    """`landcarbon serve` in a subprocess on a free 127.0.0.1 port."""

    def __init__(self, *args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "landcarbon.cli.main", "serve", "--port", str(self.port),
                                      *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("serve did not become ready")

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


# --------------------------------------------------------------------------------------------------------
# several workers over one PostgreSQL catalog


def _pg_module():
    spec = importlib.util.spec_from_file_location("_catalog_pg_helpers", ROOT / "tests/io/test_catalog_postgres.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def pg_catalog(sample_dir):
    """The sample study copied into PostgreSQL: (url, schema); without PostgreSQL binaries, the SQLite file
    of the sample (several workers over one SQLite file, said in the test's output)."""
    from landcarbon.io.catalog import Catalog

    url = os.environ.get("LANDCARBON_PG_URL")
    cluster = None
    if not url:
        pg = _pg_module()
        bindir = pg._pg_bindir()
        if bindir is None:
            print("no PostgreSQL binaries (Debian's postgresql; .ci/run installs it): workers over SQLite instead")
            yield str(sample_dir), None
            return
        cluster = pg._Cluster(bindir)
        url = cluster.start()
    schema = "web_" + uuid.uuid4().hex[:10]
    try:
        with Catalog.open(sample_dir) as src, Catalog.open(url, schema=schema, create=True) as dst:
            src.copy_study("county", dst)
        yield url, schema
    finally:
        if cluster is not None:
            cluster.stop()
        else:
            import sqlalchemy as sa

            eng = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with eng.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            eng.dispose()


URLS = ["/api/studies", "/api/studies/county", "/api/studies/county/zones",
        "/api/studies/county/indicators?zone=QS&zone=&scenario=natural&scenario=&limit=5&offset=2",
        "/api/studies/county/indicators?status=breached&format=csv", "/api/studies/county/series?indicator=FC&zone=CG",
        "/api/studies/county/variables?variable=stock_MgC", "/api/studies/county/balance?year=2035",
        "/api/studies/county/layers", "/api/studies/county/steps"]


def test_workers_over_one_postgresql_catalog_answer_alike_log_json_and_stop_gracefully(pg_catalog, sample_dir):
    url, schema = pg_catalog
    srv = Served("--catalog", url, *(("--schema", schema) if schema else ()), "--root", str(sample_dir),
                 "--workers", "2", "--log-level", "info")
    try:
        srv.wait_ready()
        layers = httpx.get(srv.url + "/api/studies/county/layers").json()
        la = layers[0]
        urls = [*URLS, la["legend"] + "?lang=en", la["tiles"].format(z=12, x=3377, y=1680)]
        with make_client(sample_dir) as local:
            for u in urls:
                want = local.get(u)
                assert want.status_code == 200, u
                seen: dict[str, httpx.Response] = {}
                for _ in range(60):  # a new connection each time, until both workers have answered
                    r = httpx.get(srv.url + u, headers={"connection": "close"}, timeout=10)
                    seen.setdefault(r.headers["x-worker"], r)
                    if len(seen) >= 2:
                        break
                assert len(seen) >= 2, f"only worker(s) {list(seen)} answered {u}"
                for pid, r in seen.items():
                    assert r.status_code == 200, (u, pid, r.text[:200])
                    assert r.content == want.content, (u, pid)
                    assert r.headers["etag"] == want.headers["etag"], (u, pid)
        assert httpx.get(srv.url + "/api/studies/nope").status_code == 404
    finally:
        rc, err = srv.stop()
    # uvicorn finishes the shutdown, then re-raises SIGTERM on itself (what service managers expect)
    assert rc in (0, -signal.SIGTERM), err[-2000:]
    logs = [json.loads(ln) for ln in err.splitlines() if ln.startswith("{")]  # every structured line is JSON
    assert all({"ts", "level", "logger", "msg", "pid"} <= set(x) for x in logs)
    req = [x for x in logs if x.get("msg") == "request" and x.get("path") == "/api/studies/county/indicators"]
    assert req and req[0]["status"] == 200 and req[0]["ms"] >= 0 and req[0]["request_id"]
    assert any(x.get("msg") == "request" and x.get("status") == 404 for x in logs)
    stopped = {x["pid"] for x in logs if x["msg"] == "service stopped"}
    assert len(stopped) == 2, "each worker closes its catalog on shutdown"
