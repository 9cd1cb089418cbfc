"""Run every benchmark once at its documented sizes (``make bench``); results go to stdout.

Each script documents its cases and writes nothing into the repository (generated inputs live
under /tmp). Copy the figures into docs/benchmarks.md together with the machine and its load.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS: list[list[str]] = [
    ["stock.py", "--repeat", "3", "--big", "40000"],
    ["demo.py", "--repeat", "3"],
    ["balance.py", "balance"],
    ["balance.py", "emissions-map", "--size", "10000"],
    ["change_demand_validate.py"],
    ["simulate.py", "wuhan"],
    ["simulate.py", "synthetic", "--size", "10000"],
    ["simulate.py", "dask", "--size", "600", "--zones", "3"],
    ["evaluate_optimize_wuhan.py"],
]


def main() -> int:
    failed = 0
    for args in RUNS:
        print(f"\n=== benchmarks/{' '.join(args)}", flush=True)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]])
        print(f"=== exit {r.returncode} after {time.perf_counter() - t0:.1f} s", flush=True)
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
