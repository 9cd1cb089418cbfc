"""A small SYNTHETIC study recorded in a catalog, for the web tests, the load benchmark and for trying
the dashboard before a study has run: ``build_sample(folder)`` → ``folder/catalog.sqlite``.

The synthetic county of ``landcarbon.datasets.county`` (four districts, 200 × 200 cells of 1 ha,
EPSG:32650): its land-use maps of 2010, 2015 and 2020 as observed layers, two scenarios to 2035
(``natural``: towns grow; ``ecological_protection``: slopes reforested) made by editing the 2020 map
with a fixed seed (not a simulation), a carbon-density map of 2020, land and carbon indicators of
every zone, year and scenario assessed against targets by ``models.indicators.assess``, a balance
table per scenario, and a one-page report. Every number here is invented.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

STUDY = "county"
ZONES = (("CG", 1), ("XG", 2), ("QS", 3), ("DX", 4))  # zone id, quadrant code of datasets.county's zones.tif
SCENARIOS = (("natural", "自然发展情景", "natural development", "markov"),
             ("ecological_protection", "生态保护情景", "ecological protection", "markov"))
OBSERVED_YEARS = (2010, 2015, 2020)
TARGET_YEAR = 2035
TARGETS = {"FC": 14.0, "ES": 16.0}
GROUPS = ("cropland", "forest", "grassland", "water", "built_up", "unused")


def _scenario_map(lu2020: np.ndarray, scenario: str, seed: int = 2035) -> np.ndarray:
    """An edited 2020 map: ``natural`` turns cropland next to built-up land into built-up land and
    some forest into cropland; ``ecological_protection`` turns cropland and grassland into forest."""
    rng = np.random.default_rng(seed)
    lu = lu2020.copy()
    u = rng.random(lu.shape)
    if scenario == "natural":
        built = lu == 5
        near = np.zeros_like(built)
        for dy in (-2, -1, 0, 1, 2):
            for dx in (-2, -1, 0, 1, 2):
                near |= np.roll(np.roll(built, dy, 0), dx, 1)
        lu[(lu == 1) & near & (u < 0.6)] = 5
        lu[(lu == 2) & (u < 0.08)] = 1
    else:
        lu[(lu == 1) & (u < 0.15)] = 2
        lu[(lu == 3) & (u < 0.35)] = 2
    lu[lu2020 == 0] = 0
    return lu


def build_sample(folder: str | os.PathLike, *, catalog: str | None = None) -> Path:
    """Write the sample study into ``folder`` (its study folder) and record it in ``folder/catalog.sqlite``
    (or in ``catalog``, a path or URL); returns ``folder``."""
    from affine import Affine

    from ..core.grid import GridSpec
    from ..datasets import county, districts
    from ..io import atomic_write_text, write_csv, write_raster
    from ..io.catalog import OBSERVED, REGION, Catalog
    from ..models.indicators import Target, assess, definitions_frame

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    grid = GridSpec(county.SHAPE, Affine(county.CELL, 0, county.ORIGIN[0], 0, -county.CELL, county.ORIGIN[1]),
                    county.CRS)
    maps: dict[tuple[str, int], np.ndarray] = {(OBSERVED, y): county.landuse(y) for y in OBSERVED_YEARS}
    for sid, *_ in SCENARIOS:
        maps[(sid, TARGET_YEAR)] = _scenario_map(maps[(OBSERVED, 2020)], sid)
    zid = np.zeros(county.SHAPE, dtype=np.int16)
    h, w = county.SHAPE[0] // 2, county.SHAPE[1] // 2
    zid[:h, :w], zid[:h, w:], zid[h:, :w], zid[h:, w:] = 1, 2, 3, 4
    pools = county.POOLS.set_index("lucode")[["c_above", "c_below", "c_soil", "c_dead"]].sum(axis=1)
    density_lut = np.zeros(7, dtype="float32")
    density_lut[pools.index.to_numpy()] = pools.to_numpy()

    cat = Catalog.open(catalog or root, create=True)
    try:
        with cat.transaction():
            cat.record_study(STUDY, name="示例县（合成数据）", region="synthetic county", plan_hash="sample",
                             software_version="sample", language="zh", created="2026-01-01T00:00:00+00:00")
            cat.record_scenarios(STUDY, [{"scenario": s, "name": zh, "name_en": en, "method": m,
                                          "description": county.SYNTHETIC_NOTE} for s, zh, en, m in SCENARIOS])
            cat.record_years(STUDY, [{"year": y, "kind": "observed", "is_base": y == 2020} for y in OBSERVED_YEARS]
                             + [{"year": TARGET_YEAR, "kind": "target"}])
            layer = districts.districts_layer()
            zones = layer.assign(zone=[z for z, _ in ZONES], area_ha=[float((zid == c).sum()) for _, c in ZONES],
                                 parent="")[["zone", "name", "name_en", "parent", "area_ha", "geometry"]]
            cat.record_zones(STUDY, zones)
            cat.record_indicator_defs(STUDY, definitions_frame()[lambda d: d["indicator"].isin(["FC", "ES", "S"])])

            variables, values = [], []
            for (sc, year), lu in sorted(maps.items(), key=lambda kv: (kv[0][0], kv[0][1])):
                sub = "maps" if sc == OBSERVED else f"simulate/{sc}"
                step = f"{sub}/{year}"
                out_dir = f"steps/{step}"
                name = f"landuse_{year}.tif"
                write_raster(lu, root / out_dir / name, grid, nodata=0, dtype="int16")
                atomic_write_text(root / out_dir / "manifest.json",
                                  '{"command": "sample", "parameters": {"scheme": "national6"}}\n')
                cat.record_step(STUDY, step, model="" if sc == OBSERVED else "simulate", scenario=sc, year=year,
                                status="done", out_dir=out_dir, seconds=0.0)
                cat.record_outputs(STUDY, step, [{"path": f"{out_dir}/{name}",
                                                  "kind": "raster" if sc == OBSERVED else "landuse"}], root=root)
                density = density_lut[lu]
                density[lu == 0] = np.nan
                if (sc, year) == (OBSERVED, 2020):
                    stock_step = "stock/2020"
                    write_raster(density, root / "steps" / stock_step / "c_density_2020.tif", grid)
                    cat.record_step(STUDY, stock_step, model="carbon_stock", year=2020, status="done",
                                    out_dir=f"steps/{stock_step}", seconds=0.0)
                    cat.record_outputs(STUDY, stock_step, [{"path": f"steps/{stock_step}/c_density_2020.tif",
                                                            "kind": "raster", "units": "Mg C/ha"}], root=root)
                for zone, code in (*ZONES, (REGION, None)):
                    m = (zid == code) if code is not None else (lu > 0)
                    m = m & (lu > 0)
                    total = float(m.sum())
                    areas = {g: float(((lu == i + 1) & m).sum()) for i, g in enumerate(GROUPS)}
                    for g, a in areas.items():
                        variables.append((sc, year, zone, f"area_{g}_ha", a, "ha"))
                    variables.append((sc, year, zone, "area_total_ha", total, "ha"))
                    stock = float(np.nansum(np.where(m, density, 0.0)))
                    variables.append((sc, year, zone, "stock_MgC", stock, "Mg C"))
                    kind = "observed" if sc == OBSERVED else "projected"
                    values += [
                        (sc, zone, year, "FC", round(areas["forest"] / total * 100, 4), "%", kind),
                        (sc, zone, year, "ES", round((areas["forest"] + areas["grassland"] + areas["water"])
                                                     / total * 100, 4), "%", kind),
                        (sc, zone, year, "S", round(stock, 2), "Mg C", kind)]
            cat.record_variables(STUDY, pd.DataFrame(variables, columns=["scenario", "year", "zone", "variable",
                                                                         "value", "unit"]))
            vals = pd.DataFrame(values, columns=["scenario", "zone", "year", "indicator", "value", "unit", "kind"])
            targets = [Target(k, value=v, year=TARGET_YEAR) for k, v in TARGETS.items()]
            cat.record_indicators(STUDY, assess(vals, targets), source_step="indicators")

            # balance tables: observed 2020 and each scenario's 2035 (invented emissions, absorption from forest)
            for sc, year, step in ((OBSERVED, 2020, "balance"),
                                   *((s, TARGET_YEAR, f"balance/{s}/{TARGET_YEAR}") for s, *_ in SCENARIOS)):
                rows = []
                for (zone, _), (_, _, role) in zip(ZONES, districts.DISTRICTS, strict=True):
                    forest = next(v for s_, y_, z_, n, v, _u in variables
                                  if (s_, y_, z_, n) == (sc, year, zone, "area_forest_ha"))
                    em = {"urban": 420_000.0, "industrial": 610_000.0, "forest": 45_000.0, "farming": 90_000.0}[role]
                    em *= 0.85 if sc == "ecological_protection" else (1.1 if sc == "natural" else 1.0)
                    ab = forest * 12.5
                    rows.append({"zone": zone, "year": year, "emission_tCO2e": em, "absorption_tCO2": ab})
                b = pd.DataFrame(rows)
                b["NCE_tCO2e"] = b["emission_tCO2e"] - b["absorption_tCO2"]
                b["CCR"] = b["absorption_tCO2"] / b["emission_tCO2e"]
                b["CCR_relative"] = b["CCR"] / (b["absorption_tCO2"].sum() / b["emission_tCO2e"].sum())
                b["zone_balance3"] = np.where(b["CCR_relative"] < 0.9, "payment",
                                              np.where(b["CCR_relative"] > 1.1, "receiving", "balance"))
                b["zone_quadrant"] = np.where(b["CCR_relative"] > 1.0, "carbon_sink_function", "high_carbon_optimisation")
                out_dir = f"steps/{step}"
                write_csv(b, root / out_dir / "balance_by_zone.csv")
                cat.record_step(STUDY, step, model="balance", scenario=sc, year=year, status="done", out_dir=out_dir,
                                seconds=0.0)
                cat.record_outputs(STUDY, step, [{"path": f"{out_dir}/balance_by_zone.csv", "kind": "table"}],
                                   root=root)
            atomic_write_text(root / "steps/report/report.html",
                              "<!doctype html><meta charset='utf-8'><title>示例县 sample report</title>"
                              f"<h1>示例县（合成数据）</h1><p>{county.SYNTHETIC_NOTE}</p>\n")
            cat.record_step(STUDY, "report", model="report", status="done", out_dir="steps/report", seconds=0.0)
            cat.record_outputs(STUDY, "report", [{"path": "steps/report/report.html", "kind": "html"}], root=root)
    finally:
        cat.close()
    return root


__all__ = ["STUDY", "ZONES", "build_sample"]
