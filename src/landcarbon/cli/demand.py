"""``landcarbon demand``: land-use demand by Markov chain, trend, scenario rules or a table (methods.md §7.3–7.5).

Options come from the ``demand`` spec; ``--out`` is the run folder that holds demand.csv.
"""

from __future__ import annotations

from typing import Any

from .specgen import build_command, summary_lines


def _lines(s: dict[str, Any]) -> list[str]:
    import pandas as pd

    lines = pd.DataFrame(s.get("demand") or []).to_string(index=False).splitlines()
    if s.get("projection"):
        lines.append("projection: " + ", ".join(f"{y}: {m}" for y, m in s["projection"].items()))
    return [*lines, *summary_lines(s)]


cli = build_command("demand", formatter=_lines)
