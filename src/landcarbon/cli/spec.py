"""``landcarbon spec [MODEL] [--json]``: the model contract, as text or as the JSON that plan files,
web forms and the QGIS provider read."""

from __future__ import annotations

import json

import click


def spec_document(model_id: str | None = None) -> dict:
    """The JSON form of one model's spec (with its command and run options), or of all of them."""
    from ..models import registry
    from .specgen import RUN_OPTIONS

    def one(m) -> dict:
        d = m.spec.to_json()
        d["command"] = list(m.command)
        d["run_options"] = [i.to_json() for i in RUN_OPTIONS]
        return d

    if model_id:
        return one(registry.get(model_id))
    return {"models": [one(m) for m in registry.MODELS.values()]}


def _text(d: dict) -> list[str]:
    lines = [f"{d['id']} (v{d['version']}): {d['title_en']} / {d['title_zh']}",
             f"  command: landcarbon {' '.join(d['command'])}" + (f"    methods: {d['methods']}" if d['methods'] else ""),
             "  inputs:"]
    for i in d["inputs"]:
        req = i["required"]
        req_s = "required" if req is True else ("optional" if req is False else f"required when {json.dumps(req)}")
        unit = f" [{i['units']}]" if i.get("units") else ""
        lines.append(f"    {i['name']:<22} {i['kind']:<9} {req_s:<10} {i['option']}{unit}  {i['help_en']}")
    lines.append("  outputs:")
    for o in d["outputs"]:
        unit = f" [{o['units']}]" if o.get("units") else ""
        lines.append(f"    {o['name']:<30} {o['kind']:<7}{unit}  {o['doc_en']}")
    return lines


@click.command("spec", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the spec as JSON (the contract other tools read).")
def cli(model: str | None, as_json: bool) -> None:
    """The inputs (kind, units, bounds, choices, defaults, zh/en labels) and outputs of each model."""
    doc = spec_document(model)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for d in ([doc] if model else doc["models"]):
        for line in _text(d):
            click.echo(line)
        click.echo("")
