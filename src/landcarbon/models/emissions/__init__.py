"""Land-use carbon emissions by zone and year (methods.md §3).

    E_total  = E_direct + E_indirect                                 (Mg C/a)
    E_direct = Σ_k A_k × δ_k      (named coefficient set, + = source, − = sink)
    E_indirect = energy emissions of construction land (§3.3–3.4)

Everything here works on xarray/pandas objects in memory; files are read in ``workflow.emissions``.
Areas come from :func:`landcarbon.ops.zonal.zone_class_sums` (one weighted bincount per chunk,
lazy on dask), so a map larger than memory is summed in bounded memory.

Units: carbon in t C (= Mg C), CO2 in t CO2, non-CO2 gases in t CO2e with a named GWP set.
Column names carry the unit. ``absorption_*`` is the magnitude of the sink terms (CA ≥ 0, §4.1);
``direct_sink_tC`` keeps the emission sign (≤ 0).
"""

from __future__ import annotations

from ...core.spec import ModelSpec, NumberIn, RasterIn, TableIn, TableOut, VectorIn
from .account import assemble, attribute_energy, check_zones, emissions_by_zone
from .areas import LanduseAreas, finish_areas, landuse_areas, landuse_areas_lazy
from .sources import (
    agri_input_emissions,
    direct_emissions,
    energy_emissions,
    load_energy_factors_with,
    non_co2_emissions,
    summarise_direct,
)
from .units import unit_factor

__all__ = [
    "SPEC", "LanduseAreas", "agri_input_emissions", "assemble", "attribute_energy", "check_zones",
    "direct_emissions", "emissions_by_zone", "energy_emissions", "finish_areas", "landuse_areas",
    "landuse_areas_lazy", "load_energy_factors_with", "non_co2_emissions", "summarise_direct", "unit_factor",
]

SPEC = ModelSpec(
    id="emissions", version="1", title_en="Land-use carbon emissions", title_zh="土地利用碳排放",
    inputs=(
        RasterIn("landuse", doc="land-use map (class codes) of one year", kind="categorical"),
        VectorIn("zones", doc="zones (districts, counties…) with a name field", required=False),
        TableIn("coefficients", doc="named direct coefficient set", columns={"coef_tC_per_ha_yr": "t C/(ha·a)"},
                required=False),
        TableIn("energy", doc="fuel consumption per zone and year", index="zone",
                columns={"zone": "", "year": "", "fuel": "", "amount": "unit column", "unit": ""}, required=False),
        TableIn("agri_inputs", doc="agricultural inputs per zone and year",
                columns={"zone": "", "year": "", "input": "", "amount": "unit column", "unit": ""}, required=False),
        TableIn("non_co2", doc="CH4 / N2O emissions per zone and year",
                columns={"zone": "", "year": "", "gas": "CH4|N2O", "amount": "unit column", "unit": ""},
                required=False),
        NumberIn("grid_factor", units="kg CO2/kWh", minimum=0, required=False),
    ),
    outputs=(
        TableOut("emissions_by_zone", columns={
            "area_ha": "ha", "direct_source_tC": "t C/a", "direct_sink_tC": "t C/a", "energy_tC": "t C/a",
            "agri_inputs_tC": "t C/a", "emission_tC": "t C/a", "absorption_tC": "t C/a", "net_tC": "t C/a",
            "emission_tCO2": "t CO2/a", "absorption_tCO2": "t CO2/a", "net_tCO2": "t CO2/a",
            "non_co2_tCO2e": "t CO2e/a", "emission_tCO2e": "t CO2e/a", "net_tCO2e": "t CO2e/a"}),
        TableOut("energy_by_fuel", columns={"amount_std": "kg | m3 | kWh | GJ", "emission_tCO2": "t CO2/a"}),
    ),
    methods_ref="methods.md §3",
)
