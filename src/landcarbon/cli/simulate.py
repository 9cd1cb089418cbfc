"""``landcarbon simulate``: PLUS-equivalent land-use simulation (LEAS + CARS) under the control lines.

The options are the spec's (``models.simulate.spec``). The old driver spelling ``--driver PATH:categorical``
/ ``--driver PATH:dem`` still works: it is read as ``--categorical-driver PATH`` / ``--driver PATH --dem PATH``
with one deprecation line.
"""

from __future__ import annotations

import click

from .specgen import build_command

cli = build_command("simulate")
_parse_args = cli.parse_args


def _legacy_drivers(ctx: click.Context, args: list[str]) -> list[str]:
    from ..workflow.simulate import parse_driver

    out: list[str] = []
    warned = False
    in_driver = False
    i = 0
    while i < len(args):
        tok = args[i]
        flag, eq, val = tok.partition("=")
        if tok.startswith("-"):
            in_driver = flag == "--driver"
            if not (in_driver and (eq or i + 1 < len(args))):
                out.append(tok)
                i += 1
                continue
            value, i = (val, i + 1) if eq else (args[i + 1], i + 2)
        elif in_driver:
            value, i = tok, i + 1
        else:
            out.append(tok)
            i += 1
            continue
        _, path, flags = parse_driver(value)
        if flags and not warned:
            click.echo("warning: --driver PATH:categorical / PATH:dem is deprecated; use --categorical-driver PATH "
                       "/ --dem PATH", err=True)
            warned = True
        out += ["--categorical-driver" if "categorical" in flags else "--driver", str(path) if flags else value]
        if "dem" in flags:
            out += ["--dem", str(path)]
    return _parse_args(ctx, out)


cli.parse_args = _legacy_drivers  # type: ignore[method-assign]

__all__ = ["cli"]
