"""``landcarbon allocate``: quota allocation among zones and compensation transfers (options from
``models.allocation.SPEC``)."""

from __future__ import annotations

from .specgen import build_command

cli = build_command("allocation", name="allocate")
