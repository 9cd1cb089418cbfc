"""The 双评价 model's spec and the schema of its option file (the plan's ``[suitability]`` table)."""

from __future__ import annotations

from ...core.spec import AnyOf, Column, Input, ModelSpec, Output, Present, RasterOut, TableOut
from .common import ALIGN, CHARTS, LANG, ZONE_INPUTS, Named, plan_input
from .suitability import EVALUATIONS
from .suitability_tables import FILL_KEYS, MATRIX_KEYS, PROFILES, SERVICE_PATTERN, factor_keys, threshold_keys

#: the title of each evaluation's maps (charts read them from here): (en, zh)
TITLES = {"agriculture": ("Agricultural production suitability", "农业生产适宜性"),
          "urban": ("Urban construction suitability", "城镇建设适宜性"),
          "ecology": ("Ecological protection importance", "生态保护重要性")}

_LEVEL_COLUMNS = (Column("evaluation"), Column("zone"), Column("level", "level"), Column("level_zh"),
                  Column("level_en"), Column("cells", "cells"), Column("area_ha", "ha"))
_MAPS = AnyOf((Present("dem"), Present("plan")))


def _level_outputs() -> tuple[RasterOut, ...]:
    out = []
    for ev, (en, zh) in TITLES.items():
        best = "most important" if ev == "ecology" else "most suitable"
        best_zh = "最重要" if ev == "ecology" else "最适宜"
        when = Present("plan") if ev == "ecology" else _MAPS
        out.append(RasterOut(f"{ev}_level5.tif", dtype="uint8", units=f"level 1-5 (1 = {best})", when=when,
                             doc=f"{en}: 5 levels, 1 = {best} … 5 = least (uint8, 0 = nodata); written when the "
                                 f"evaluation ran (see summary 'evaluated')",
                             doc_zh=f"{zh}：5 级（1 = {best_zh}，0 = 无数据）"))
        out.append(RasterOut(f"{ev}_level3.tif", dtype="uint8", units=f"level 1-3 (1 = {best})", when=when,
                             doc=f"{en}: 3 levels (1-2 → 1, 3 → 2, 4-5 → 3 [D]; suitable cells inside ecology "
                                 f"level 1 moved to the exclusion level)",
                             doc_zh=f"{zh}：3 级（适宜、一般适宜、不适宜）"))
    return tuple(out)


SPEC = ModelSpec(
    id="suitability", version="2", title_en="Suitability evaluation (双评价)",
    title_zh="资源环境承载能力和国土空间开发适宜性评价", methods_ref="methods.md §10",
    doc="Ecological protection importance, agricultural production and urban construction suitability (5 and 3 "
        "levels), areas by zone and land-use class, the factors missing and their effect. Factor rasters, "
        "thresholds, fill levels and matrices come from the plan's [suitability] table.",
    examples=("landcarbon evaluate suitability --dem dem.tif --landuse lu2020.tif \\",
              "    --zones districts.gpkg --zone-field name --out suitability/",
              "landcarbon evaluate suitability --plan plan.toml --out suitability/"),
    inputs=(
        plan_input("suitability"),
        Input("dem", kind="raster", units="m", label_zh="数字高程模型", metavar="TIF",
              doc="DEM (m): slope, elevation and relief are derived from it (or [suitability.inputs] dem)"),
        Input("landuse", kind="landuse", label_zh="土地利用图", metavar="TIF",
              doc="Land-use map: masks the results to its valid cells and cross-tabulates the levels by class"),
        *ZONE_INPUTS,
        Input("evaluations", kind="choice", choices=EVALUATIONS, multiple=True, label_zh="评价类型",
              aliases=("--evaluation",),
              doc="Evaluations to run (default: the plan's evaluations, else all three)"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept a DEM with elevations below -500 m or above 9 000 m, or factors above their plausible "
                  "maximum (precipitation 12 000 mm/a, ≥0 °C accumulated temperature 11 000 °C·d, slope 90°); "
                  "otherwise refused as a unit error (dm or cm, 0.1 mm, %, or an unset nodata value)"),
        ALIGN, CHARTS, LANG,
    ),
    outputs=(
        *_level_outputs(),
        RasterOut("slope_deg.tif", units="degree", when=Present("dem"), doc="Slope (degrees, Horn 3 x 3)",
                  doc_zh="坡度（度）"),
        TableOut("areas_level5.csv", doc="Area and cells per evaluation, zone and 5-level class",
                 doc_zh="各评价、分区、5 级分级的面积", columns=_LEVEL_COLUMNS),
        TableOut("areas_level3.csv", doc="Area and cells per evaluation, zone and 3-level class",
                 doc_zh="各评价、分区、3 级分级的面积", columns=_LEVEL_COLUMNS),
        TableOut("areas_level3_by_landuse.csv", when=Present("landuse"),
                 doc="3-level areas by land-use code (landuse_code)", doc_zh="3 级分级面积按土地利用类型",
                 columns=(*_LEVEL_COLUMNS, Column("landuse_code"))),
        TableOut("missing_factors.csv", doc="Each optional factor that was not given and its effect (skipped / "
                 "filled / not applied)", doc_zh="缺失因子及其影响",
                 columns=(Column("evaluation"), Column("factor"), Column("status"), Column("effect"))),
        TableOut("steps.csv", doc="The integration steps applied, in order", doc_zh="评价步骤",
                 columns=(Column("evaluation"), Column("step"), Column("detail"))),
        TableOut("carrying_scale.csv", when=_MAPS, doc="Short-board carrying scale per use and zone (land = "
                 "suitable + moderately suitable area; water not evaluated); written when some land is suitable",
                 doc_zh="承载规模（短板原则）", columns=(Column("use"), Column("zone"), Column("land_ha", "ha"),
                                                 Column("scale_max_ha", "ha"))),
        Output("*_level5.png", kind="figure", when=Present("charts"), doc="Map of each 5-level result (PNG)",
               doc_zh="5 级评价结果图（PNG）"),
        Output("*_level5.svg", kind="figure", when=Present("charts"), doc="Map of each 5-level result (SVG)",
               doc_zh="5 级评价结果图（SVG）"),
    ),
)


def plan_schema(profile: str = "2019_cug") -> dict:
    """The keys of the plan's ``[suitability]`` table (checked with a did-you-mean)."""
    return {
        "profile": None, "evaluations": None,
        "inputs": {"dem": None, "landuse": None, "zones": None, "zone_field": None, "zone_layer": None},
        "factors": Named(factor_keys(profile) if profile in PROFILES else None, what="factor",
                         pattern=SERVICE_PATTERN),
        "thresholds": Named(threshold_keys(profile) if profile in PROFILES else None,
                            value={"breaks": None, "direction": None, "modifiers": None}, what="threshold override"),
        "fill": Named(FILL_KEYS, what="fill step"),
        "matrices": Named(MATRIX_KEYS, what="matrix"),
        "options": {"relief_window_cells": None, "three_level": None, "eco_exclusion_level": None},
    }


__all__ = ["SPEC", "TITLES", "plan_schema"]
