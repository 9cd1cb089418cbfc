"""The demo is a list of named steps: a later issue can append its own."""

from __future__ import annotations

import json

import numpy as np

from landcarbon.workflow.demo import STEPS, DemoState, run_demo


def test_steps_are_named_and_extensible(tmp_path):
    assert [n for n, _ in STEPS] == ["load", "landuse", "zones", "stock", "tables", "rasters", "map", "accounts", "planning"]
    seen = {}

    def count_groups(st: DemoState) -> None:
        lu = st.data["landuse"].values
        seen["counts"] = np.bincount(lu.ravel(), minlength=7)
        st.run.write_json({"cells": seen["counts"].tolist()}, "group_cells.json")

    steps = [s for s in STEPS if s[0] in ("load", "landuse")] + [("count_groups", count_groups)]
    summary = run_demo(tmp_path / "out", steps=steps)
    assert summary["message"].startswith("demo finished")
    counts = seen["counts"]
    assert counts[1:].sum() > 0 and counts[1:].min() > 0  # all six groups occur in China's bounding box
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["group_cells.json", "manifest.json", "summary.json"]
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert list(man["timings_s"]) == ["load", "landuse", "count_groups"]
