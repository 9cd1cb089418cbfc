"""The complete spec of the land-use simulation (``landcarbon simulate``; methods.md §8).

Every input of the command, the Python API (``run_simulate``), plan files and web forms, and every
file a run writes. The spec is the single source of truth: choices, defaults and units are not
written anywhere else.
"""

from __future__ import annotations

from ...core.spec import (
    AnyOf,
    Column,
    Input,
    ModelSpec,
    NumberIn,
    Present,
    RasterOut,
    TableIn,
    TableOut,
)

#: the inputs that switch to the out-of-core run (``workflow.simulate_zoned``)
OUT_OF_CORE_KEYS = ("tiles", "zone_size", "out_of_core")
#: inputs only the out-of-core run reads
OUT_OF_CORE_ONLY = ("block", "max_zone_memory", "zone_workers")
#: built-in rule tables (methods.md §8.5)
RULE_NAMES = ("default", "soft-redline", "none")
_OOC = AnyOf(tuple(Present(k) for k in OUT_OF_CORE_KEYS))

_POOL_COLUMNS = tuple(Column(c, "Mg C/ha", doc=f"{c[2:]} carbon density") for c in
                      ("c_above", "c_below", "c_soil", "c_dead"))

SPEC = ModelSpec(
    id="simulate", version="2", title_en="Land-use simulation (PLUS-equivalent, LEAS + CARS)",
    title_zh="土地利用模拟（PLUS：LEAS + CARS）", methods_ref="methods.md §8",
    doc="Trains LEAS random forests on the expansion between two calibration maps, predicts the development "
        "potential of every cell that may change, and allocates each target year's demand with CARS under the "
        "restriction raster, the transition matrix and the control lines (三区三线).",
    examples=(
        "landcarbon simulate --calibrate-from lu2010.tif --calibrate-to lu2015.tif --landuse lu2020.tif \\",
        "  --driver dem.tif --driver dist_road.tif --demand demand.csv --line eco_redline=redline.tif \\",
        "  --seed 7 --out runs/sim2030",
    ),
    inputs=(
        # -- maps ---------------------------------------------------------------------------------------------
        Input("landuse", kind="landuse", required=True, aliases=("--start",), label_zh="起始年土地利用",
              label_en="start map", metavar="TIF",
              doc="Land-use map of the start year (integer class codes); every simulated map starts from it."),
        Input("calibrate_from", kind="landuse", required=True, label_zh="校准起始图",
              doc="First calibration map (L1): LEAS learns from the expansion L1 -> L2 (the older map)."),
        Input("calibrate_to", kind="landuse", required=True, label_zh="校准终止图",
              doc="Second calibration map (L2), later than calibrate_from (it may be the start map)."),
        Input("drivers", kind="raster", multiple=True, required=True, flag="--driver", label_zh="驱动因子",
              label_en="driver", doc="Continuous driver raster on the start grid (name = file stem); repeatable. "
              "Drivers enter the model in the order given, then the categorical ones."),
        Input("categorical_drivers", kind="raster", multiple=True, flag="--categorical-driver",
              label_zh="分类驱动因子", label_en="categorical driver",
              doc="Categorical driver raster (e.g. soil units; one-hot encoded; name = file stem); repeatable."),
        Input("dem", kind="raster", label_zh="高程（坡度来源）", label_en="DEM",
              doc="The DEM among the drivers: slope (degrees, Horn) is added from it (added as a driver if not "
                  "given with driver). Default: the first driver whose file name has the word 'dem'."),
        Input("slope", kind="flag", default=True, label_zh="添加坡度",
              doc="Add slope (degrees, Horn 1981) from the DEM as a driver."),
        # -- demand, restriction, rules -------------------------------------------------------------------------
        TableIn("demand", required=True, label_zh="需求（像元数）",
                doc="Target pixels per class: code, cells; several target years: year, code, cells; zones: zone, "
                    "code, cells (zone ids of the zone raster, or names of the zone field). Every class needs a "
                    "row; each year (and zone) sums to the start map's valid cells exactly.",
                columns=(Column("code", doc="land-use class code"), Column("cells", "pixels", doc="target pixels"),
                         Column("year", "year", required=False, doc="target year (several stages)"),
                         Column("zone", required=False, doc="zone id or name"))),
        Input("demand_sheet", kind="text", label_zh="需求表工作表", doc="Sheet of the demand workbook (XLSX)."),
        Input("restrict", kind="raster", label_zh="限制转换区域",
              doc="PLUS restriction raster: 0 no conversion, 1 allowed, 2 planned development zone (nodata = no "
                  "conversion)."),
        Input("develop_class", kind="integer", label_zh="规划开发类型",
              doc="Class code developed in the planned development cells (2) of restrict."),
        Input("rules", kind="reference", default="default", label_zh="管控规则",
              columns=tuple(Column(c) for c in ("line", "applies", "from", "to", "action")),
              doc="Control-line rules: 'default' (methods.md §8.5), 'soft-redline' (the red line forbids only "
                  "-> built-up and -> cropland), 'none', or a rule table (CSV/XLSX: line, applies, from, to, "
                  "action)."),
        Input("rules_sheet", kind="text", label_zh="规则表工作表", doc="Sheet of the rule workbook (XLSX)."),
        Input("lines", kind="lines", multiple=True, flag="--line", label_zh="管控线", label_en="control line",
              metavar="NAME=PATH",
              doc="Control line NAME=PATH (eco_redline, basic_farmland, urban_boundary, or a name of the rule "
                  "table): a vector file or a raster on the start grid (non-zero = inside); repeatable."),
        Input("scheme", kind="scheme", default="national6", aliases=("--classes",), label_zh="分类体系",
              doc="Class scheme of the maps, which gives each code its national group for the rules' group names "
                  "(cropland, built_up …): a built-in name (national6, clcd, globeland30, modis_igbp) or a "
                  "CSV/XLSX table (code, group)."),
        TableIn("transition", label_zh="转换矩阵",
                doc="Transition matrix (CSV/XLSX, 0/1, first column = class code): rows = from, columns = to."),
        Input("transition_sheet", kind="text", label_zh="转换矩阵工作表",
              doc="Sheet of the transition workbook (XLSX)."),
        Input("transition_orientation", kind="choice", choices=("from_to", "plus"), default="from_to",
              label_zh="转换矩阵方向",
              doc="'plus' reads a PLUS matrix (rows = future class) and transposes it."),
        # -- zones ----------------------------------------------------------------------------------------------
        Input("zones", kind="zones", label_zh="分区",
              doc="Zones, each allocated against its own demand: a vector file (with zone_field) or an integer "
                  "zone raster on the start grid (0 = outside)."),
        Input("zone_field", kind="text", field_of="zones", label_zh="分区字段",
              doc="Zone name field of a vector zones file (the demand table's zone column holds its values)."),
        Input("zone_layer", kind="text", label_zh="分区图层", doc="Layer of a multi-layer zones file."),
        # -- scenario carbon ------------------------------------------------------------------------------------
        TableIn("pools", label_zh="碳密度表",
                doc="Carbon-pool table (lucode, c_above, c_below, c_soil, c_dead in Mg C/ha): also write the "
                    "carbon stock of the start and every simulated map. Must cover every class of the maps.",
                columns=(Column("lucode", aliases=("code",), doc="land-use class code"), *_POOL_COLUMNS)),
        Input("pools_sheet", kind="text", label_zh="碳密度表工作表", doc="Sheet of the pools workbook (XLSX)."),
        Input("align", kind="flag", default=False, label_zh="对齐栅格",
              doc="Resample calibration maps, drivers, restriction, lines and zones onto the start grid "
                  "(in-memory run only)."),
        # -- LEAS -----------------------------------------------------------------------------------------------
        NumberIn("sample_rate", units="-", default=0.01, minimum=0, exclusive_minimum=True, maximum=1,
                 label_zh="采样率", doc="LEAS sampling rate of expansion cells (a share: 0.01 = 1 %)."),
        Input("balanced", kind="flag", default=False, label_zh="均衡采样",
              doc="Balanced sampling (the same number of samples per class; in-memory run only)."),
        Input("trees", kind="integer", default=20, minimum=1, label_zh="树的数量", doc="Trees per class forest."),
        Input("max_depth", kind="integer", minimum=1, label_zh="最大深度",
              doc="Maximum tree depth (default: unlimited)."),
        Input("min_leaf", kind="integer", default=5, minimum=1, label_zh="叶节点最小样本数",
              doc="Minimum samples per leaf."),
        Input("encoding", kind="choice", choices=("onehot", "ordinal"), default="onehot", label_zh="分类编码",
              doc="Encoding of categorical drivers."),
        Input("driver_nodata", kind="choice", choices=("exclude", "error"), default="exclude",
              label_zh="驱动因子无值处理",
              doc="Cells where a driver is nodata: 'exclude' (they keep their start class; reported with their "
                  "area) or 'error'."),
        Input("jobs", kind="integer", default=2, minimum=1, label_zh="线程数",
              doc="Threads for forests and prediction (the map does not depend on it)."),
        # -- CARS -----------------------------------------------------------------------------------------------
        Input("neighbourhood", kind="integer", default=3, minimum=3, label_zh="邻域大小",
              doc="Neighbourhood window size n (odd)."),
        NumberIn("mu", units="-", default=0.1, minimum=0, maximum=1, label_zh="扩张系数",
                 doc="Expansion coefficient of patch seeds."),
        NumberIn("seed_share", units="-", default=0.0001, minimum=0, maximum=1, label_zh="斑块种子比例",
                 doc="Cap on new patch seeds per iteration, as a share of valid cells."),
        NumberIn("delta", units="-", default=0.5, minimum=0, maximum=1, exclusive_minimum=True,
                 exclusive_maximum=True, label_zh="阈值递减系数", doc="Threshold decay δ."),
        Input("max_iter", kind="integer", default=1000, minimum=1, label_zh="最大迭代次数",
              doc="Iteration cap per target year."),
        Input("control", kind="choice", choices=("net", "flus"), default="net", label_zh="需求控制",
              doc="Demand control: net (no churn) or the FLUS start-direction rule."),
        Input("potential", kind="flag", default=True, label_zh="输出发展潜力",
              doc="Write the development-potential rasters potential_<code>.tif (in-memory run only: the "
                  "out-of-core run needs no-potential)."),
        Input("seed", kind="integer", required=True, minimum=0, label_zh="随机种子",
              doc="Random seed (an integer >= 0, recorded in the manifest): the same seed gives the same map."),
        Input("scheduler", kind="text", envvar="LANDCARBON_SCHEDULER", label_zh="Dask 调度器",
              doc="Address of a Dask distributed scheduler (zones run as tasks; default: local threads)."),
        # -- out-of-core ----------------------------------------------------------------------------------------
        Input("tiles", kind="integer", minimum=1, excludes=("zone_size", "zones"), label_zh="分块数",
              doc="Out-of-core run on N x N regular tiles, each simulated against its own demand."),
        Input("zone_size", kind="integer", minimum=8, excludes=("zones",), label_zh="分块大小",
              doc="Out-of-core run on square tiles of this many cells per side."),
        Input("out_of_core", kind="flag", default=False, label_zh="分区外存运行",
              doc="With a zone raster: read and simulate zone by zone from disk (bounded memory)."),
        NumberIn("max_zone_memory", units="GB", minimum=0, exclusive_minimum=True, maximum=4096,
                 label_zh="单区内存上限",
                 doc="Out-of-core: memory one zone window may use (default: half the available memory)."),
        Input("zone_workers", kind="integer", default=1, minimum=1, label_zh="并行分区数",
              doc="Out-of-core: zones simulated at once on local threads (the same map for any number)."),
        Input("block", kind="integer", default=2048, minimum=64, label_zh="扫描块大小",
              doc="Out-of-core: cells per side of the blocks read by the region scan and written out."),
    ),
    outputs=(
        RasterOut("sim*.tif", units="class code", dtype="int16", kind="raster",
                  doc="Simulated land use: sim.tif (one stage without a year) or sim_<year>.tif per target year; "
                      "the start map's data type and nodata.",
                  doc_zh="模拟土地利用图（每个目标年一幅），数据类型与无值同起始图"),
        RasterOut("potential_*.tif", units="-", when=Present("potential"),
                  doc="Development potential P_k of class <code>, 0-1; NaN where a cell may not change.",
                  doc_zh="各地类发展潜力（0-1），不可转换的像元为空值"),
        TableOut("demand_gap.csv", doc="Gap (demand - amount) per stage, zone, iteration and class.",
                 doc_zh="各阶段、分区、迭代与地类的需求差额",
                 columns={"stage": "", "zone": "", "iteration": "", "code": "", "gap_cells": "pixels"}),
        TableOut("summary.csv", doc="Demand vs simulated pixels per stage, zone and class; iterations.",
                 doc_zh="各阶段、分区与地类的需求与模拟像元数",
                 columns={"stage": "", "zone": "", "code": "", "demand_cells": "pixels", "simulated_cells": "pixels",
                          "gap_cells": "pixels", "iterations": ""}),
        TableOut("driver_contributions.csv", doc="Driver contribution per class (sums to 1 per class).",
                 doc_zh="各地类驱动因子贡献度（每类合计为 1）",
                 columns={"code": "", "driver": "", "contribution": "-"}),
        TableOut("leas_accuracy.csv", doc="LEAS positives in the sample, RMSE and out-of-bag RMSE per class.",
                 doc_zh="LEAS 各地类样本正例数、RMSE 与袋外 RMSE",
                 columns={"code": "", "positives": "", "rmse": "-", "oob_rmse": "-"}),
        TableOut("scenario_carbon.csv", when=Present("pools"),
                 doc="Carbon stock of the start and every simulated map, per zone, and its change from the start "
                     "map.", doc_zh="起始图与各模拟图（分区）的碳储量及相对起始图的变化",
                 columns={"zone": "", "label": "", "area_ha": "ha", "stock_MgC": "Mg C", "stock_tCO2": "t CO2",
                          "change_from_start_MgC": "Mg C", "year": "year"}),
        TableOut("zone_demand.csv", when=_OOC, doc="Out-of-core run: the demand of every zone (given or apportioned).",
                 doc_zh="外存分区运行：各分区需求（给定或分摊）",
                 columns={"year": "year", "zone": "", "code": "", "cells": "pixels"}),
    ),
)

__all__ = ["OUT_OF_CORE_KEYS", "OUT_OF_CORE_ONLY", "RULE_NAMES", "SPEC"]
