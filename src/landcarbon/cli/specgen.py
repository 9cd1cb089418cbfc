"""Command-line commands generated from model specs: one option per spec input, one vocabulary.

``build_command("balance")`` returns a click command whose options are the spec's inputs
(``--name-with-dashes`` unless the input sets ``flag``) plus the run options every command shares
(``--out`` run folder, ``--overwrite``, ``--json``). Values are passed to the runner as text and
validated there from the spec, so every problem is reported at once, each as one ``error:`` line,
with the option named. Old spellings (``Input.aliases``) are hidden and print one deprecation line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from ..core.spec import Input, ModelSpec

_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")

#: options every generated command has (they are the runner's, not a model's)
RUN_OPTIONS: tuple[Input, ...] = (
    Input("out", kind="path", required=True, doc="Run folder for the outputs (created; written atomically, "
          "manifest last; a failed run leaves nothing there).", label_zh="输出目录", metavar="DIR"),
    Input("overwrite", kind="flag", default=False, doc="Replace a finished run already in the run folder, as a "
          "whole (without it an existing run is refused).", label_zh="覆盖已有结果"),
    Input("json", kind="flag", default=False, doc="Print the run summary as JSON instead of the short summary.",
          label_zh="JSON 输出"),
)


def help_text(inp: Input) -> str:
    bits = []
    if inp.units and inp.units not in ("-", ""):
        bits.append(inp.units)
    if inp.choices:
        bits.append("one of " + ", ".join(map(str, inp.choices)))
    if inp.kind != "flag" and inp.default is not None and inp.default != [] and inp.default != ():
        d = ", ".join(map(str, inp.default)) if isinstance(inp.default, list | tuple) else inp.default
        bits.append(f"default {d}")
    if inp.minimum is not None or inp.maximum is not None:
        lo = "" if inp.minimum is None else f"{'>' if inp.exclusive_minimum else '≥'} {inp.minimum:g}"
        hi = "" if inp.maximum is None else f"{'<' if inp.exclusive_maximum else '≤'} {inp.maximum:g}"
        bits.append(" and ".join(b for b in (lo, hi) if b))
    if inp.multiple:
        bits.append("repeatable")
    req = inp.required
    if req is True:
        bits.append("required")
    elif not isinstance(req, bool):
        from ..workflow.runner import name_refs

        bits.append("required when " + name_refs(req.describe(), lambda k: "--" + k.replace("_", "-")))
    tail = f" [{'; '.join(bits)}]" if bits else ""
    return (inp.doc or inp.label) + tail


def _metavar(inp: Input) -> str:
    if inp.metavar:
        return inp.metavar
    return {"landuse": "TIF", "raster": "TIF", "zones": "GPKG|SHP|TIF", "vector": "GPKG|SHP", "table": "CSV|XLSX",
            "scheme": "NAME|CSV", "reference": "NAME|CSV", "path": "PATH", "number": "NUMBER", "integer": "N",
            "year": "YEAR", "lines": "NAME=PATH", "pair": "KEY=VALUE", "choice": "CHOICE", "text": "TEXT"}.get(
                inp.kind, "VALUE")


def option_for(inp: Input) -> click.Option:
    """The click option of one spec input (no click-side validation: the spec validates)."""
    if inp.kind == "flag":
        if inp.default is True:
            base = inp.option
            return click.Option([f"{base}/--no-{base[2:]}", inp.name], default=None, help=help_text(inp))
        return click.Option([inp.option, inp.name], is_flag=True, default=None, help=help_text(inp))
    return click.Option([inp.option, inp.name], multiple=inp.multiple, default=None, type=click.STRING,
                        metavar=_metavar(inp), help=help_text(inp), envvar=inp.envvar,
                        show_envvar=inp.envvar is not None)


class SpecCommand(click.Command):
    """A click command that knows its spec: rewrites deprecated spellings and multi-value options."""

    def __init__(self, *args: Any, spec: ModelSpec, **kw: Any):
        super().__init__(*args, **kw)
        self.spec = spec
        self.alias_map: dict[str, tuple[Input, int | None]] = {}
        for inp in spec.inputs:
            for a in inp.aliases:
                flag, _, pos = a.partition("@")
                self.alias_map[flag] = (inp, int(pos) if pos else None)
        self.multi = {i.option: i for i in spec.inputs if i.multiple}

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        positional: dict[str, list[tuple[int, str]]] = {}
        warned: set[str] = set()
        i = 0
        current: Input | None = None
        while i < len(args):
            tok = args[i]
            flag, eq, val = tok.partition("=")
            if tok.startswith("--") and flag in self.alias_map:
                inp, pos = self.alias_map[flag]
                if flag not in warned:
                    click.echo(f"warning: {flag} is deprecated; use {inp.option}", err=True)
                    warned.add(flag)
                if pos is not None:
                    value = val if eq else (args[i + 1] if i + 1 < len(args) else None)
                    if value is None:
                        raise click.UsageError(f"{flag} needs a value")
                    positional.setdefault(inp.name, []).append((pos, value))
                    i += 1 if eq else 2
                    current = None
                    continue
                tok = inp.option + (f"={val}" if eq else "")
                flag = inp.option
            if tok.startswith("-") and not (current is not None and _NUMBER.match(tok)):
                current = self.multi.get(flag) if not eq else None
                out.append(tok)
                if current is not None and i + 1 < len(args):  # the option's first value
                    out.append(args[i + 1])
                    i += 2
                    continue
                i += 1
                continue
            if current is not None:  # another value of a multi-value option: --years 2020 2050
                out += [current.option, tok]
            else:
                out.append(tok)
            i += 1
        ctx.meta["landcarbon.positional"] = positional
        return super().parse_args(ctx, out)


Formatter = Callable[[dict[str, Any]], list[str]]


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The short summary: headline numbers with units, then the main outputs."""
    lines = []
    for h in summary.get("headline", []):
        v = h.get("value")
        if isinstance(v, float):
            v = f"{v:,.6g}" if abs(v) < 1e4 else f"{v:,.2f}"
        unit = f" {h['unit']}" if h.get("unit") else ""
        lines.append(f"{h['label']}: {v}{unit}")
    outs = summary.get("main_outputs") or []
    if outs:
        lines.append("outputs: " + ", ".join(outs))
    lines.append(f"written to {summary.get('out')}")
    return lines


def cli_namer(spec: ModelSpec) -> Callable[[str], str]:
    names = {i.name: i.option for i in (*spec.inputs, *RUN_OPTIONS)}

    def namer(key: str) -> str:
        return names.get(key, key)

    return namer


def build_command(model_id: str, *, name: str | None = None, formatter: Formatter | None = None,
                  after: Callable[[Any, dict[str, Any]], None] | None = None) -> click.Command:
    """The click command of registered model ``model_id``.

    ``formatter(summary) -> lines`` replaces the default short summary; ``after(ctx, summary)`` runs
    inside the staged run folder after the model's step (charts drawn by the report layer from
    ``ctx.run.staged`` and written with ``ctx.run.path(name)``, so they belong to the run).
    """
    from ..models import registry

    model = registry.get(model_id)
    spec = model.spec

    def callback(**kw: Any) -> None:
        ctx = click.get_current_context()
        out = kw.pop("out", None)
        overwrite = bool(kw.pop("overwrite", False))
        as_json = bool(kw.pop("json", False))
        values: dict[str, Any] = {}
        for inp in spec.inputs:
            v = kw.get(inp.name)
            if inp.multiple:
                v = list(v or [])
            pos = ctx.meta.get("landcarbon.positional", {}).get(inp.name)
            if pos:
                for idx, pv in sorted(pos):
                    v = list(v or [])
                    v.insert(min(idx, len(v)), pv)
            if v is None or v == []:
                continue
            values[inp.name] = v
        from ..core.errors import InputValidationError
        from ..core.spec import Issue
        from ..workflow.runner import run_model

        namer = cli_namer(spec)
        if not out:
            from ..core.validation import validate

            _, issues = validate(spec, values)
            raise InputValidationError([Issue("--out", "is required but was not given; give the run folder")]
                                       + [Issue(namer(i.key), i.message) for i in issues])
        summary = run_model(model.id, values, out=out, overwrite=overwrite, namer=namer,
                            scheduler=values.get("scheduler"), finish=after)
        if as_json:
            from ..io.tables import json_text

            click.echo(json_text(summary))
        else:
            for line in (formatter or summary_lines)(summary):
                click.echo(line)

    params = [option_for(i) for i in spec.inputs] + [option_for(i) for i in RUN_OPTIONS]
    doc = f"{spec.title_en} ({spec.title_zh}). {spec.doc}".strip()
    if spec.methods_ref:
        doc += f" See {spec.methods_ref}."
    if spec.examples:
        doc += "\n\n\b\n" + "\n".join(spec.examples)
    return SpecCommand(name or model.command[-1], spec=spec, callback=callback, params=params, help=doc,
                       context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})


__all__ = ["RUN_OPTIONS", "SpecCommand", "build_command", "cli_namer", "help_text", "option_for", "summary_lines"]
