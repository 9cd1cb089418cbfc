"""Spec-generated commands and the runner, on a toy model registered for the test."""

from __future__ import annotations

import json
import sys
import types

import click
import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.cli.specgen import build_command
from landcarbon.core.spec import Column, Input, ModelSpec, NumberIn, Present, TableIn, TableOut
from landcarbon.models import registry

SPEC = ModelSpec(
    id="toy", version="1", title_en="Toy model", title_zh="玩具模型", methods_ref="none",
    inputs=(
        TableIn("amounts", required=True, label_zh="数量表", doc="zone, amount_t",
                columns=(Column("zone"), Column("amount_t", "t", aliases=("amount",)))),
        Input("landuse", kind="landuse", multiple=True, label_zh="土地利用", doc="maps", aliases=("--from@0", "--to@1")),
        Input("years", kind="year", multiple=True, order="strictly_increasing", label_zh="年份", doc="years"),
        NumberIn("factor", units="t CO2/t", minimum=0, default=1.0, label_zh="系数", doc="emission factor"),
        NumberIn("price", units="CNY/t CO2", minimum=0, label_zh="碳价", doc="price"),
        Input("price_unit", kind="choice", choices=("CNY/t CO2", "CNY/t C"), required=Present("price"),
              label_zh="碳价单位", doc="unit of price"),
        Input("maps", kind="flag", default=True, label_zh="地图", doc="write maps"),
    ),
    outputs=(TableOut("total.csv", doc="total", doc_zh="合计", columns={"total_tCO2": "t CO2"}),),
)


def _execute(ctx):
    df = ctx.table("amounts")
    col = "amount_t" if "amount_t" in df.columns else "amount"
    total = float(df[col].sum()) * ctx["factor"]
    ctx.run.write_table(pd.DataFrame({"total_tCO2": [total]}), "total.csv")
    return {"headline": [{"label": "total", "value": total, "unit": "t CO2"}], "main_outputs": ["total.csv"],
            "landuse": ctx["landuse"], "years": ctx["years"], "maps": ctx["maps"]}


@pytest.fixture
def toy(monkeypatch):
    mod = types.ModuleType("landcarbon_test_toy_step")
    mod.execute = _execute
    mod.SPEC = SPEC
    monkeypatch.setitem(sys.modules, "landcarbon_test_toy_step", mod)
    model = registry.Model("toy", "landcarbon_test_toy_step:SPEC", "landcarbon_test_toy_step:execute", ("toy",),
                           "landcarbon_test_toy_step")
    monkeypatch.setitem(registry.MODELS, "toy", model)
    cmd = build_command("toy")
    from landcarbon.cli import main as climain

    monkeypatch.setitem(climain.COMMANDS, "toy", ("toy", "toy"))
    orig = climain.LazyGroup.get_command

    def get_command(self, ctx, name):
        return cmd if name == "toy" else orig(self, ctx, name)

    monkeypatch.setattr(climain.LazyGroup, "get_command", get_command)
    monkeypatch.setattr(climain.LazyGroup, "list_commands", lambda self, ctx: list(climain.COMMANDS))
    return cmd


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def amounts(tmp_path):
    p = tmp_path / "amounts.csv"
    p.write_text("zone,amount\nA,2\nB,3\n", encoding="utf-8")
    return p


def test_options_come_from_the_spec(toy):
    names = {p.name for p in toy.params if isinstance(p, click.Option)}
    assert names == {"amounts", "landuse", "years", "factor", "price", "price_unit", "maps", "out", "overwrite",
                     "json"}
    help_of = {p.name: p.help for p in toy.params}
    assert "t CO2/t" in help_of["factor"] and "default 1.0" in help_of["factor"] and "≥ 0" in help_of["factor"]
    assert "CNY/t C" in help_of["price_unit"]


def test_run_short_summary_and_json(toy, amounts, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, err = _run(["toy", "--amounts", amounts, "--factor", "2", "--out", out], capsys)
    assert code == 0, err
    assert stdout.splitlines() == ["total: 10 t CO2", "outputs: total.csv", f"written to {out}"]
    man = json.loads((out / "manifest.json").read_text())
    assert man["model"] == "toy" and man["inputs"][0]["role"] == "amounts" and len(man["inputs"][0]["sha256"]) == 64
    assert man["parameters"]["factor"] == 2.0
    code, stdout, err = _run(["toy", "--amounts", amounts, "--out", out, "--json"], capsys)
    assert code == 2 and err.count("error:") == 1 and "--out" in err and "--overwrite" in err
    code, stdout, err = _run(["toy", "--amounts", amounts, "--out", out, "--json", "--overwrite"], capsys)
    assert code == 0 and json.loads(stdout)["headline"][0]["value"] == 2 * 1 + 3 * 1


def test_every_problem_is_one_error_line_naming_the_option(toy, tmp_path, capsys):
    bad = tmp_path / "folder"
    bad.mkdir()
    code, stdout, err = _run(["toy", "--amounts", bad, "--factor", "-1", "--years", "2050", "2020", "--price", "3",
                              "--out", tmp_path / "r"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and all(line.startswith("error: ") for line in lines), err
    text = "\n".join(lines)
    assert "--amounts: " in text and "is a folder" in text
    assert "--factor: found -1 t CO2/t; expected at least 0" in text
    assert "--years: " in text and "out of order" in text
    assert "--price-unit: is required when --price is given" in text
    assert len(lines) == 4
    assert not (tmp_path / "r").exists()


def test_missing_column_and_no_rows(toy, tmp_path, capsys):
    p = tmp_path / "t.csv"
    p.write_text("zone,amont\nA,1\n", encoding="utf-8")
    code, _, err = _run(["toy", "--amounts", p, "--out", tmp_path / "r"], capsys)
    assert code == 2 and "lacks column(s) amount_t (or amount) in t (did you mean 'amont'?)" in err
    p.write_text("zone,amount\n", encoding="utf-8")
    code, _, err = _run(["toy", "--amounts", p, "--out", tmp_path / "r"], capsys)
    assert code == 2 and "header but no data rows" in err


def test_multi_values_aliases_and_negated_flag(toy, amounts, tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, err = _run(["toy", "--amounts", amounts, "--to", "b.tif", "--from", "a.tif", "--years", "2020",
                              "2050", "--no-maps", "--out", out, "--json"], capsys)
    # a.tif / b.tif do not exist: the aliases were mapped onto --landuse in position order
    assert code == 2 and "warning: --to is deprecated; use --landuse" in err
    assert "--landuse: file a.tif does not exist" in err and "--landuse: file b.tif does not exist" in err
    assert err.index("a.tif") < err.index("b.tif")


def test_unknown_option_and_missing_out_are_one_line(toy, amounts, tmp_path, capsys):
    code, _, err = _run(["toy", "--amounts", amounts, "--factr", "2", "--out", tmp_path / "r"], capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ") and "--factor" in err
    code, _, err = _run(["toy", "--factor", "x"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and lines[0] == "error: --out: is required but was not given; give the run folder"
    assert any("--amounts: is required" in s for s in lines) and any("--factor: found 'x'" in s for s in lines)


def test_out_that_is_a_file(toy, amounts, tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_text("a")
    code, _, err = _run(["toy", "--amounts", amounts, "--out", f], capsys)
    assert code == 2 and "--out: " in err and "is a file; expected a folder" in err
