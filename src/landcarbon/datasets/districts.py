"""A deterministic SYNTHETIC districts dataset for the demo of emissions, balance and peak.

Everything here is invented (no real place, no real statistics): four districts of a fictitious county
on a 200 × 200 grid of 100 m cells (1 ha each) in EPSG:32650, with a land-use map in the six national groups,
fuel-consumption tables 2021–2023 (Chinese fuel names and statistical units: 万吨, 亿立方米, 亿千瓦时),
socio-economic tables, a 2005–2022 history of the whole county for STIRPAT and three scenarios (baseline,
low_carbon, high_growth). The same call always returns the same data (fixed seed).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

SYNTHETIC_NOTE = "SYNTHETIC demo data (landcarbon.datasets.districts); not real statistics"
CRS = "EPSG:32650"
ORIGIN = (500_000.0, 3_400_000.0)
CELL = 100.0
SHAPE = (200, 200)
SEED = 20_240_601
HISTORY_SEED = 20_240_620

#: district name (zh), English name, role
DISTRICTS = [("城关区", "Chengguan (urban core)", "urban"), ("新港区", "Xingang (industrial)", "industrial"),
             ("青山县", "Qingshan (forest)", "forest"), ("稻香县", "Daoxiang (farming)", "farming")]
REGION = "湖北"  # grid-factor region of the fictitious county (华中 grid)


def districts_layer():
    """Four rectangular districts (quadrants of the grid) as a GeoDataFrame with name, name_en, role."""
    import geopandas as gpd
    from shapely.geometry import box

    x0, y0 = ORIGIN
    h, w = SHAPE[0] * CELL, SHAPE[1] * CELL
    boxes = [box(x0, y0 - h / 2, x0 + w / 2, y0), box(x0 + w / 2, y0 - h / 2, x0 + w, y0),
             box(x0, y0 - h, x0 + w / 2, y0 - h / 2), box(x0 + w / 2, y0 - h, x0 + w, y0 - h / 2)]
    return gpd.GeoDataFrame({"name": [d[0] for d in DISTRICTS], "name_en": [d[1] for d in DISTRICTS],
                             "role": [d[2] for d in DISTRICTS], "note": SYNTHETIC_NOTE},
                            geometry=boxes, crs=CRS)


def landuse_map(year: int = 2022):
    """National-6 land-use map (1 cropland … 6 unused, 0 = nodata on a 2-cell border), deterministic."""
    from ..testing import make_lulc

    rng = np.random.default_rng(SEED)
    rows, cols = SHAPE
    yy, xx = np.mgrid[0:rows, 0:cols]
    noise = rng.random(SHAPE)
    top, left = yy < rows // 2, xx < cols // 2
    lu = np.full(SHAPE, 1, dtype=np.int16)
    # urban core (top-left): mostly built-up, some cropland and water
    q = top & left
    lu[q] = np.where(noise[q] < 0.62, 5, np.where(noise[q] < 0.82, 1, np.where(noise[q] < 0.92, 4, 2)))
    # industrial (top-right)
    q = top & ~left
    lu[q] = np.where(noise[q] < 0.40, 5, np.where(noise[q] < 0.75, 1, np.where(noise[q] < 0.85, 2, 4)))
    # forest county (bottom-left)
    q = ~top & left
    lu[q] = np.where(noise[q] < 0.65, 2, np.where(noise[q] < 0.80, 3, np.where(noise[q] < 0.92, 1,
                     np.where(noise[q] < 0.96, 4, np.where(noise[q] < 0.98, 5, 6)))))
    # farming county (bottom-right)
    q = ~top & ~left
    lu[q] = np.where(noise[q] < 0.60, 1, np.where(noise[q] < 0.75, 2, np.where(noise[q] < 0.85, 4,
                     np.where(noise[q] < 0.93, 3, np.where(noise[q] < 0.98, 5, 6)))))
    lu[:2, :] = 0
    lu[-2:, :] = 0
    lu[:, :2] = 0
    lu[:, -2:] = 0
    da = make_lulc(lu, cell_size=CELL, nodata=0, crs=CRS, origin=ORIGIN, name=f"landuse_{year}")
    da.attrs["note"] = SYNTHETIC_NOTE
    return da


_FUELS = [  # fuel, unit, 2021 amount per district role (urban, industrial, forest, farming)
    ("原煤", "万吨", (8.0, 95.0, 3.0, 6.0)),
    ("焦炭", "万吨", (0.5, 22.0, 0.1, 0.2)),
    ("汽油", "万吨", (9.0, 5.0, 1.2, 2.0)),
    ("柴油", "万吨", (6.0, 9.0, 1.5, 4.0)),
    ("天然气", "亿立方米", (2.4, 3.1, 0.2, 0.3)),
    ("电力", "亿千瓦时", (28.0, 46.0, 3.0, 6.0)),
]
_FUEL_TREND = {"原煤": -0.05, "焦炭": -0.03, "汽油": 0.02, "柴油": -0.01, "天然气": 0.08, "电力": 0.05}


def energy_table(years=(2021, 2022, 2023)) -> pd.DataFrame:
    """Final fuel consumption per district and year (consumption scope), Chinese names and units."""
    rows = []
    for i, (name, _, _) in enumerate(DISTRICTS):
        for fuel, unit, base in _FUELS:
            for y in years:
                rows.append({"zone": name, "year": y, "fuel": fuel,
                             "amount": round(base[i] * (1 + _FUEL_TREND[fuel]) ** (y - years[0]), 4), "unit": unit})
    return pd.DataFrame(rows)


def socioeconomic_table(years=(2021, 2022, 2023)) -> pd.DataFrame:
    """GDP (亿元, constant prices), resident population (万人) and Engel coefficient per district and year."""
    base = {"城关区": (820.0, 95.0, 0.27), "新港区": (610.0, 48.0, 0.30), "青山县": (95.0, 22.0, 0.36),
            "稻香县": (140.0, 41.0, 0.38)}
    rows = []
    for name, (gdp, pop, engel) in base.items():
        for y in years:
            k = y - years[0]
            rows.append({"zone": name, "year": y, "gdp_1e8CNY": round(gdp * 1.055 ** k, 3),
                         "population_1e4": round(pop * 1.004 ** k, 3), "engel": round(engel - 0.004 * k, 4)})
    return pd.DataFrame(rows)


def history_table(start: int = 2000, end: int = 2022) -> pd.DataFrame:
    """County totals for STIRPAT: emissions (10^4 t CO2), population (10^4), per-capita GDP (CNY, constant
    prices), energy intensity (tce per 10^4 CNY), coal share (%). Generated from a known STIRPAT relation
    (ln C = −8.22 + 1.05 ln P + 0.78 ln A + 0.62 ln EI + 0.35 ln coal) with seeded noise, so the fit has a
    right answer; the drivers' growth rates wander so that every OLS VIF stays below 10."""
    rng = np.random.default_rng(HISTORY_SEED)
    t = np.arange(start, end + 1)
    n = len(t)
    pop = 190.0 * np.cumprod(np.r_[1.0, 1 + rng.normal(0.002, 0.012, n - 1)])
    pcgdp = 21_000.0 * np.cumprod(np.r_[1.0, 1 + rng.normal(0.07, 0.04, n - 1)])
    ei = 1.25 * np.cumprod(np.r_[1.0, 1 + rng.normal(-0.03, 0.05, n - 1)])
    coal = 60.0 + rng.normal(0, 5.0, n)
    ln_c = -8.22 + 1.05 * np.log(pop) + 0.78 * np.log(pcgdp) + 0.62 * np.log(ei) + 0.35 * np.log(coal)
    c = np.exp(ln_c + rng.normal(0, 0.01, n))
    return pd.DataFrame({"year": t, "emissions_1e4tCO2": np.round(c, 3), "population": np.round(pop, 3),
                         "pcgdp": np.round(pcgdp, 1), "energy_intensity": np.round(ei, 4),
                         "coal_share": np.round(coal, 2)})


def scenarios_table() -> pd.DataFrame:
    """baseline / low_carbon / high_growth, growth rates (% per year) by period to 2060 (synthetic choices)."""
    periods = ["2023-2025", "2026-2030", "2031-2035", "2036-2045", "2046-2060"]
    spec = {  # population, pcgdp, energy_intensity, coal_share growth (% per year) per period
        "baseline": [(0.4, 0.3, 0.1, -0.1, -0.3), (5.5, 5.0, 4.5, 3.5, 2.5), (-3.0, -3.0, -3.0, -3.0, -3.0),
                     (-1.5, -2.0, -2.5, -3.0, -3.5)],
        "low_carbon": [(0.4, 0.3, 0.1, -0.1, -0.3), (5.5, 5.0, 4.5, 3.5, 2.5), (-4.0, -4.5, -4.5, -4.5, -4.5),
                       (-3.0, -4.0, -5.0, -6.0, -7.0)],
        "high_growth": [(0.6, 0.5, 0.3, 0.1, -0.1), (7.0, 6.5, 5.5, 4.5, 3.0), (-2.5, -2.5, -2.5, -2.5, -2.5),
                        (-1.0, -1.5, -2.0, -2.5, -3.0)],
    }
    rows = []
    for name, (p, g, e, c) in spec.items():
        for i, per in enumerate(periods):
            rows.append({"scenario": name, "period": per, "population_growth_pct": p[i], "pcgdp_growth_pct": g[i],
                         "energy_intensity_growth_pct": e[i], "coal_share_growth_pct": c[i]})
    return pd.DataFrame(rows)


def write_districts(folder: str | os.PathLike) -> dict[str, Path]:
    """Write the synthetic inputs (GeoPackage, GeoTIFF, CSV) into ``folder``; returns the paths."""
    from ..core.grid import grid_of
    from ..io import atomic_write_text, write_csv, write_gpkg, write_raster

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    lu = landuse_map()
    paths = {"zones": d / "districts.gpkg", "landuse": d / "landuse_2022.tif", "energy": d / "energy.csv",
             "socioeconomic": d / "socioeconomic.csv", "history": d / "history.csv",
             "scenarios": d / "scenarios.csv"}
    write_gpkg(districts_layer(), paths["zones"])
    write_raster(lu.values, paths["landuse"], grid_of(lu), nodata=0, dtype="int16")
    write_csv(energy_table(), paths["energy"])
    write_csv(socioeconomic_table(), paths["socioeconomic"])
    write_csv(history_table(), paths["history"])
    write_csv(scenarios_table(), paths["scenarios"])
    atomic_write_text(d / "README.txt", SYNTHETIC_NOTE + "\n")
    return paths
