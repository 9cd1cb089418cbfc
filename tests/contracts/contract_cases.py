"""One small, fast case per registered model: ``CASES[model_id](tmp_path) -> command-line arguments``
(without ``--out``). The contract test runs each through the CLI and checks the outputs it writes
against the model's spec. Add a case when you register a model."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

CASES: dict[str, Callable[[Path], list]] = {}


@cache
def county() -> dict[str, Path]:
    """The synthetic county (``landcarbon.datasets.county``), written once per test process: landuse_2010/
    2015/2020, dem, dist_road, pop_density, eco_redline, basic_farmland, urban_boundary (.tif),
    urban_boundary_gpkg, zones (districts.gpkg, field ``name``), zones_raster, pools, energy, socioeconomic,
    history, scenarios."""
    from landcarbon.datasets.county import write_county

    return write_county(tempfile.mkdtemp(prefix="landcarbon-county-"))


def case(model_id: str):
    def deco(fn):
        CASES[model_id] = fn
        return fn

    return deco


@case("change")
def _change_case(tmp: Path) -> list:
    c = county()
    return ["--landuse", c["landuse_2010"], c["landuse_2020"], "--years", "2010", "2020", "--zones", c["zones"],
            "--zone-field", "name", "--scheme", "national6", "--lang", "zh"]


@case("demand")
def _demand_case(tmp: Path) -> list:
    c = county()
    return ["--landuse", c["landuse_2010"], c["landuse_2020"], "--years", "2010", "2020", "--target", "2025", "2030",
            "--scenario", "cropland_protection", "--scheme", "national6"]


@case("validate")
def _validate_case(tmp: Path) -> list:
    c = county()
    # add "--fom-map" once io.rasters.write_raster writes band units (fom_categories.tif declares "-")
    return ["--landuse", c["landuse_2010"], "--observed", c["landuse_2020"], "--simulated", c["landuse_2015"],
            "--zones", c["zones_raster"], "--sample-rate", "0.5", "--seed", "3"]


@case("simulate")
def _simulate_case(tmp: Path) -> list:
    import numpy as np
    import pandas as pd
    import rasterio

    c = county()
    with rasterio.open(c["landuse_2020"]) as src:
        a = src.read(1)
        codes, n = np.unique(a[a != src.nodata], return_counts=True)
    cells = dict(zip(codes.tolist(), n.tolist()))
    cells[5] += 150                                   # built-up grows, cropland pays
    cells[1] -= 150
    pd.DataFrame({"year": 2025, "code": list(cells), "cells": list(cells.values())}).to_csv(tmp / "demand.csv",
                                                                                            index=False)
    return ["--calibrate-from", c["landuse_2010"], "--calibrate-to", c["landuse_2015"], "--landuse", c["landuse_2020"],
            "--driver", c["dem"], "--driver", c["dist_road"], "--demand", tmp / "demand.csv",
            "--line", f"eco_redline={c['eco_redline']}", "--line", f"urban_boundary={c['urban_boundary_gpkg']}",
            "--pools", c["pools"], "--seed", "3", "--trees", "5", "--sample-rate", "0.2", "--jobs", "1"]


def _county_emissions(tmp: Path) -> Path:
    """A tiny emissions table of the county's four districts (t CO2e/a, t CO2/a), 2022-2023."""
    import pandas as pd

    p = tmp / "emissions_by_zone.csv"
    pd.DataFrame({"zone": ["城关区", "新港区", "青山县", "稻香县"] * 2, "year": [2022] * 4 + [2023] * 4,
                  "emission_tCO2e": [9e5, 6e5, 1e5, 2e5, 8.5e5, 5.8e5, 0.9e5, 1.8e5],
                  "absorption_tCO2": [1e4, 2e4, 3e5, 1e5, 1.1e4, 2.1e4, 3.1e5, 1.1e5]}).to_csv(p, index=False)
    return p


@case("balance")
def _balance_case(tmp: Path) -> list:
    c = county()
    # without zones: the choropleths take seconds (tests/cli/test_bad_input_balance_peak_allocate.py draws them)
    return ["--emissions", _county_emissions(tmp), "--socioeconomic", c["socioeconomic"], "--price", "79.42",
            "--price-unit", "CNY/t CO2", "--pearl"]


@case("peak")
def _peak_case(tmp: Path) -> list:
    c = county()
    return ["--history", c["history"], "--scenarios", c["scenarios"], "--bootstrap", "20", "--seed", "1",
            "--horizon", "2050"]


@case("allocation")
def _allocation_case(tmp: Path) -> list:
    import pandas as pd

    c = county()
    se = pd.read_csv(c["socioeconomic"], encoding="utf-8-sig").query("year == 2023")
    ind = se[["zone", "population_1e4", "gdp_1e8CNY"]].assign(emission_tCO2e=[8.5e5, 5.8e5, 0.9e5, 1.8e5])
    ind.to_csv(tmp / "indicators.csv", index=False)
    bal = pd.DataFrame({"zone": ind["zone"], "year": 2023, "value_allowance_CNY": [3e6, 1e6, -2.5e6, -1.5e6]})
    bal.to_csv(tmp / "balance_by_zone.csv", index=False)
    return ["--indicators", tmp / "indicators.csv", "--quota", "150", "--quota-unit", "1e4 t CO2e", "--method",
            "zsg-dea", "--dea-inputs", "population", "--balance", tmp / "balance_by_zone.csv", "--balance-year",
            "2023"]


# --------------------------------------------------------------------------------------------------
# planning evaluations and optimisation (evaluate suitability|mce|control-lines|intensive|esv, optimize)
@case("suitability")
def _suitability_case(tmp: Path) -> list:
    c = county()
    return ["--dem", c["dem"], "--landuse", c["landuse_2020"], "--zones", c["zones"], "--zone-field", "name",
            "--evaluations", "agriculture", "--lang", "zh"]


@case("mce")
def _mce_case(tmp: Path) -> list:
    c = county()
    return ["--criteria", f"elevation={c['dem']}", f"road={c['dist_road']}", "--directions", "road=-1",
            "--weights", "elevation=0.4", "road=0.6"]


@case("control_lines")
def _control_lines_case(tmp: Path) -> list:
    c = county()
    return ["--landuse", c["landuse_2020"], "--scheme", "national6", "--lines", f"eco_redline={c['eco_redline']}",
            f"basic_farmland={c['basic_farmland']}", f"urban_boundary={c['urban_boundary_gpkg']}", "--dem", c["dem"],
            "--zones", c["zones"], "--zone-field", "name", "--no-charts"]


@case("intensive")
def _intensive_case(tmp: Path) -> list:
    t = tmp / "intensive.csv"
    t.write_text("zone,pop_t1,pop_t2,gdp_t1,gdp_t2,land_t1_ha,land_t2_ha\nA,12000,13000,50000,60000,900,950\n"
                 "B,30000,31000,90000,99000,1500,1650\nC,8000,8400,20000,26000,500,520\n", encoding="utf-8")
    return ["--table", t]


@case("esv")
def _esv_case(tmp: Path) -> list:
    c = county()
    return ["--landuse", c["landuse_2010"], c["landuse_2020"], "--years", 2010, 2020, "--scheme", "national6",
            "--xie-table", "2003", "--unit-value", 1000, "--zones", c["zones"], "--zone-field", "name"]


@case("optimize")
def _optimize_case(tmp: Path) -> list:
    c = county()
    plan = tmp / "optimize.toml"
    plan.write_text("[optimize]\n[optimize.economy]\ncropland = 3e4\nforest = 5e3\ngrassland = 8e3\nwater = 1e4\n"
                    "built_up = 5e5\nunused = 0\n[optimize.constraints]\nmax_change = 0.3\n", encoding="utf-8")
    return ["--plan", plan, "--landuse", c["landuse_2020"], "--scheme", "national6", "--objectives", "carbon",
            "economy", "--method", "nsga2", "--seed", 1, "--pop-size", 12, "--generations", 5, "--no-charts"]


@case("indicators")
def _indicators_case(tmp: Path) -> list:
    c = county()
    v = tmp / "variables.csv"
    v.write_text("zone,year,variable,value,unit\n,2010,gdp_1e4CNY,1000000,10^4 CNY\n,2020,gdp_1e4CNY,1500000,10^4 CNY\n"
                 ",2010,population,2000000,persons\n,2020,population,2100000,persons\n"
                 ",2010,green_building_pct,5,%\n,2020,green_building_pct,40,%\n", encoding="utf-8")
    t = tmp / "targets.csv"
    t.write_text("indicator,target,target_hi,year,zone,warning,tolerance,direction\nFC,15,,2035,,,,\n"
                 "PCB,25,60,,,,,\nUB,,,,,,0,\nGB,70,,2025,,0.1,,\n", encoding="utf-8")
    u = tmp / "user.csv"
    u.write_text("indicator,expression,unit,direction,name_zh,name_en\ncrop_share,area_cropland_ha / area_total_ha * 100,"
                 "%,higher,耕地占比,cropland share\n", encoding="utf-8")
    return ["--variables", v, "--landuse", c["landuse_2010"], c["landuse_2020"], "--zones", c["zones_raster"],
            "--lines", f"eco_redline={c['eco_redline']}", f"urban_boundary={c['urban_boundary']}",
            "--scheme", "national6", "--base-year", 2010, "--targets", t, "--user-indicators", u]


# --------------------------------------------------------------------------------------------------
# carbon stock and emissions (landcarbon stock | emissions)
@case("carbon_stock")
def _carbon_stock_case(tmp: Path) -> list:
    c = county()
    return ["--landuse", c["landuse_2010"], c["landuse_2020"], "--years", 2010, 2020, "--pools", c["pools"],
            "--zones", c["zones"], "--zone-field", "name", "--price", 43, "--price-unit", "CNY/t C",
            "--discount-rate", 7, "--price-change", 0, "--pool-maps"]


@case("emissions")
def _emissions_case(tmp: Path) -> list:
    c = county()
    return ["--landuse", c["landuse_2020"], "--year", 2020, "--zones", c["zones"], "--zone-field", "name",
            "--energy", c["energy"], "--grid-factor", 0.55, "--hold-landuse"]
