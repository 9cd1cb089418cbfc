"""Token-guarded write routes: missing / wrong tokens, write routes off without a token file, oversized
uploads, plans checked (TOML, the study plan checks, paths that leave the served folder), runs in the
background with progress, cancel, deletion."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

from landcarbon.io.catalog import Catalog

from .conftest import TOKEN, make_client

AUTH = {"authorization": f"Bearer {TOKEN}"}
FAKE = Path(__file__).with_name("fake_runner.py")
PLAN = b'[study]\nid = "tiny"\nname = "tiny"\n'


def _runner(*extra: str) -> str:
    return f"{sys.executable} {FAKE} {{plan}} {{out}} {{catalog}} " + " ".join(extra)


@pytest.fixture
def writer(study_dir, token_file):
    with make_client(study_dir, token_file=str(token_file), max_upload_bytes=4096, run_command=_runner()) as c:
        yield c


WRITES = [("post", "/api/plans", {"content": PLAN}), ("get", "/api/plans", {}),
          ("delete", "/api/plans/tiny", {}), ("post", "/api/runs", {"json": {"plan": "tiny"}}),
          ("post", "/api/runs/abc/cancel", {}), ("delete", "/api/runs/abc", {}),
          ("delete", "/api/studies/county", {})]


@pytest.mark.parametrize("method, url, kw", WRITES)
def test_missing_and_wrong_tokens(writer, method, url, kw):
    for headers, _why in (({}, "missing"), ({"authorization": "Bearer nope-nope-nope-nope"}, "wrong"),
                         ({"authorization": f"Basic {TOKEN}"}, "wrong"), ({"authorization": f"Bearer {TOKEN}x"}, "wrong"),
                         ({"authorization": "Bearer"}, "missing")):
        r = getattr(writer, method)(url, headers=headers, **kw)
        assert r.status_code == 401, (url, headers, r.text)
        assert r.json()["error"] == "unauthorized" and "bearer" in r.headers["www-authenticate"].lower()
    assert writer.get("/api/studies/county").status_code == 200  # nothing was deleted


def test_write_routes_are_off_without_a_token_file(study_dir):
    with make_client(study_dir) as c:
        for method, url, kw in WRITES:
            r = getattr(c, method)(url, headers=AUTH, **kw)
            assert r.status_code == 403 and "--token-file" in r.json()["detail"], url


def test_oversized_uploads_are_refused(writer, study_dir):
    big = b"# " + b"x" * 5000 + b"\n" + PLAN
    r = writer.post("/api/plans", content=big, headers=AUTH)
    assert r.status_code == 413 and r.json()["error"] == "too_large" and "4096" in r.json()["detail"]

    def chunks():  # no Content-Length: the limit is counted while reading
        for _ in range(10):
            yield b"# " + b"y" * 1000 + b"\n"

    r = writer.post("/api/plans", content=chunks(), headers=AUTH)
    assert r.status_code == 413
    assert not list(study_dir.glob("*.plan.toml")) and not list(study_dir.glob(".upload-*"))


@pytest.mark.parametrize("body, words", [
    (b"[study\nid = 1", "TOML"), (b"\xff\xfe[study]", "UTF-8"), (b"[study]\nname = 'x'\n", "study id"),
    (b'[study]\nid = "../up"\n', "study id"),
    (b'[study]\nid = "tiny"\n[maps]\n2010 = "/etc/passwd"\n', "outside the served folder"),
    (b'[study]\nid = "tiny"\n[maps]\n2010 = "../../../../etc/passwd"\n', "outside the served folder"),
    (b'[study]\nid = "tiny"\n[tables]\npools = "~/pools.csv"\n', "outside the served folder"),
])
def test_bad_plans_are_refused_with_their_problems(writer, study_dir, body, words):
    r = writer.post("/api/plans", content=body, headers=AUTH)
    assert r.status_code == 422, r.text
    text = r.text
    assert words in text and "Traceback" not in text
    assert not list(study_dir.glob("*.plan.toml")) and not list(study_dir.glob(".upload-*"))


@pytest.mark.skipif(importlib.util.find_spec("landcarbon.workflow.study_plan") is None,
                    reason="the study plan checks are not installed")
def test_plans_go_through_the_study_plan_checks(writer):
    r = writer.post("/api/plans", content=PLAN + b"\n[mapz]\n2010 = 'a.tif'\n", headers=AUTH)
    assert r.status_code == 422
    body = r.json()
    assert body["checked_by"] == "landcarbon.workflow.study_plan.load_study"
    assert any("mapz" in i["where"] + i["message"] for i in body["issues"])
    assert all(".upload-" not in i["where"] + i["message"] for i in body["issues"])


@pytest.mark.skipif(importlib.util.find_spec("landcarbon.cli.init") is None, reason="no `landcarbon init` yet")
def test_a_valid_plan_is_kept_listed_and_deleted(study_dir, token_file):
    from landcarbon.cli.init import write_plan

    plan = write_plan(study_dir, "county")  # study_dir/plan.toml + study_dir/data/
    with make_client(study_dir, token_file=str(token_file), max_upload_bytes=1 << 20) as c:
        r = c.post("/api/plans", content=plan.read_bytes(), headers={**AUTH, "content-type": "application/toml"})
        assert r.status_code == 201, r.text
        sid = r.json()["study"]
        assert (study_dir / f"{sid}.plan.toml").read_bytes() == plan.read_bytes()
        assert r.headers["location"] == f"/api/plans/{sid}"
        assert [p["plan"] for p in c.get("/api/plans", headers=AUTH).json()] == [sid]
        assert c.get(f"/api/plans/{sid}", headers=AUTH).content == plan.read_bytes()
        assert c.delete(f"/api/plans/{sid}", headers=AUTH).json()["deleted"] is True
        assert c.get(f"/api/plans/{sid}", headers=AUTH).status_code == 404


def _wait(c, run_id: str, until: tuple[str, ...], timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st = c.get(f"/api/runs/{run_id}").json()
        if st["status"] in until or time.monotonic() > deadline:
            return st
        time.sleep(0.1)


def test_a_run_in_the_background_shows_its_progress(writer, study_dir):
    (study_dir / "tiny.plan.toml").write_bytes(PLAN)
    r = writer.post("/api/runs", json={"plan": "tiny"}, headers=AUTH)
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "running" and r.headers["location"] == f"/api/runs/{run['id']}"
    assert writer.post("/api/runs", json={"plan": "tiny"}, headers=AUTH).status_code in (202, 409)
    done = _wait(writer, run["id"], ("done", "failed"))
    assert done["status"] == "done" and done["returncode"] == 0
    assert done["progress"]["total"] == 4 and done["progress"]["fraction"] == 1.0
    assert "log" not in done
    detail = writer.get(f"/api/runs/{run['id']}", headers=AUTH).json()
    assert detail["log"][-1] == "step stock/natural/2035 done"
    assert run["id"] in [x["id"] for x in writer.get("/api/runs").json()]
    assert (study_dir / "tiny").is_dir()
    # the study it recorded is served like any other
    assert [s["step"] for s in writer.get("/api/studies/tiny/steps").json()] == \
        ["change", "prepare", "simulate/natural/2035", "stock/natural/2035"]
    assert writer.delete(f"/api/runs/{run['id']}", headers=AUTH).json()["deleted"] is True
    assert writer.get(f"/api/runs/{run['id']}").status_code == 404
    # deleting the study removes the folder its run made (marked), not other folders
    gone = writer.delete("/api/studies/tiny", headers=AUTH).json()
    assert gone == {"study": "tiny", "deleted": True, "folder_removed": True}
    assert not (study_dir / "tiny").exists() and writer.get("/api/studies/tiny").status_code == 404
    kept = writer.delete("/api/studies/county", headers=AUTH).json()
    assert kept["deleted"] is True and kept["folder_removed"] is False and (study_dir / "steps").is_dir()


def test_a_failing_run_says_why(study_dir, token_file):
    (study_dir / "tiny.plan.toml").write_bytes(PLAN)
    with make_client(study_dir, token_file=str(token_file), run_command=_runner("--fail")) as c:
        run = c.post("/api/runs", json={"plan": "tiny"}, headers=AUTH).json()
        st = _wait(c, run["id"], ("done", "failed"))
    assert st["status"] == "failed" and st["returncode"] == 2 and "boom" in st["message"]
    assert st["progress"]["steps"] == {"done": 3, "failed": 1}


def test_cancel_stops_the_runner(study_dir, token_file):
    (study_dir / "tiny.plan.toml").write_bytes(PLAN)
    with make_client(study_dir, token_file=str(token_file), run_command=_runner("--delay", "30")) as c:
        run = c.post("/api/runs", json={"plan": "tiny"}, headers=AUTH).json()
        deadline = time.monotonic() + 20
        while c.get(f"/api/runs/{run['id']}").json()["progress"]["running"] == [] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.delete(f"/api/runs/{run['id']}", headers=AUTH).status_code == 409   # running: cancel first
        assert c.delete("/api/studies/tiny", headers=AUTH).status_code == 409
        r = c.post(f"/api/runs/{run['id']}/cancel", headers=AUTH)
        assert r.status_code == 202 and r.json()["status"] == "cancelling"
        st = _wait(c, run["id"], ("cancelled", "done", "failed"), timeout=20)
        assert st["status"] == "cancelled" and st["returncode"] != 0
        pid = c.app.state.service._runs.get(run["id"])["pid"]
    from landcarbon.web.runs import _alive

    assert not _alive(pid)
    cat = Catalog.open(study_dir)
    assert "done" not in set(cat.steps("tiny")["status"][-1:])
    cat.close()


def test_runs_of_unknown_plans_and_bodies(writer):
    assert writer.post("/api/runs", json={"plan": "nope"}, headers=AUTH).status_code == 404
    assert writer.post("/api/runs", json={"plan": "../../etc/passwd"}, headers=AUTH).status_code == 404
    assert writer.post("/api/runs", content=b"{not json", headers=AUTH).status_code == 422
    assert writer.post("/api/runs", json={"plan": "x" * 500}, headers=AUTH).status_code == 422
    assert writer.get("/api/runs/zzz").status_code == 404
    assert writer.get("/api/runs/..%2f..%2fetc").status_code == 404
