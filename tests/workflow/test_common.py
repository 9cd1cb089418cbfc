"""RunFolder: staged outputs, manifest written last, nothing left after a failure."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.workflow.common import RunFolder, dask_client


def test_success_publishes_files_and_manifest_last(tmp_path):
    out = tmp_path / "run"
    src = tmp_path / "in.csv"
    src.write_text("code\n1\n", encoding="utf-8")
    with RunFolder(out, "stock") as run:
        run.add_input("pools", src)
        run.add_input("optional", None)
        run.manifest.parameters["area_method"] = "nominal"
        with run.manifest.timed("compute"):
            pass
        run.write_table(pd.DataFrame({"zone": ["湖北"], "stock_MgC": [1.0]}), "tables/stock.csv")
        run.write_json({"k": 1}, "extra.json")
        png = run.path("maps/x.png")
        png.write_bytes(b"png")
        run.summary = {"stock_MgC": 1.0}
        # nothing is visible at the run folder before the end (staged beside it, moved in as a whole)
        assert not out.exists() and run._stage.parent == out.parent
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == {"tables/stock.csv", "extra.json", "maps/x.png", "summary.json", "manifest.json"}
    mtimes = {n: (out / n).stat().st_mtime_ns for n in names}
    assert mtimes["manifest.json"] == max(mtimes.values())
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["command"] == "stock" and man["finished"]
    assert man["outputs"] == ["tables/stock.csv", "extra.json", "maps/x.png", "summary.json"]
    assert man["inputs"][0]["role"] == "pools" and len(man["inputs"][0]["sha256"]) == 64
    assert len(man["inputs"]) == 1
    assert man["parameters"] == {"area_method": "nominal"} and "compute" in man["timings_s"]
    assert json.loads((out / "summary.json").read_text()) == {"stock_MgC": 1.0}
    assert (out / "tables/stock.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_failure_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="model failed"):
        with RunFolder(out, "stock") as run:
            run.write_table(pd.DataFrame({"a": [1]}), "a.csv")
            run.summary = {"x": 1}
            raise RuntimeError("model failed")
    assert not out.exists()


def test_failure_in_existing_folder_keeps_it_but_adds_nothing(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError):
        with RunFolder(out, "stock") as run:
            run.write_json({"a": 1}, "a.json")
            raise ValueError("bad input")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_overwrite_guard_and_file_as_out(tmp_path):
    out = tmp_path / "run"
    with RunFolder(out, "stock"):
        pass
    assert (out / "manifest.json").exists()
    with pytest.raises(InputValidationError, match="overwrite"):
        with RunFolder(out, "stock", overwrite=False):
            pass
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputValidationError, match="is a file"):
        with RunFolder(f, "stock"):
            pass


def test_local_dask_client_is_none():
    with dask_client(None) as client:
        assert client is None


def test_overwrite_replaces_an_earlier_run_as_a_whole(tmp_path):
    out = tmp_path / "run"
    with RunFolder(out, "stock") as run:
        run.write_json({"a": 1}, "zones/by_zone.json")
        run.write_json({"a": 1}, "old_only.json")
    with RunFolder(out, "stock", overwrite=True) as run:
        run.write_json({"a": 2}, "zones/by_zone.json")
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == ["manifest.json", "zones/by_zone.json"]  # no stale file of the earlier run
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging or old copy left


def test_overwrite_never_replaces_a_folder_that_is_not_a_run(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    with pytest.raises(InputValidationError, match="not a landcarbon run"):
        with RunFolder(out, "stock", overwrite=True):
            pass
    assert (out / "thesis.docx").exists()
