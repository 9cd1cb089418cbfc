"""The study step graph: dependency order, cache by content, re-run only what changed, failure keeps
finished steps."""

from __future__ import annotations

import sys
import types

import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError, LandcarbonError
from landcarbon.core.spec import Column, Input, ModelSpec, NumberIn, TableIn, TableOut
from landcarbon.models import registry
from landcarbon.workflow.graph import Graph, Ref, Step, order

SPEC = ModelSpec(
    id="scale", version="1", title_en="Scale a table", title_zh="缩放", methods_ref="none",
    inputs=(TableIn("table", required=True, label_zh="表", doc="x", columns=(Column("x"),)),
            NumberIn("factor", units="-", default=1.0, label_zh="系数", doc="factor"),
            Input("fail", kind="flag", default=False, label_zh="失败", doc="fail on purpose")),
    outputs=(TableOut("out.csv", doc="scaled", doc_zh="缩放"),),
)
CALLS: list[float] = []


def _execute(ctx):
    if ctx["fail"]:
        raise LandcarbonError("asked to fail")
    df = ctx.table("table")
    CALLS.append(ctx["factor"])
    ctx.run.write_table(pd.DataFrame({"x": df["x"] * ctx["factor"]}), "out.csv")
    return {"total": float((df["x"] * ctx["factor"]).sum())}


@pytest.fixture
def toy(monkeypatch, tmp_path):
    mod = types.ModuleType("landcarbon_test_scale_step")
    mod.execute, mod.SPEC = _execute, SPEC
    monkeypatch.setitem(sys.modules, "landcarbon_test_scale_step", mod)
    monkeypatch.setitem(registry.MODELS, "scale", registry.Model(
        "scale", "landcarbon_test_scale_step:SPEC", "landcarbon_test_scale_step:execute", ("scale",),
        "landcarbon_test_scale_step"))
    CALLS.clear()
    t = tmp_path / "t.csv"
    t.write_text("x\n1\n2\n", encoding="utf-8")
    return t


def _steps(t, c_factor=3.0, fail=False):
    return [Step("a", "scale", {"table": str(t), "factor": 2.0}),
            Step("b", "scale", {"table": Ref("a", "out.csv"), "factor": 10.0, "fail": fail}),
            Step("c", "scale", {"table": str(t), "factor": c_factor})]


def test_runs_in_order_and_caches(toy, tmp_path):
    root = tmp_path / "study"
    g = Graph(_steps(toy), root, jobs=2, echo=lambda s: None)
    assert g.run() == {"a": "ran", "b": "ran", "c": "ran"}
    b = pd.read_csv(root / "steps" / "b" / "out.csv", encoding="utf-8-sig")
    assert b["x"].tolist() == [20.0, 40.0]  # (1, 2) x 2 x 10
    assert sorted(CALLS) == [2.0, 3.0, 10.0]
    CALLS.clear()
    assert Graph(_steps(toy), root, echo=lambda s: None).run() == {"a": "cached", "b": "cached", "c": "cached"}
    assert CALLS == []
    # edit one step: only it runs
    assert Graph(_steps(toy, c_factor=4.0), root, echo=lambda s: None).run()["c"] == "ran"
    assert CALLS == [4.0]
    # edit an input file: its step and the step reading its output run again
    CALLS.clear()
    toy.write_text("x\n1\n5\n", encoding="utf-8")
    st = Graph(_steps(toy, c_factor=4.0), root, echo=lambda s: None).run()
    assert st == {"a": "ran", "b": "ran", "c": "ran"} and len(CALLS) == 3


def test_failure_stops_and_keeps_finished_steps(toy, tmp_path):
    root = tmp_path / "study"
    with pytest.raises(LandcarbonError, match="step b failed: asked to fail"):
        Graph(_steps(toy, fail=True), root, jobs=1, echo=lambda s: None).run()
    assert (root / "steps" / "a" / "manifest.json").exists()
    assert not (root / "steps" / "b").exists()
    CALLS.clear()
    st = Graph(_steps(toy), root, echo=lambda s: None).run()
    assert st["a"] == "cached" and st["b"] == "ran"


def test_unknown_dependency_and_cycle():
    with pytest.raises(InputValidationError, match="no part of the plan produces"):
        order([Step("b", "scale", {"table": Ref("zz", "out.csv")}, where="plan.toml:3")])
    with pytest.raises(InputValidationError, match="cycle"):
        order([Step("a", "scale", {"table": Ref("b", "o")}), Step("b", "scale", {"table": Ref("a", "o")})])
