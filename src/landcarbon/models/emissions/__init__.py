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
from .spec import SPEC
from .units import unit_factor

__all__ = [
    "SPEC", "LanduseAreas", "agri_input_emissions", "assemble", "attribute_energy", "check_zones",
    "direct_emissions", "emissions_by_zone", "energy_emissions", "finish_areas", "landuse_areas",
    "landuse_areas_lazy", "load_energy_factors_with", "non_co2_emissions", "summarise_direct", "unit_factor",
]
