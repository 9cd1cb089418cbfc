"""Ecological compensation amounts between zones (methods.md §6.4).

The carbon-balance compensation of §4.3 in its allowance form is budget-balanced (Σ_i V_i^θ = 0):
units with V_i^θ > 0 pay, units with V_i^θ < 0 receive. The transfers between zones follow the
proportional rule [D]: payer p pays receiver r

    T_{p→r} = V_p × |V_r| / Σ_{r'} |V_r'|

so each payer's total is V_p and each receiver's total is |V_r| (when payments equal receipts).
With the Pearl factor the budget no longer balances; the transfers are then scaled to the smaller
of Σ payments and Σ receipts and the gap is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .balance import check_unique_zone_years
from .weights import bad_input

#: above this many payer × receiver pairs, transfers go through a regional pool (payer → pool → receiver)
MAX_PAIRS = 250_000
POOL = "<regional pool>"


def transfers(values: pd.Series, *, min_amount: float = 0.0, max_pairs: int = MAX_PAIRS) -> pd.DataFrame:
    """Pairwise transfers payer → receiver (CNY/a) from per-zone values (index zone; + = pays).

    With more than ``max_pairs`` pairs the same flows are written through a regional pool (one row per zone)
    instead of the full pair table (3 000 zones would give millions of pairs)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if v.isna().any() or not np.all(np.isfinite(v.to_numpy())):
        raise bad_input("balance", f"compensation values are empty, non-numeric or infinite for zones "
                                   f"{list(v.index[~np.isfinite(v.to_numpy())])[:10]}; expected the values of a "
                                   f"balance run: compute the balance first")
    if v.index.duplicated().any():
        raise bad_input("balance", f"zones {sorted(set(map(str, v.index[v.index.duplicated()])))} appear more than "
                                   f"once; expected one value per zone")
    pay = v[v > 0]
    rec = -v[v < 0]
    if pay.empty or rec.empty:
        return pd.DataFrame(columns=["payer", "receiver", "amount_CNY"])
    total_pay, total_rec = pay.sum(), rec.sum()
    scale = min(total_pay, total_rec) / total_pay
    if len(pay) * len(rec) > max_pairs:
        return pd.DataFrame({"payer": list(pay.index) + [POOL] * len(rec),
                             "receiver": [POOL] * len(pay) + list(rec.index),
                             "amount_CNY": np.concatenate([pay.to_numpy() * scale, rec.to_numpy() / total_rec
                                                           * min(total_pay, total_rec)])})
    amt = np.outer(pay.to_numpy() * scale, rec.to_numpy() / total_rec)
    out = pd.DataFrame({"payer": np.repeat(pay.index.to_numpy(), len(rec)),
                        "receiver": np.tile(rec.index.to_numpy(), len(pay)), "amount_CNY": amt.ravel()})
    out = out[out["amount_CNY"] > min_amount].sort_values("amount_CNY", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def transfers_by_year(balance: pd.DataFrame, *, value_col: str = "value_allowance_CNY") -> pd.DataFrame:
    """Transfers for every year of a balance table (columns zone, year, ``value_col``)."""
    need = [c for c in ("zone", "year", value_col) if c not in balance]
    if need:
        raise bad_input("balance", f"the balance table lacks {need}; expected the balance_by_zone table of a balance "
                                   f"run")
    check_unique_zone_years(balance, "balance")
    parts = []
    for y, g in balance.groupby("year", sort=True):
        t = transfers(g.set_index("zone")[value_col])
        t.insert(0, "year", y)
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["year", "payer", "receiver", "amount_CNY"])
