"""The model contract, over every registered model: spec <-> CLI options <-> outputs a run writes.

A model is tested the day it is registered: a registered model without a case in
``contract_cases.CASES`` fails here.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import click
import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.cli.specgen import RUN_OPTIONS
from landcarbon.core.spec import INPUT_KINDS, Predicate
from landcarbon.core.validation import validate
from landcarbon.models.registry import MODELS
from landcarbon.workflow.runner import step_module

from .contract_cases import CASES

IDS = sorted(MODELS)


def _command(model):
    from landcarbon.cli.main import cli

    ctx = click.Context(cli)
    cmd = cli.get_command(ctx, model.command[0])
    for word in model.command[1:]:
        cmd = cmd.get_command(ctx, word)
    return cmd


@pytest.mark.parametrize("mid", IDS)
def test_registry_entry_loads(mid):
    m = MODELS[mid]
    assert m.spec.id == mid
    assert callable(m.compute)
    mod = step_module(mid)
    assert callable(getattr(mod, f"execute_{mid}", None) or getattr(mod, "execute", None)), m.step


@pytest.mark.parametrize("mid", IDS)
def test_spec_inputs_are_complete(mid):
    spec = MODELS[mid].spec
    names = [i.name for i in spec.inputs]
    assert len(names) == len(set(names)), "duplicate input names"
    assert spec.title_zh and spec.title_en and spec.methods_ref
    for inp in spec.inputs:
        assert inp.kind in INPUT_KINDS, (inp.name, inp.kind)
        assert inp.doc, f"{inp.name}: no help text"
        assert inp.label_zh, f"{inp.name}: no Chinese label"
        if inp.kind == "number":
            assert inp.units, f"{inp.name}: a number needs units ('-' when dimensionless)"
        if inp.kind == "choice":
            assert inp.choices, inp.name
            if inp.default is not None:
                assert inp.default in inp.choices, inp.name
        for other in inp.excludes:
            assert other in names, (inp.name, other)
        if inp.field_of:
            assert inp.field_of in names
        if isinstance(inp.required, Predicate):
            json.dumps(inp.required.to_json())
    # the defaults alone pass the value checks (apart from required inputs)
    _, issues = validate(spec, {})
    assert all("is required" in i.message for i in issues), [str(i) for i in issues]
    json.dumps(spec.to_json(), ensure_ascii=False)


@pytest.mark.parametrize("mid", IDS)
def test_spec_outputs_are_described(mid):
    spec = MODELS[mid].spec
    assert spec.outputs, "a model writes something"
    for o in spec.outputs:
        assert o.doc and o.doc_zh, f"{o.name}: describe it in English and Chinese"
        assert o.kind in ("raster", "table", "vector", "json", "figure", "html", "file"), o.kind
        if o.kind == "raster":
            assert o.units, f"{o.name}: raster outputs carry units"


@pytest.mark.parametrize("mid", IDS)
def test_cli_options_are_the_spec_inputs(mid):
    model = MODELS[mid]
    cmd = _command(model)
    assert cmd is not None, f"no command {model.command}"
    opts = {p.name: p for p in cmd.params if isinstance(p, click.Option)}
    expected = {i.name for i in model.spec.inputs} | {i.name for i in RUN_OPTIONS}
    assert set(opts) == expected, (sorted(set(opts) - expected), sorted(expected - set(opts)))
    for inp in model.spec.inputs:
        p = opts[inp.name]
        assert inp.option in p.opts, (inp.name, p.opts)
        assert bool(p.multiple) == bool(inp.multiple) or inp.kind == "flag"
        if inp.units and inp.units != "-":
            assert inp.units in p.help, (inp.name, p.help)
        if inp.choices:
            assert all(str(c) in p.help for c in inp.choices), (inp.name, p.help)
        if inp.default not in (None, False, [], ()) and inp.kind != "flag":
            d = inp.default
            assert str(d if not isinstance(d, list | tuple) else d[0]) in p.help, (inp.name, p.help)


@pytest.mark.parametrize("mid", IDS)
def test_a_run_writes_the_spec_outputs(mid, tmp_path, capsys):
    assert mid in CASES, f"no contract case for {mid}: add one to tests/contracts/contract_cases.py"
    model = MODELS[mid]
    args = CASES[mid](tmp_path)
    out = tmp_path / "run"
    try:
        main([*model.command, *map(str, args), "--out", str(out), "--json"])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    assert code == 0, cap.err
    summary = json.loads(cap.out.strip().splitlines()[-1])
    assert summary["out"] == str(out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == mid and manifest["model_version"] == model.spec.version
    written = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    written = [w for w in written if w not in ("manifest.json", "summary.json")]
    patterns = [o.name for o in model.spec.outputs]
    undeclared = [w for w in written if not any(fnmatch.fnmatch(w, pat) for pat in patterns)]
    assert not undeclared, f"files written but not in the spec: {undeclared}"
    for o in model.spec.outputs:
        hits = [w for w in written if fnmatch.fnmatch(w, o.name)]
        if o.when is None and o.kind != "figure":
            assert hits, f"spec output {o.name} was not written"
        if o.kind == "table" and o.columns:
            for h in hits:
                df = pd.read_csv(out / h, encoding="utf-8-sig", nrows=5)
                for c in o.columns:
                    if c.required:
                        assert c.name in df.columns, f"{h}: column {c.name} ({c.units}) declared but not written"
        if o.kind == "raster" and o.units:
            import rasterio

            for h in hits:
                with rasterio.open(out / h) as src:
                    assert src.units[0] == o.units, (h, src.units[0], o.units)


def test_every_file_input_kind_has_a_resolver_check():
    from landcarbon.io.resolve import Resolver

    r = Resolver()
    assert hasattr(r, "check") and hasattr(r, "hash_inputs")


def test_spec_command_json_lists_every_model(capsys):
    try:
        main(["spec", "--json"])
    except SystemExit as e:  # pragma: no cover
        assert e.code == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(m["id"] for m in doc["models"]) == IDS


def test_unknown_model_in_spec_command_names_the_models(capsys):
    with pytest.raises(SystemExit) as e:
        main(["spec", "stok"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and err[0].startswith("error:")
    assert "carbon_stock" in err[0]


def _readme_root() -> Path:
    return Path(__file__).resolve().parents[2]
