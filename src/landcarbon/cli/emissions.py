"""``landcarbon emissions``: land-use (direct coefficient) and energy emissions by zone and year (options from
``models.emissions.SPEC``; methods.md §3)."""

from __future__ import annotations

from .specgen import build_command

cli = build_command("emissions")
