"""Planning evaluation: 双评价 (suitability), MCE, 三区三线 control lines, intensive use, ESV (methods.md §10–12)."""

from .ahp import AHPResult, ahp_weights, check_weights
from .control_lines import conflicts, line_areas, line_stats, rule_table
from .esv import coefficients as esv_coefficients
from .esv import esv as esv_by_group
from .esv import esv_change, unit_value
from .intensive import evaluate_intensive
from .mce import weighted_overlay
from .suitability import carrying_scale, evaluate_suitability, level_areas, slope_degrees

__all__ = [
    "AHPResult", "ahp_weights", "carrying_scale", "check_weights", "conflicts", "esv_by_group", "esv_change",
    "esv_coefficients", "evaluate_intensive", "evaluate_suitability", "level_areas", "line_areas", "line_stats",
    "rule_table", "slope_degrees", "unit_value", "weighted_overlay",
]
