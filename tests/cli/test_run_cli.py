"""``landcarbon run`` / ``check`` / ``init`` through the CLI: summaries, the preflight report (grids and which
need alignment, class codes lacking a row, cells to move, estimate), a catalog elsewhere, re-runs cached."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from landcarbon.cli.main import main
from landcarbon.io.catalog import Catalog

TEMPLATE = (resources.files("landcarbon") / "data" / "plans" / "county.toml").read_text(encoding="utf-8")

OBSERVED = """
[study]
id = "obs"
[maps]
2015 = "data/landuse_2015.tif"
2020 = "data/landuse_2020.tif"
[zones]
file = "data/zones.tif"
[lines]
urban_boundary = "data/urban_boundary.tif"
[tables]
pools = "data/pools.csv"
[[indicators.targets]]
indicator = "FC"
target = 14.0
"""


@pytest.fixture
def folder(tmp_path, county_data):
    (tmp_path / "data").symlink_to(Path(county_data["landuse_2010"]).parent)
    return tmp_path


def _json_out(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_run_observed_study_json_and_cached_rerun(folder, capsys):
    plan = folder / "plan.toml"
    plan.write_text(OBSERVED, encoding="utf-8")
    cat = folder / "elsewhere.sqlite"
    main(["run", str(plan), "--json", "--catalog", str(cat)])
    s = _json_out(capsys)
    assert s["study"] == "obs" and s["out"] == str(folder / "obs_study")       # default folder beside the plan
    assert sorted(s["ran"]) == ["change/2015-2020", "indicators/observed", "stock/observed", "variables/observed"]
    assert s["catalog"].endswith("elsewhere.sqlite") and not (folder / "obs_study" / "catalog.sqlite").exists()
    assert s["status"]["met"] + s["status"]["warning"] + s["status"]["breached"] > 0
    main(["run", str(plan)])
    out = capsys.readouterr().out
    assert "4 steps, 0 ran, 4 cached" in out and "manifest.json last" in out
    with Catalog.open(cat) as c:
        fc = c.indicators("obs", indicator="FC", zone="")
        assert fc["year"].tolist() == [2015, 2020] and set(fc["status"]) <= {"met", "warning", "breached"}


def test_run_refuses_a_folder_of_another_kind(folder, capsys):
    plan = folder / "plan.toml"
    plan.write_text(OBSERVED, encoding="utf-8")
    other = folder / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    with pytest.raises(SystemExit) as ei:
        main(["run", str(plan), "--out", str(other)])
    err = capsys.readouterr().err
    assert ei.value.code == 2 and err.startswith("error: out:") and "not a landcarbon study" in err


def test_check_report(folder, capsys):
    # a driver on a shifted grid: reported as needing alignment (align is on, so it is resampled)
    src = folder / "data" / "dist_road.tif"
    with rasterio.open(src) as s:
        prof, a = s.profile, s.read(1)
    prof["transform"] = prof["transform"] * prof["transform"].translation(3, 0)
    with rasterio.open(folder / "shifted.tif", "w", **prof) as d:
        d.write(a, 1)
    text = TEMPLATE.replace('"data/dist_road.tif"', '"shifted.tif"').replace(
        "[classes]", "[grid]\nalign = true\n\n[classes]")
    plan = folder / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    main(["check", str(plan), "--json", "--jobs", "2"])
    rep = _json_out(capsys)
    by = {g["input"]: g for g in rep["grids"]}
    assert by["maps.2020"]["status"] == "on the study grid"
    assert by["drivers.continuous[1]"]["status"].startswith("needs alignment (origin")
    assert by["zones.file"]["kind"] == "vector"
    assert [c["codes"] for c in rep["classes"]] == [[1, 2, 3, 4, 5, 6]] * 3
    assert all(not v for c in rep["classes"] for k, v in c.items() if k.startswith("without"))
    moves = {(m["scenario"], m["year"]): m for m in rep["moves"]}
    assert set(moves) == {(s, y) for s in ("natural_trend", "ecological_protection", "cropland_protection",
                                           "low_carbon") for y in (2035, 2060)}
    nt = moves[("natural_trend", 2060)]
    assert nt["cells_to_move"] == sum(v for v in nt["by_class"].values() if v > 0) > 0
    assert sum(nt["by_class"].values()) == 0                           # the demand keeps the valid cells
    e = rep["estimate"]
    assert e["valid_cells"] == 38416 and e["simulations"] == 5 and e["jobs"] == 2 and e["peak_GB"] > 0
    main(["check", str(plan)])
    text_out = capsys.readouterr().out
    assert "the plan is valid" in text_out and "needs alignment" in text_out and "estimate:" in text_out


def test_check_names_codes_without_a_row(folder):
    from landcarbon.workflow.study_check import classes
    from landcarbon.workflow.study_plan import load_study
    from landcarbon.workflow.study_steps import build_steps

    pools = pd.read_csv(folder / "data" / "pools.csv", encoding="utf-8-sig")
    pools[pools["lucode"] != 6].to_csv(folder / "pools5.csv", index=False)
    plan = folder / "plan.toml"
    plan.write_text(OBSERVED.replace('"data/pools.csv"', '"pools5.csv"'), encoding="utf-8")
    sp = load_study(plan)
    rows, counts, _ = classes(sp, build_steps(sp, folder / "inputs"))
    assert [r["without a row in pools"] for r in rows] == [[6], [6]]
    assert counts[2020][1] == 24417 and sum(counts[2020].values()) == 38416


def test_init_wuhan_needs_its_data(tmp_path, capsys, monkeypatch):
    from landcarbon.cli import init

    monkeypatch.setattr(init, "find_wuhan_data", lambda: None)
    with pytest.raises(SystemExit) as ei:
        main(["init", str(tmp_path / "w.toml"), "--example", "wuhan"])
    assert ei.value.code == 2 and "give --data" in capsys.readouterr().err
    d = tmp_path / "fake"
    d.mkdir()
    (d / "wh2010_refy.tif").write_bytes(b"")
    main(["init", str(tmp_path / "w" / "w.toml"), "--example", "wuhan", "--data", str(d)])
    text = (tmp_path / "w" / "w.toml").read_text(encoding="utf-8")
    assert '2010 = "../fake/wh2010_refy.tif"' in text and "{WUHAN_PLUS}" not in text
    assert np.all([c in text for c in ("420102", "420117", "WaterWuhan.tif")])
