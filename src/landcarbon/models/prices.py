"""Carbon prices with their unit (methods.md §4.3, §13.7): a named basis of reference/carbon_prices.csv or a
number with its unit, resolved to CNY/t CO2 with the conversion recorded.

Market (ETS) prices are per t CO2; a price per t C is converted explicitly (÷ 44/12) and flagged, and a number
labelled per t CO2 that equals a reference price stated per t C is refused (the 3.67× trap of §4.4).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from functools import cache

import pandas as pd

from ..core.errors import LandcarbonWarning, UnitError
from ..core.units import CO2_PER_C, price_per_tc, price_per_tco2
from .weights import bad_input, did_you_mean

__all__ = ["DEFAULT_PRICE_KEY", "DEFAULT_PRICE_UNIT", "PRICE_UNITS", "CarbonPrice", "basis_key", "carbon_price",
           "carbon_price_table", "price_bases"]

#: the default unit of every carbon price in landcarbon: market (ETS) prices are per t CO2 (methods.md §4.3, §13.7)
DEFAULT_PRICE_UNIT = "CNY/t CO2"
PRICE_UNITS = ("CNY/t CO2", "CNY/t C")


@dataclass(frozen=True)
class CarbonPrice:
    """A carbon price with its unit; ``per_tco2`` is the value in CNY/t CO2 used in every multiplication.

    ``value`` and ``unit`` are what was given; ``per_tco2`` and ``per_tc`` the price in both units;
    ``conversion`` records which conversion, if any, was applied.
    """

    value: float
    unit: str
    per_tco2: float
    basis: str
    flagged: str = ""

    @property
    def per_tc(self) -> float:
        """The price in CNY/t C (× 44/12 of the per-t-CO2 price)."""
        return self.per_tco2 * CO2_PER_C

    @property
    def given_per_tc(self) -> bool:
        return "co2" not in self.unit.lower().replace(" ", "")

    @property
    def conversion(self) -> str:
        if self.given_per_tc:
            return f"given per t C ({self.value:g} {self.unit}); ÷ 44/12 → {self.per_tco2:.6g} CNY/t CO2"
        return f"given per t CO2 ({self.value:g} {self.unit}); no conversion (= {self.per_tc:.6g} CNY/t C)"

    def in_unit(self, unit: str) -> float:
        """The price in ``unit`` (``CNY/t CO2`` or ``CNY/t C``)."""
        try:
            tc_per_unit = price_per_tc(1.0, unit)  # 44/12 for a per-t-CO2 unit, 1 for a per-t-C unit
        except UnitError:
            raise bad_input("price_unit", f"carbon price unit {unit!r} is not understood; expected "
                                          f"{' or '.join(PRICE_UNITS)} (default {DEFAULT_PRICE_UNIT})") from None
        return self.per_tc / tc_per_unit

    def to_dict(self) -> dict:
        return {"value": self.value, "unit": self.unit, "CNY_per_tCO2": self.per_tco2, "CNY_per_tC": self.per_tc,
                "conversion": self.conversion, "basis": self.basis, "flag": self.flagged or None}


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def basis_key(name: str) -> str:
    """The key of a named price basis: ``"CEA 2023 year-end close"`` → ``cea_2023_year_end_close``."""
    return _slug(str(name))


def _unit_error(key: str, message: str) -> UnitError:
    err = UnitError(message)
    err.key = key  # the input the error is about (the runner names it for the interface)
    return err


def carbon_price_table() -> pd.DataFrame:
    """reference/carbon_prices.csv with a ``key`` per basis (its slug, e.g. cea_2023_year_end_close)."""
    from .coefficients import reference_table

    df = reference_table("carbon_prices.csv")
    df["key"] = df["basis"].map(_slug)
    df["value"] = df["value"].astype(float)
    return df


DEFAULT_PRICE_KEY = "cea_2023_year_end_close"


@cache
def price_bases() -> tuple[str, ...]:
    """The keys of the named price bases (reference/carbon_prices.csv), in table order."""
    return tuple(carbon_price_table()["key"])


def carbon_price(value: float | str | None = None, unit: str | None = DEFAULT_PRICE_UNIT) -> CarbonPrice:
    """Resolve a carbon price: a named reference basis (e.g. ``cea_2023_year_end_close``, the default
    79.42 CNY/t CO2) or a number with its unit (``CNY/t CO2``, the default, or ``CNY/t C``).

    A price per t C is converted explicitly (÷ 44/12 to CNY/t CO2) and flagged. A number labelled per t CO2
    that equals a reference price stated per t C (e.g. 260.90, afforestation cost) is refused: that is the
    3.67× mix-up of methods.md §4.4.
    """
    table = carbon_price_table()
    if value is None:
        value = DEFAULT_PRICE_KEY
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            row = table[table["key"] == _slug(value)]
            if row.empty:
                raise bad_input(
                    "price", f"carbon price {value!r} is neither a number nor a named basis"
                             f"{did_you_mean(_slug(value), table['key'])}; named bases are "
                             f"{list(table['key'])}") from None
            r = row.iloc[0]
            v, u = float(r["value"]), str(r["unit"])
            per = price_per_tco2(v, u)
            flag = "" if "co2" in u.lower() else (
                f"price {r['basis']} is {v:g} {u}; converted to {per:.4g} CNY/t CO2")
            return CarbonPrice(v, u, per, f"{r['basis']} ({r['date_or_period']}, {r['source']}, tag {r['tag']})",
                               flag)
    try:
        v = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < 0:
        raise bad_input("price", f"carbon price {value!r}; expected a number ≥ 0 (with its unit, default "
                                 f"{DEFAULT_PRICE_UNIT}) or a named basis of carbon_prices.csv")
    if unit is None:
        raise _unit_error("price_unit", "a carbon price needs its unit: 'CNY/t CO2' (market prices) or 'CNY/t C'")
    try:
        per = price_per_tco2(v, unit)
    except UnitError as err:
        raise _unit_error("price_unit", str(err)) from None
    is_per_c = abs(per - v) > 1e-12 * max(1.0, v)
    flag = ""
    if is_per_c:
        flag = (f"carbon price given per t C ({v:g} {unit}); converted to {per:.4g} CNY/t CO2 (÷ 44/12). Market "
                f"(ETS) prices are per t CO2: check that the value really is per t C")
        warnings.warn(flag, LandcarbonWarning, stacklevel=2)
    else:
        per_c_rows = table[~table["unit"].str.lower().str.replace(" ", "").str.endswith("tco2")]
        for _, r in per_c_rows.iterrows():
            if abs(float(r["value"]) - v) <= 0.005 * float(r["value"]):
                raise _unit_error(
                    "price_unit", f"carbon price {v:g} given per t CO2 equals the reference price '{r['basis']}' "
                    f"({r['value']:g} {r['unit']}), which is per t C; give price_unit 'CNY/t C' (it is then "
                    f"converted to {price_per_tco2(v, 'CNY/t C'):.4g} CNY/t CO2) or check the value")
    return CarbonPrice(v, unit, per, "user value", flag)
