"""Valuation: the constant K of NPV(i) = ΔC(i) × K (methods.md §2.1)."""

from __future__ import annotations

from ...core.errors import InputValidationError


def valuation_constant(price: float, year_from: int, year_to: int, *, discount_rate: float = 0.0,
                       price_change: float = 0.0, price_growth: float | None = None) -> float:
    """K (CNY per Mg C of change): NPV(i) = ΔC(i) × K (methods.md §2.1).

    InVEST mode (``price_growth`` None): ρ = 1/((1 + r/100)(1 + c/100)), K = (V/n) Σ_{t<n} ρ^t, so the
    annual price change c acts as a second discount rate. With ``price_growth=g`` the price rises by
    g %/a instead: ρ = (1 + g/100)/(1 + r/100).
    """
    n = int(year_to) - int(year_from)
    if n < 1:
        raise InputValidationError(
            f"valuation: years {year_from} → {year_to} do not increase; the later map must have a later year")
    r = float(discount_rate)
    if price_growth is None:
        ratio = 1 / ((1 + r / 100) * (1 + float(price_change) / 100))
    else:
        ratio = (1 + float(price_growth) / 100) / (1 + r / 100)
    k = float(price) / n
    if ratio == 1:
        return k * n
    return k * (1 - ratio ** n) / (1 - ratio)



__all__ = ["valuation_constant"]
