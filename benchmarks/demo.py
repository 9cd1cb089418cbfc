"""Benchmark of ``landcarbon demo`` (China, MODIS 2019, 34 provinces) as ``make demo`` runs it.

Usage::

    python benchmarks/demo.py [--folder /tmp/lc_bench_demo] [--repeat 3] [--lang en]

Each repeat runs ``landcarbon demo --out DIR`` in a fresh child process (as ``make demo`` does, so
Python start-up and imports are counted). Wall time and peak RSS come from ``os.wait4`` of that child;
the per-step times come from the run's manifest (``timings_s``). Target: under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def run_once(out: Path, lang: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    exe = Path(sys.executable).with_name("landcarbon")
    cmd = [str(exe), "demo", "--out", str(out), "--lang", lang]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"demo failed: {proc.stderr.read().decode(errors='replace')}")
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    summ = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"wall_s": round(wall, 2), "in_run_s": summ["seconds"], "peak_rss_MB": round(usage.ru_maxrss / 1024, 1),
            "steps_s": man["timings_s"], "national_stock_MgC": summ["national_stock_MgC"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", default="/tmp/lc_bench_demo")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lang", default="en", choices=["en", "zh"])
    args = ap.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    results = [run_once(folder / f"run{i}", args.lang) for i in range(args.repeat)]
    for i, r in enumerate(results):
        print(f"run {i + 1}: wall {r['wall_s']} s, in-run {r['in_run_s']} s, peak RSS {r['peak_rss_MB']} MB, "
              f"steps {r['steps_s']}")
    walls = sorted(r["wall_s"] for r in results)
    print(f"median wall {walls[len(walls) // 2]} s (target < 60 s); national stock "
          f"{results[0]['national_stock_MgC']:.6e} Mg C")
    print(json.dumps({"cpu_count": os.cpu_count(), "runs": results}, indent=1))


if __name__ == "__main__":
    main()
