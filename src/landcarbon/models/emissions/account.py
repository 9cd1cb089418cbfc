"""Zone matching and the whole account: one row per zone × year (methods.md §3)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import InputValidationError
from ...core.spec import Issue
from ...core.units import c_to_co2
from .. import coefficients as _coef
from .sources import (
    agri_input_emissions,
    direct_emissions,
    energy_emissions,
    non_co2_emissions,
    summarise_direct,
)


def check_zones(table_zones: Sequence[str], layer_zones: Sequence[str], what: str, *,
                require_all: bool = True) -> None:
    """Zones of a table must all be in the zones layer, and (``require_all``) every layer zone in the table."""
    t, z = set(map(str, table_zones)), set(map(str, layer_zones))
    extra = sorted(t - z)
    missing = sorted(z - t) if require_all else []
    msgs = []
    if extra:
        msgs.append(f"{what} has zones {extra[:20]}{' …' if len(extra) > 20 else ''} that are not in the zones layer")
    if missing:
        msgs.append(f"zones {missing[:20]}{' …' if len(missing) > 20 else ''} of the zones layer have no rows in {what}")
    if msgs:
        raise InputValidationError(
            "; ".join(msgs) + f". Zone names must match exactly (layer zones: {sorted(z)[:20]}); fix the names, "
            f"add the missing rows, or choose the matching zone_field")


def attribute_energy(energy: pd.DataFrame, weights: pd.Series, *, weight_name: str) -> pd.DataFrame:
    """Down-scale region totals to zones: E_z = E_R × w_z / Σ w (methods.md §3.3). ``energy`` has no zone
    column (or one region); ``weights`` is indexed by zone (GDP, construction area …, no default)."""
    w = weights.astype(float)
    if (w < 0).any() or w.sum() <= 0:
        raise InputValidationError(f"attribution weights {weight_name} must be non-negative with a positive sum")
    share = w / w.sum()
    parts = []
    for z, s in share.items():
        d = energy.copy()
        d["zone"] = z
        d["amount"] = pd.to_numeric(d["amount"], errors="coerce") * s
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def assemble(direct_by_zone: pd.DataFrame | None, areas: pd.DataFrame | None, years: Sequence[int],
             *, energy: pd.DataFrame | None = None, agri: pd.DataFrame | None = None,
             non_co2: pd.DataFrame | None = None, coefficient_set: str = "") -> pd.DataFrame:
    """One row per zone × year with every component and the totals in t C, t CO2 and t CO2e.

    ``direct_by_zone`` (index zone; direct_source_tC, direct_sink_tC) is applied to every year given.
    """
    zones = list(direct_by_zone.index) if direct_by_zone is not None else sorted(
        set().union(*[set(t["zone"]) for t in (energy, agri, non_co2) if t is not None]))
    idx = pd.MultiIndex.from_product([zones, list(years)], names=["zone", "year"])
    out = pd.DataFrame(index=idx)
    if areas is not None:
        a = areas.reindex(zones)
        out["area_ha"] = np.repeat(a.sum(axis=1).to_numpy(), len(years))
        for g in GROUPS:
            out[f"{g}_ha"] = np.repeat(a[g].to_numpy(), len(years))
    if direct_by_zone is not None:
        d = direct_by_zone.reindex(zones)
        out["direct_source_tC"] = np.repeat(d["direct_source_tC"].to_numpy(), len(years))
        out["direct_sink_tC"] = np.repeat(d["direct_sink_tC"].to_numpy(), len(years))
    else:
        out["direct_source_tC"] = 0.0
        out["direct_sink_tC"] = 0.0

    def per_zy(t, col):
        if t is None:
            return pd.Series(0.0, index=idx)
        s = t.groupby(["zone", "year"])[col].sum()
        return s.reindex(idx, fill_value=0.0)

    out["energy_tC"] = per_zy(energy, "emission_tC")
    out["agri_inputs_tC"] = per_zy(agri, "emission_tC")
    out["emission_tC"] = out["direct_source_tC"] + out["energy_tC"] + out["agri_inputs_tC"]
    out["absorption_tC"] = -out["direct_sink_tC"]
    out["net_tC"] = out["emission_tC"] - out["absorption_tC"]
    out["emission_tCO2"] = c_to_co2(out["emission_tC"])
    out["absorption_tCO2"] = c_to_co2(out["absorption_tC"])
    out["net_tCO2"] = c_to_co2(out["net_tC"])
    out["non_co2_tCO2e"] = per_zy(non_co2, "emission_tCO2e")
    out["emission_tCO2e"] = out["emission_tCO2"] + out["non_co2_tCO2e"]
    out["net_tCO2e"] = out["emission_tCO2e"] - out["absorption_tCO2"]
    out["coefficient_set"] = coefficient_set
    return out.reset_index()


def emissions_by_zone(areas: pd.DataFrame | None, coefs: _coef.LanduseCoefficients | None, *, year: int | None = None,
                      energy: pd.DataFrame | None = None, energy_options: dict | None = None,
                      agri: pd.DataFrame | None = None, ploughing_unit: str = "per_km2",
                      non_co2: pd.DataFrame | None = None, gwp_set: str = "AR5",
                      hold_landuse: bool = False, energy_rows: pd.DataFrame | None = None,
                      agri_rows: pd.DataFrame | None = None,
                      non_co2_rows: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The whole §3 account from in-memory inputs.

    ``areas``: index zone, columns national groups (ha), from :func:`landuse_areas` for the map ``year``.
    Energy, agricultural-input and non-CO2 tables are per zone and year; their zones must match the areas'.
    Output rows: the map year (or, with ``hold_landuse``, every year of the tables, the map's areas held
    constant — an explicit assumption). Returns ``emissions_by_zone``, ``direct_by_group``, and when given
    ``energy_by_fuel``, ``agri_by_input``, ``non_co2``. ``energy_rows``, ``agri_rows``, ``non_co2_rows``: the
    tables already turned into emissions (:func:`energy_emissions` …), used as they are instead of
    ``energy``, ``agri``, ``non_co2`` (a caller that checked them first does not compute them twice).
    """
    res: dict[str, pd.DataFrame] = {}
    en, ag, nc = energy_rows, agri_rows, non_co2_rows
    layer = list(areas.index) if areas is not None else None
    if en is None and energy is not None:
        en = energy_emissions(energy, **(energy_options or {}))
    if ag is None and agri is not None:
        ag = agri_input_emissions(agri, ploughing_unit=ploughing_unit)
    if nc is None and non_co2 is not None:
        nc = non_co2_emissions(non_co2, gwp_set=gwp_set)
    for t, name in ((en, "energy_by_fuel"), (ag, "agri_by_input"), (nc, "non_co2")):
        if t is not None:
            res[name] = t
    if layer is not None:
        for t, what in ((en, "the energy table"), (ag, "the agricultural-input table"), (nc, "the non-CO2 table")):
            if t is not None:
                check_zones(t["zone"].unique(), layer, what)
    table_years = sorted(set().union(*[set(t["year"]) for t in (en, ag, nc) if t is not None]))
    direct = None
    if areas is not None:
        if coefs is None:
            raise InputValidationError("a land-use map needs a coefficient set (e.g. cn_common_A)")
        built = float(areas["built_up"].sum()) if "built_up" in areas else 0.0
        if "built_up" in coefs.energy_method and built > 0 and en is None:
            raise InputValidationError(
                f"construction land covers {built:.1f} ha but coefficient set {coefs.set_id} gives no direct "
                f"coefficient for it (energy method); empty is not zero: give an energy table (⟨energy⟩), or an "
                f"explicit coefficient built_up=VALUE (t C/ha/yr) in ⟨coef⟩")
        dl = direct_emissions(areas, coefs, cropland_from_inputs=ag is not None)
        res["direct_by_group"] = dl
        direct = summarise_direct(dl)
        if year is None:
            raise InputValidationError([Issue("year", "the year of the land-use map is needed; give it (e.g. "
                                                      "2020)")])
        if hold_landuse:
            years = sorted(set(table_years) | {int(year)})
        else:
            years = [int(year)]
            for t, what in ((en, "energy"), (ag, "agricultural-input"), (nc, "non-CO2")):
                if t is not None and int(year) not in set(t["year"]):
                    raise InputValidationError([Issue(
                        "year", f"the {what} table has years {sorted(set(t['year']))} but not the map year {year}; "
                                f"give the map year's data, or set ⟨hold_landuse⟩ (the hold-landuse assumption: the "
                                f"map's areas applied to every table year)")])
        if not hold_landuse:  # the full tables stay in res; the account uses the map year
            en, ag, nc = (None if t is None else t[t["year"] == int(year)] for t in (en, ag, nc))
    else:
        years = table_years
        if not years:
            raise InputValidationError("nothing to account: give a land-use map or an energy table")
    res["emissions_by_zone"] = assemble(direct, areas, years, energy=en, agri=ag, non_co2=nc,
                                        coefficient_set=coefs.set_id if coefs is not None else "")
    return res
