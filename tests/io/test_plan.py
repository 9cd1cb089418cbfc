"""Plan files: every key's line, syntax errors with their line, paths relative to the plan."""

from __future__ import annotations

import pytest

from landcarbon.core.errors import InputFileError, InputValidationError
from landcarbon.io.plan import locate_keys, read_plan_file

TEXT = '''# a plan
[study]
name = "县"   # comment
target_years = [2030, 2035]

[inputs]
landuse = { 2010 = "a.tif", 2020 = "b.tif" }
zones.path = "d.gpkg"

[scenarios.low_carbon]
demand = "optimize"

[[indicators]]
id = "fc"
[[indicators]]
id = "cr"
'''


def test_lines_of_keys_tables_inline_and_arrays(tmp_path):
    lines = locate_keys(TEXT)
    assert lines[("study", "name")] == 3 and lines[("study", "target_years")] == 4
    assert lines[("inputs", "landuse", "2020")] == 7 and lines[("inputs", "zones", "path")] == 8
    assert lines[("scenarios", "low_carbon")] == 10 and lines[("scenarios", "low_carbon", "demand")] == 11
    assert lines[("indicators", "1", "id")] == 16
    p = tmp_path / "plan.toml"
    p.write_text(TEXT, encoding="utf-8")
    plan = read_plan_file(p)
    assert plan.data["inputs"]["landuse"]["2020"] == "b.tif"
    assert plan.where(("scenarios", "low_carbon", "demand")) == "plan.toml:11 [scenarios.low_carbon] demand"
    assert plan.line(("scenarios", "low_carbon", "missing")) == 10  # the enclosing table
    assert plan.resolve("a.tif") == tmp_path.resolve() / "a.tif"


def test_syntax_error_names_the_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[study]\nname = "x"\nseed = seven\n', encoding="utf-8")
    with pytest.raises(InputValidationError) as e:
        read_plan_file(p)
    assert str(e.value).startswith("bad.toml:3: the plan is not valid TOML")


def test_missing_plan(tmp_path):
    with pytest.raises(InputFileError, match="landcarbon init"):
        read_plan_file(tmp_path / "none.toml")
