"""Benchmark and projection check for change / demand / validate on the Wuhan sample (30 m, 2931 × 2931).

    .venv/bin/python benchmarks/change_demand_validate.py [--data ../shared/data] [--repeat 5]

Prints timings (compute only, maps already in memory, after one warm-up for numba) and the
Markov projections to 2013 from 2003 -> 2010 and 2005 -> 2010 beside the true 2013 class counts.
2013 is the held-out year: it is read only to score the projections, never to calibrate.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from landcarbon.io import read_raster
from landcarbon.models import change, demand, validate


def _best(fn, repeat):
    fn()  # warm-up (numba cache, imports)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    d = Path(args.data) / "wuhan_plus"
    t0 = time.perf_counter()
    maps = {y: read_raster(d / f"wh{y}_refy.tif", categorical=True) for y in (2003, 2005, 2010)}
    for m in maps.values():
        m.values  # noqa: B018  (load)
    print(f"read 3 maps: {time.perf_counter() - t0:.2f} s")
    a, b, c = maps[2003], maps[2005], maps[2010]
    cells = a.size
    rows = [
        ("change: transition matrix 2005->2010", lambda: change.transition_matrix(b, c, years=(2005, 2010))),
        ("change: + class_change + dynamic_degree", lambda: (lambda t: (change.class_change(t), change.dynamic_degree(t)))(
            change.transition_matrix(b, c, years=(2005, 2010)))),
        ("validate: start 2005, observed 2010, simulated 2003", lambda: validate.compare(b, c, a)),
        ("demand: Markov 2005->2010 to 2013, 2015, 2020", lambda: demand.markov(b, c, (2005, 2010), [2013, 2015, 2020])),
    ]
    print(f"\n{'step':<55}{'best s':>9}{'median s':>10}{'Mcells/s':>10}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in rows:
            best, med = _best(fn, args.repeat)
            print(f"{name:<55}{best:>9.3f}{med:>10.3f}{cells / best / 1e6:>10.1f}")

        # --- projections to 2013 (held-out year read only for scoring) ---------------------------
        true13 = read_raster(d / "wh2013_refy.tif", categorical=True).values
        t = np.bincount(true13[true13 != -128].astype(np.int64), minlength=8)[1:8]
        p37 = demand.markov(a, c, (2003, 2010), 2013)
        p57 = demand.markov(b, c, (2005, 2010), 2013)
        tr = demand.trend([a, b, c], [2003, 2005, 2010], 2013)
    v10 = np.bincount(c.values[c.values != -128].astype(np.int64), minlength=8)[1:8]
    print(f"\nprojection to 2013 (cells); true 2013 total {t.sum():,}, projected totals {p37.cells.sum():,} "
          f"(= valid cells of 2010)")
    print(f"{'class':<7}{'true 2013':>11}{'2010 (persist)':>16}{'M 03->10':>11}{'M 05->10':>11}{'trend':>11}")
    for i in range(7):
        print(f"{i + 1:<7}{t[i]:>11,}{v10[i]:>16,}{p37.cells[i]:>11,}{p57.cells[i]:>11,}{tr.cells[i]:>11,}")
    share_t = t / t.sum()
    for name, v in (("2010 (persistence)", v10), ("Markov 2003->2010", p37.cells.to_numpy()),
                    ("Markov 2005->2010", p57.cells.to_numpy()), ("trend 2003/05/10", tr.cells.to_numpy())):
        sh = v / v.sum()
        q = 0.5 * np.abs(sh - share_t).sum()
        print(f"{name:<22} quantity error ½Σ|share − true share| = {q:.4f} ({q * t.sum():,.0f} cells); "
              f"urban {v[3]:,} vs {t[3]:,} ({(v[3] - t[3]) / t[3]:+.1%})")
    print("projection methods:", p37.attrs["projection"], p57.attrs["projection"])


if __name__ == "__main__":
    main()
