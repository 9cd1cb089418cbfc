"""``landcarbon validate``: OA, Kappa, FoM and Pontius components beside the persistence baseline (methods.md §9).

Options come from the ``validate`` spec.
"""

from __future__ import annotations

from typing import Any

from .specgen import build_command, summary_lines


def _lines(s: dict[str, Any]) -> list[str]:
    sim, base = s["simulated"], s["persistence"]
    lines = [f"{'metric':<26}{'simulated':>12}{'persistence':>13}"]
    for k in ("oa", "kappa", "fom", "quantity_disagreement", "allocation_disagreement"):
        lines.append(f"{k:<26}{sim[k]:>12.4f}{base[k]:>13.4f}")
    lines.append(f"hits {sim['hits']:,}  misses {sim['misses']:,}  wrong hits {sim['wrong_hits']:,}  "
                 f"false alarms {sim['false_alarms']:,}")
    rule = (s.get("verdict") or {}).get("rule", "methods.md §9")
    lines.append(f"calibration {'passes' if s['passed'] else 'does not pass'} ({rule})")
    return [*lines, *summary_lines({**s, "headline": []})]


cli = build_command("validate", formatter=_lines)
