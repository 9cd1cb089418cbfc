"""``landcarbon indicators``: indicator monitoring (监测预警) on a variables table (options from the spec)."""

from __future__ import annotations

from .specgen import build_command

cli = build_command("indicators")
