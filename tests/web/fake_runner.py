"""A stand-in for `landcarbon run` in the web tests: records a study with STEPS steps in the catalog, one
after another (pending → running → done), sleeping DELAY seconds each; ``--fail`` fails the last one.

    python fake_runner.py PLAN OUT CATALOG [--delay S] [--fail]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from landcarbon.io.catalog import Catalog

STEPS = ("prepare", "change", "simulate/natural/2035", "stock/natural/2035")


def main(argv: list[str]) -> int:
    plan, out, catalog = argv[:3]
    delay = float(argv[argv.index("--delay") + 1]) if "--delay" in argv else 0.05
    study = Path(plan).name.removesuffix(".plan.toml")
    Path(out).mkdir(parents=True, exist_ok=True)
    cat = Catalog.open(catalog, create=True)
    cat.record_study(study, name=study, region="test")
    for s in STEPS:
        cat.record_step(study, s, status="pending")
    for i, s in enumerate(STEPS):
        cat.record_step(study, s, status="running")
        print(f"step {s} running", flush=True)
        time.sleep(delay)
        if "--fail" in argv and i == len(STEPS) - 1:
            cat.record_step(study, s, status="failed", message="boom")
            print(f"error: step {s} failed: boom", flush=True)
            return 2
        cat.record_step(study, s, status="done", seconds=delay)
        print(f"step {s} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
