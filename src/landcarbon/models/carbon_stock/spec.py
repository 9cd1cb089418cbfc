"""The carbon stock model's spec and pool names (methods.md §1.3–1.4, §2)."""

from __future__ import annotations

from ...core.spec import ModelSpec, NumberIn, Present, RasterIn, RasterOut, TableIn, TableOut, VectorIn

POOLS: tuple[str, ...] = ("above", "below", "soil", "dead")
POOL_COLUMNS: tuple[str, ...] = tuple(f"c_{p}" for p in POOLS)
#: total density above which a table is taken to be in the wrong unit (Mg C/ha) [D]
MAX_PLAUSIBLE_DENSITY = 2000.0

SPEC = ModelSpec(
    id="carbon_stock",
    version="1",
    title_en="Carbon storage, sequestration and value (InVEST-equivalent)",
    title_zh="碳储量、碳汇与价值（InVEST 等效）",
    methods_ref="methods.md §1.3-1.4, §2",
    inputs=(
        RasterIn("landuse", doc="integer land-use maps on one grid, one per year or scenario"),
        TableIn("pools", doc="carbon pools per class (lucode, c_above, c_below, c_soil, c_dead); optional "
                "zone, year, sd_* or cv columns", index="lucode",
                units="Mg C/ha", columns={c: "Mg C/ha" for c in POOL_COLUMNS}),
        VectorIn("zones", doc="zones for the zone x class table", required=False),
        NumberIn("price", doc="carbon price per tonne of carbon", units="CNY/t C", required=False,
                 minimum=0.0),
        NumberIn("discount_rate", doc="annual discount rate", units="%/a", required=Present("price"),
                 minimum=-99.0, default=0.0),
        NumberIn("price_change", doc="annual price change (InVEST: acts as a second discount rate)",
                 units="%/a", required=False, minimum=-99.0, default=0.0),
        NumberIn("mc_draws", doc="Monte Carlo draws (0 = none)", required=False, minimum=0, default=0),
    ),
    outputs=(
        RasterOut("c_storage", doc="carbon density, sum of the four pools", units="Mg C/ha"),
        RasterOut("c_change", doc="change in carbon density, to minus from", units="Mg C/ha"),
        RasterOut("npv", doc="net present value of the change", units="CNY/ha"),
        RasterOut("c_pool", doc="density of one pool (optional)", units="Mg C/ha"),
        TableOut("zone_class", doc="zone x class x map accounts", columns={
            "area_ha": "ha", "stock_MgC": "Mg C", "stock_tCO2": "t CO2", "change_MgC": "Mg C",
            "npv_CNY": "CNY", "price_year": "year"}),
    ),
)


__all__ = ["MAX_PLAUSIBLE_DENSITY", "POOLS", "POOL_COLUMNS", "SPEC"]
