"""Parity and speed against InVEST's own Carbon model (natcap.invest 3.20.2), run side by side.

natcap.invest is not a landcarbon dependency: install it in a separate environment and pass its
Python, e.g.::

    python benchmarks/invest_parity.py --invest-python /tmp/invest_venv/bin/python \
        [--pair /tmp/lc_bench/lulc_8000_2020.tif /tmp/lc_bench/lulc_8000_2050.tif --pools P.csv]

Default case: InVEST's Willamette sample from ../shared/data (two maps of different dtype and nodata),
price 43 per t C, discount rate 7 %, annual price change 0 %, 2020 -> 2050, all maps written.
Both tools run in fresh child processes; wall time and peak RSS come from ``os.wait4``. The script
compares the totals of every raster in InVEST's raster_values_summary.csv with landcarbon's
summary.json (relative difference) and the density maps pixel by pixel.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

ROOT = Path(__file__).resolve().parents[1]
WILLAMETTE = ROOT.parent / "shared" / "data" / "invest_willamette"

INVEST_SCRIPT = """
import sys, json
from natcap.invest import carbon
args = json.loads(sys.argv[1])
carbon.execute(args)
"""


def _run(cmd: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if status != 0:
        raise SystemExit(f"{cmd[0]} failed ({status}):\n{err[-3000:]}")
    return wall, ru.ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invest-python", required=True, help="python of an environment with natcap.invest")
    ap.add_argument("--pair", nargs=2, default=None, help="baseline and alternate maps (default: Willamette)")
    ap.add_argument("--pools", default=None)
    ap.add_argument("--years", nargs=2, type=int, default=[2020, 2050])
    ap.add_argument("--price", type=float, default=43.0)
    ap.add_argument("--discount-rate", type=float, default=7.0)
    ap.add_argument("--price-change", type=float, default=0.0)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    bas, alt = a.pair or (str(WILLAMETTE / "lulc_current_willamette.tif"), str(WILLAMETTE / "lulc_future_willamette.tif"))
    pools = a.pools or str(WILLAMETTE / "carbon_pools_willamette.csv")
    work = Path(a.workdir or tempfile.mkdtemp(prefix="lc_invest_parity_"))
    inv_ws, lc_out = work / "invest", work / "landcarbon"
    y0, y1 = a.years
    args = {"workspace_dir": str(inv_ws), "results_suffix": "", "lulc_bas_path": bas, "lulc_alt_path": alt,
            "calc_sequestration": True, "carbon_pools_path": pools, "do_valuation": True,
            "price_per_metric_ton_of_c": a.price, "discount_rate": a.discount_rate, "rate_change": a.price_change,
            "lulc_bas_year": y0, "lulc_alt_year": y1, "n_workers": -1}
    inv_wall, inv_rss = _run([a.invest_python, "-c", INVEST_SCRIPT, json.dumps(args)])
    lc_wall, lc_rss = _run([sys.executable, "-m", "landcarbon.cli.main", "stock", "--landuse", bas, "--landuse", alt,
                            "--years", str(y0), str(y1), "--pools", pools, "--price", str(a.price),
                            "--discount-rate", str(a.discount_rate), "--price-change", str(a.price_change),
                            "--out", str(lc_out)])
    with open(inv_ws / "raster_values_summary.csv", encoding="utf-8") as f:
        inv = {Path(r["Filename"]).stem: float(r["Total"]) for r in csv.DictReader(f)}
    s = json.loads((lc_out / "summary.json").read_text(encoding="utf-8"))
    ours = {"c_storage_bas": s["maps"][0]["total_MgC"], "c_storage_alt": s["maps"][1]["total_MgC"],
            "c_change_bas_alt": s["changes"][0]["change_MgC"], "npv_alt": s["changes"][0]["npv"]}
    rows = []
    for key, val in ours.items():
        ref = next((v for k, v in inv.items() if k.startswith(key)), None)
        rows.append({"quantity": key, "invest": ref, "landcarbon": val,
                     "rel_diff": None if ref is None else abs(val - ref) / max(abs(ref), 1e-300)})
    pix = {}
    for inv_name, lc_name in (("c_storage_bas", f"c_storage_{y0}"), ("c_storage_alt", f"c_storage_{y1}"),
                              ("c_change_bas_alt", f"c_change_{y0}_{y1}"), ("npv_alt", f"npv_{y0}_{y1}")):
        with rasterio.open(inv_ws / f"{inv_name}.tif") as r1, rasterio.open(lc_out / f"{lc_name}.tif") as r2:
            x, nd = r1.read(1), r1.nodata
            y = r2.read(1)
        valid = (x != nd) if nd is not None else np.ones(x.shape, bool)
        both = valid & np.isfinite(y)
        diff = np.abs(x[both].astype(np.float64) - y[both].astype(np.float64))
        scale = np.maximum(np.abs(x[both].astype(np.float64)), 1.0)
        pix[inv_name] = {"cells_compared": int(both.sum()), "valid_only_invest": int((valid & ~np.isfinite(y)).sum()),
                         "valid_only_landcarbon": int((~valid & np.isfinite(y)).sum()),
                         "max_rel_diff": float((diff / scale).max()) if diff.size else 0.0,
                         "ours_nan_where_invest_minus1": int((~valid & np.isfinite(y) & (y == -1.0)).sum())}
    print(json.dumps({"workdir": str(work), "invest": {"wall_s": round(inv_wall, 2), "peak_rss_MB": round(inv_rss, 1)},
                      "landcarbon": {"wall_s": round(lc_wall, 2), "peak_rss_MB": round(lc_rss, 1)},
                      "totals": rows, "maps": pix}, indent=1))


if __name__ == "__main__":
    main()
