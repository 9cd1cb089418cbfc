"""A tiny study, computed by hand: every indicator of methods.md §14 and every status rule, end to end
(plan file → steps → catalog), on two zones of 100 one-hectare cells and three observed years.

Zone 1 (columns 0–9), zone 2 (columns 10–19); rows 0–9; codes of the six national groups.
Zone 1: 2000 forest rows 0–2 (30), cropland rows 3–7 (50), built-up rows 8–9 (20); 2005 cell (2, 9)
forest → built-up; 2010 also (2, 8) forest → built-up and (3, 0) cropland → built-up.
Zone 2: forest rows 0–1 (20), grassland rows 2–3 (20), water row 4 (10), cropland rows 5–9 (50); 2010 cell
(9, 19) cropland → built-up. Red line: zone 1 rows 0–2. Urban boundary: zone 1 rows 8–9 and (3, 0). Basic
farmland: zone 1 rows 4–7 and zone 2 row 9. Densities (Mg C/ha): cropland 10, forest 100, grassland 20,
water 0, built-up 5. GDP (10^4 CNY), population and green-building share from the socio-economic table;
emissions and absorption of the whole region given as a variables table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from landcarbon.cli.main import main
from landcarbon.core.grid import GridSpec
from landcarbon.io import write_raster
from landcarbon.io.catalog import Catalog

C, F, G, W, B = 1, 2, 3, 4, 5


def _maps() -> dict[int, np.ndarray]:
    a = np.zeros((10, 20), np.int16)
    a[0:3, 0:10], a[3:8, 0:10], a[8:10, 0:10] = F, C, B
    a[0:2, 10:20], a[2:4, 10:20], a[4, 10:20], a[5:10, 10:20] = F, G, W, C
    m05 = a.copy()
    m05[2, 9] = B
    m10 = m05.copy()
    m10[2, 8], m10[3, 0], m10[9, 19] = B, B, B
    return {2000: a, 2005: m05, 2010: m10}


PLAN = """
[study]
id = "tiny"
name = "tiny study"
region = "tiny"

[maps]
2000 = "landuse_2000.tif"
2005 = "landuse_2005.tif"
2010 = "landuse_2010.tif"

[zones]
file = "zones.tif"

[lines]
eco_redline = "eco_redline.tif"
basic_farmland = "basic_farmland.tif"
urban_boundary = "urban_boundary.tif"

[tables]
pools = "pools.csv"
socioeconomic = "socio.csv"
variables = "given.csv"

[years]
base = 2000

[indicators]
base_year = 2000
crop_target = { "" = 100, "1" = 50, "2" = 50 }

[[indicators.targets]]
indicator = "FC"
target = 25.0

[[indicators.targets]]
indicator = "FC"
zone = "1"
target = 27.5
year = 2020

[[indicators.targets]]
indicator = "CR"
target = 100.0

[[indicators.targets]]
indicator = "BF"
target = 100.0

[[indicators.targets]]
indicator = "ES"
target = 35.0
warning = 0.1

[[indicators.targets]]
indicator = "RE"

[[indicators.targets]]
indicator = "UB"
tolerance = 1.0

[[indicators.targets]]
indicator = "UX"
target = 1.3

[[indicators.targets]]
indicator = "BLG"
target = 150.0
warning = 0.1

[[indicators.targets]]
indicator = "PCB"
target = [80.0, 110.0]

[[indicators.targets]]
indicator = "NCE"
target = 950.0

[[indicators.targets]]
indicator = "CIR"
target = 18.0

[[indicators.targets]]
indicator = "GB"
target = 70.0
year = 2025

[[indicators.targets]]
indicator = "crop_share"
target = 50.0

[[indicators.user]]
id = "crop_share"
expression = "area_cropland_ha / area_total_ha * 100"
unit = "%"
direction = "higher"
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    grid = GridSpec((10, 20), Affine(100.0, 0, 500_000.0, 0, -100.0, 3_400_000.0), "EPSG:32650")
    for y, a in _maps().items():
        write_raster(a, d / f"landuse_{y}.tif", grid, nodata=0, dtype="int16")
    z = np.ones((10, 20), np.int16)
    z[:, 10:] = 2
    write_raster(z, d / "zones.tif", grid, nodata=0, dtype="int16")
    red, pbf, ugb = (np.zeros((10, 20), np.uint8) for _ in range(3))
    red[0:3, 0:10] = 1
    pbf[4:8, 0:10], pbf[9, 10:20] = 1, 1
    ugb[8:10, 0:10], ugb[3, 0] = 1, 1
    for name, m in (("eco_redline", red), ("basic_farmland", pbf), ("urban_boundary", ugb)):
        write_raster(m, d / f"{name}.tif", grid, nodata=255, dtype="uint8")
    pd.DataFrame({"lucode": [1, 2, 3, 4, 5, 6], "lulc_name": list("cfgwbu"), "c_above": 0.0, "c_below": 0.0,
                  "c_soil": [10.0, 100.0, 20.0, 0.0, 5.0, 0.0], "c_dead": 0.0}).to_csv(d / "pools.csv", index=False)
    rows = []
    for zone, gdp, pop, gb in (("1", (1000, 1500, 2000), (2000, 2000, 2000), (10, 20, 30)),
                               ("2", (500, 600, 800), (1000, 1000, 1100), (None, None, None))):
        for i, y in enumerate((2000, 2005, 2010)):
            rows.append({"zone": zone, "year": y, "gdp_1e4CNY": gdp[i], "population": pop[i],
                         "green_building_pct": gb[i]})
    pd.DataFrame(rows).to_csv(d / "socio.csv", index=False)
    pd.DataFrame({"zone": "", "year": [2000, 2005, 2010] * 2,
                  "variable": ["emission_tCO2"] * 3 + ["absorption_tCO2"] * 3,
                  "value": [1000.0, 1100.0, 1150.0, 100.0, 120.0, 150.0], "unit": "t CO2/a"}).to_csv(
        d / "given.csv", index=False)
    (d / "plan.toml").write_text(PLAN, encoding="utf-8")
    out = d / "study"
    main(["run", str(d / "plan.toml"), "--out", str(out)])
    ind = pd.read_csv(out / "results" / "indicators.csv", encoding="utf-8-sig", keep_default_na=False,
                      dtype={"zone": str, "scenario": str})
    return out, ind


def _get(ind, indicator, zone, year):
    r = ind[(ind["indicator"] == indicator) & (ind["zone"] == zone) & (ind["year"] == year)]
    assert len(r) == 1, (indicator, zone, year, len(r))
    return r.iloc[0]


# (indicator, zone, {year: (value, status)}), every value computed by hand from the module docstring
EXPECTED = [
    ("FC", "1", {2000: (30.0, "met"), 2005: (29.0, "met"), 2010: (28.0, "warning")}),  # trend: crossing 2020
    ("FC", "2", {2000: (20.0, "breached"), 2010: (20.0, "breached")}),                 # 20 < 25 × 0.95
    ("FC", "", {2000: (25.0, "met"), 2005: (24.5, "warning"), 2010: (24.0, "warning")}),
    ("CR", "", {2000: (100.0, "met"), 2010: (98.0, "warning")}),
    ("CR", "1", {2005: (100.0, "met"), 2010: (98.0, "warning")}),
    ("BF", "2", {2005: (100.0, "met"), 2010: (90.0, "breached")}),
    ("BF", "", {2010: (98.0, "warning")}),                                             # 49 of 50 cells
    ("ES", "1", {2000: (30.0, "breached")}), ("ES", "2", {2010: (50.0, "met")}),
    ("ES", "", {2000: (40.0, "met"), 2005: (39.5, "met"), 2010: (39.0, "met")}),
    ("RE", "", {2000: (0.0, "met"), 2005: (1.0, "breached"), 2010: (2.0, "breached")}),
    ("UB", "", {2000: (0.0, "met"), 2005: (1.0, "met"), 2010: (3.0, "breached")}),     # tolerance 1 ha
    ("UB", "2", {2010: (1.0, "met")}),
    ("UX", "", {2000: (1.05, "met"), 2010: (1.05, "met")}),                            # 21 / 20
    ("BLG", "1", {2000: (200.0, "breached"), 2005: (140.0, "met"), 2010: (115.0, "met")}),
    ("BLG", "", {2000: (20e4 / 1500, "met"), 2010: (24e4 / 2800, "met")}),
    ("PCB", "1", {2000: (100.0, "met"), 2005: (105.0, "met"), 2010: (115.0, "warning")}),  # band 80-110
    ("PCB", "", {2000: (20e4 / 3000, "breached"), 2010: (24e4 / 3100, "warning")}),
    ("S", "1", {2000: (3600.0, None), 2005: (3505.0, None), 2010: (3405.0, None)}),
    ("S", "", {2000: (6500.0, None), 2010: (6300.0, None)}),
    ("K", "1", {2005: (-19.0, None), 2010: (-20.0, None)}), ("K", "2", {2005: (0.0, None), 2010: (-1.0, None)}),
    ("NCE", "", {2000: (900.0, "met"), 2005: (980.0, "warning"), 2010: (1000.0, "breached")}),
    ("CI", "", {2000: (1000 / 1500, None), 2005: (1100 / 2100, None), 2010: (1150 / 2800, None)}),
    ("CIR", "", {2000: (0.0, "breached"), 2005: ((1 - (1100 / 2100) / (1000 / 1500)) * 100, "met"),
                 2010: ((1 - (1150 / 2800) / (1000 / 1500)) * 100, "met")}),
    ("PCE", "", {2000: (1000 / 3000, None), 2010: (1150 / 3100, None)}),
    ("GB", "1", {2000: (10.0, "breached"), 2010: (30.0, "breached")}),
    ("crop_share", "", {2000: (50.0, "met"), 2010: (49.0, "warning")}),
]


@pytest.mark.parametrize("indicator,zone,years", EXPECTED, ids=[f"{e[0]}-{e[1] or 'region'}" for e in EXPECTED])
def test_indicator_by_hand(tiny, indicator, zone, years):
    _, ind = tiny
    for year, (value, status) in years.items():
        r = _get(ind, indicator, zone, year)
        assert math.isclose(float(r["value"]), value, rel_tol=1e-9, abs_tol=1e-9), (indicator, zone, year, r["value"])
        assert (r["status"] or None) == status, (indicator, zone, year, r["status"])


def test_trend_warning_names_the_crossing_year(tiny):
    _, ind = tiny
    r = _get(ind, "FC", "1", 2010)
    assert str(r["trend"]) == "True" and int(r["trend_year"]) == 2020   # 30 − 0.2 (t − 2000) < 26.125 after 2019.4
    assert str(_get(ind, "FC", "1", 2005)["trend"]) == "False"            # two years: no trend yet


def test_no_row_where_inputs_are_missing(tiny):
    _, ind = tiny
    assert ind[(ind["indicator"] == "UX") & (ind["zone"] == "2")].empty    # zone 2 has no urban boundary
    assert ind[(ind["indicator"] == "GB") & (ind["zone"] == "2")].empty    # no series given
    assert not ind["value"].astype(str).str.lower().eq("nan").any()


def test_the_catalog_holds_the_rows(tiny):
    out, ind = tiny
    with Catalog.open(out) as cat:
        rows = cat.indicators("tiny")
        assert len(rows) == len(ind)
        fc = cat.series("tiny", "FC", zone="1")
        assert fc["value"].tolist() == pytest.approx([30.0, 29.0, 28.0], rel=1e-12)
        z = cat.zones("tiny")
        assert set(z["zone"]) == {"", "1", "2"} and z.set_index("zone").loc["1", "area_ha"] == 100.0
        st = cat.steps("tiny")
        assert set(st["status"]) == {"done"} and "indicators/observed" in set(st["step"])
        defs = cat.indicator_defs("tiny")
        assert "crop_share" in set(defs["indicator"])
        assert set(cat.years("tiny")["year"]) == {2000, 2005, 2010}
