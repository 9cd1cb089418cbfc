"""CLI of issue 5: landcarbon evaluate {suitability, mce, control-lines, intensive, esv} and optimize."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.testing import make_lulc

pytest.importorskip("highspy")

LU = np.array([[1, 1, 2, 2, 5], [1, 1, 2, 2, 5], [5, 5, 1, 3, 4], [5, 5, 1, 3, 4], [1, 1, 1, 6, 4]], np.int16)
DEM = (np.arange(25).reshape(5, 5) * 7).astype(np.int16)


@pytest.fixture()
def files(tmp_path):
    lu = make_lulc(LU, nodata=0)
    out = {}
    out["lu"] = write_raster(lu.values, tmp_path / "lu.tif", grid_of(lu), nodata=0, dtype="int16")
    out["dem"] = write_raster(DEM, tmp_path / "dem.tif", grid_of(lu), nodata=-9999, dtype="int16")
    for name, m in (("red", LU == 2), ("pbf", LU == 1), ("ub", LU == 5)):
        out[name] = write_raster(m.astype(np.uint8), tmp_path / f"{name}.tif", grid_of(lu), nodata=None, dtype="uint8")
    return out


def run(args):
    main([str(a) for a in args])


def test_suitability(files, tmp_path):
    out = tmp_path / "suit"
    run(["evaluate", "suitability", "--dem", files["dem"], "--landuse", files["lu"], "--out", out, "--no-charts"])
    assert (out / "agriculture_level5.tif").exists() and (out / "urban_level3.tif").exists()
    miss = pd.read_csv(out / "missing_factors.csv", encoding="utf-8-sig")
    assert "climate (accumulated_temp_0c)" in set(miss.factor)
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(s["evaluated"]) == {"agriculture", "urban"}  # ecology lacks every factor: reported
    a = pd.read_csv(out / "areas_level5.csv", encoding="utf-8-sig")
    assert a[a.evaluation == "agriculture"].area_ha.sum() == pytest.approx(25.0)  # 25 cells of 1 ha


def test_suitability_plan_with_thresholds(files, tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[suitability]
evaluations = ["agriculture"]
[suitability.inputs]
dem = "{files['dem'].name}"
[suitability.factors]
annual_precipitation = 1300
[suitability.thresholds."agriculture.slope"]
breaks = [80, 81, 82, 83]
direction = "lower_is_better"
""", encoding="utf-8")
    out = tmp_path / "suitp"
    run(["evaluate", "suitability", "--plan", plan, "--out", out, "--no-charts"])
    a = pd.read_csv(out / "areas_level5.csv", encoding="utf-8-sig").set_index("level")
    # every slope < 80 deg -> land 1; precipitation 1300 -> water 1; matrix (1,1) = 1 -> all 25 cells level 1
    assert a.loc[1, "area_ha"] == pytest.approx(25.0)


def test_control_lines(files, tmp_path):
    out = tmp_path / "cl"
    run(["evaluate", "control-lines", "--landuse", files["lu"], "--scheme", "national6", "--line",
         f"eco_redline={files['red']}", "--line", f"basic_farmland={files['pbf']}", "--line",
         f"urban_boundary={files['ub']}", "--dem", files["dem"], "--out", out, "--no-charts"])
    c = pd.read_csv(out / "conflicts.csv", encoding="utf-8-sig").set_index("check")
    # built-up (national6 code 5) lies inside the boundary (the boundary is code 5): 0 outside
    assert c.loc["builtup_outside_boundary", "cells"] == 0
    rules = pd.read_csv(out / "rules.csv", encoding="utf-8-sig")
    assert list(rules.columns) == ["line", "applies", "from", "to", "action"]


def test_optimize_plan_writes_simulation_demand(files, tmp_path):
    plan = tmp_path / "opt.toml"
    plan.write_text(f"""
[optimize]
landuse = "{files['lu'].name}"
scheme = "national6"
objectives = ["carbon", "esv"]
method = "lp"
lp_objective = "carbon"
[optimize.esv]
version = "2003"
unit_value_CNY_per_ha = 1000
[optimize.constraints]
cropland_min_ha = 8
max_change = 0.5
water_tolerance = 0.01
""", encoding="utf-8")
    out = tmp_path / "opt"
    run(["optimize", "--plan", plan, "--out", out, "--no-charts"])
    d = pd.read_csv(out / "demand.csv", encoding="utf-8-sig")
    assert list(d.columns[:2]) == ["code", "cells"] and d.cells.sum() == 25


def test_optimize_nsga_chart(files, tmp_path):
    out = tmp_path / "optn"
    plan = tmp_path / "optn.toml"
    plan.write_text("""
[optimize]
objectives = ["carbon", "economy"]
[optimize.economy]
cropland = 3e4
forest = 5e3
grassland = 8e3
water = 1e4
built_up = 5e5
unused = 0
[optimize.constraints]
max_change = 0.5
""", encoding="utf-8")
    run(["optimize", "--plan", plan, "--landuse", files["lu"], "--scheme", "national6", "--method", "nsga2",
         "--seed", 3, "--pop-size", 16, "--generations", 10, "--out", out])
    assert (out / "pareto_front.png").exists() and (out / "demand.csv").exists()
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seeds"]["nsga2"] == 3


def test_bad_inputs_exit_2(files, tmp_path, capsys):
    ahp = tmp_path / "ahp.csv"
    ahp.write_text("c,a,b,c\na,1,9,0.1111111\nb,0.1111111,1,9\nc,9,0.1111111,1\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        run(["evaluate", "mce", "--criterion", f"a={files['dem']}", "--criterion", f"b={files['dem']}",
             "--criterion", f"c={files['dem']}", "--ahp", ahp, "--out", tmp_path / "m"])
    assert e.value.code == 2 and "CR =" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        run(["evaluate", "mce", "--criterion", f"a={files['dem']}", "--criterion", f"b={files['dem']}",
             "--weight", "a=0.5", "--weight", "b=0.6", "--out", tmp_path / "m2"])
    assert e.value.code == 2 and "sum to 1.1" in capsys.readouterr().err
    plan = tmp_path / "bad.toml"
    plan.write_text("[optimize]\nobjectives=['carbon']\nmethod='lp'\n[optimize.constraints]\n"
                    "cropland_min_ha = 20\nforest_min_ha = 10\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        run(["optimize", "--plan", plan, "--landuse", files["lu"], "--scheme", "national6", "--out", tmp_path / "o"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "> total area 25.0 ha" in err


def test_intensive_and_esv(files, tmp_path):
    t = tmp_path / "zones.csv"
    pd.DataFrame({"zone": ["A", "B", "C"], "pop_t1": [100, 200, 50], "pop_t2": [110, 210, 60],
                  "gdp_t1": [1000, 2000, 300], "gdp_t2": [1200, 2100, 400], "land_t1_ha": [10, 20, 5],
                  "land_t2_ha": [11, 23, 6]}).to_csv(t, index=False)
    run(["evaluate", "intensive", "--table", t, "--out", tmp_path / "int"])
    comp = pd.read_csv(tmp_path / "int" / "composite.csv", encoding="utf-8-sig")
    assert len(comp) == 3 and comp["index"].between(0, 100).all()
    run(["evaluate", "esv", "--landuse", files['lu'], files['lu'], "--labels", "a", "b", "--scheme", "national6",
         "--xie-table", "2003", "--unit-value", 1000, "--out", tmp_path / "esv"])
    ch = pd.read_csv(tmp_path / "esv" / "esv_change.csv", encoding="utf-8-sig")
    assert ch["change_CNY_per_yr"].abs().sum() == 0  # same map twice: no change


def test_demo_step(tmp_path):
    from landcarbon.report.charts_plan import render_demo
    from landcarbon.workflow.evaluate import demo_step

    paths = demo_step(tmp_path / "demo", seed=1, pop_size=16, n_gen=10)
    pngs = render_demo(paths)
    assert all(p.exists() for p in pngs.values())
    conf = pd.read_csv(paths["conflict_table"], encoding="utf-8-sig")
    assert conf.set_index("check").loc["pbf_in_redline", "cells"] > 0  # the synthetic county has conflicts
    front = pd.read_csv(paths["pareto_table"], encoding="utf-8-sig")
    assert len(front) > 1 and front["chosen"].sum() == 1


def test_optimize_by_zone(files, tmp_path):
    zones = np.where(np.arange(5)[None, :] < 2, 1, 2).repeat(5, axis=0).astype(np.int32)  # left 2 columns = zone 1
    lu = make_lulc(LU, nodata=0)
    zp = write_raster(zones, tmp_path / "zones.tif", grid_of(lu), nodata=0, dtype="int32")
    plan = tmp_path / "optz.toml"
    plan.write_text(f"""
[optimize]
landuse = "{files['lu'].name}"
scheme = "national6"
objectives = ["carbon"]
method = "lp"
zones = "{zp.name}"
[optimize.constraints]
max_change = 0.5
""", encoding="utf-8")
    out = tmp_path / "optz"
    run(["optimize", "--plan", plan, "--out", out, "--no-charts"])
    dz = pd.read_csv(out / "demand_by_zone.csv", encoding="utf-8-sig")
    # each zone keeps its valid cells: zone 1 = 10 cells, zone 2 = 15 cells; the whole table 25
    assert dz.groupby("zone").cells.sum().to_dict() == {1: 10, 2: 15}
    assert pd.read_csv(out / "demand.csv", encoding="utf-8-sig").cells.sum() == 25


def test_esv_map_and_scenario_demand(files, tmp_path):
    d = tmp_path / "scen.csv"
    # national6 2003 ESV per ha with E_a = 1000: cropland 6910, forest 21850, built-up 0
    # scenario: 2 cropland cells (1 ha each) become forest -> +2 x (21850 - 6910) = +29 880 CNY/a
    counts = pd.Series(LU.ravel()).value_counts().sort_index()
    counts[1] -= 2
    counts[2] += 2
    pd.DataFrame({"code": counts.index, "cells": counts.to_numpy()}).to_csv(d, index=False)
    run(["evaluate", "esv", "--landuse", files['lu'], "--years", 2010, "--demand", f"scenario={d}", "--scheme",
         "national6", "--xie-table", "2003", "--unit-value", 1000, "--out", tmp_path / "esv2"])
    ch = pd.read_csv(tmp_path / "esv2" / "esv_change.csv", encoding="utf-8-sig")
    assert ch["change_CNY_per_yr"].sum() == pytest.approx(29880)
