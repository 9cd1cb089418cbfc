"""core.validation: values checked against a spec, every problem at once, keys not flags."""

from __future__ import annotations

from landcarbon.core.spec import Column, Equals, Input, ModelSpec, NumberIn, Present, TableIn
from landcarbon.core.validation import did_you_mean, validate

SPEC = ModelSpec(
    id="toy", version="1", title_en="Toy", title_zh="玩具", methods_ref="-",
    inputs=(
        Input("landuse", kind="landuse", multiple=True, required=True, doc="maps", label_zh="土地利用"),
        Input("years", kind="year", multiple=True, order="strictly_increasing", doc="years", label_zh="年份"),
        NumberIn("price", units="CNY/t CO2", minimum=0, doc="price", label_zh="碳价"),
        NumberIn("discount_rate", units="%/a", minimum=-100, exclusive_minimum=True, default=0.0,
                 required=Present("price"), doc="rate", label_zh="贴现率"),
        Input("method", kind="choice", choices=("markov", "trend"), default="markov", doc="m", label_zh="方法"),
        Input("seed", kind="integer", minimum=0, doc="seed", label_zh="随机种子"),
        Input("rules", kind="table", required=Equals("method", "trend"), doc="rules", label_zh="规则",
              columns=(Column("from", aliases=("源",)),)),
        Input("growth", kind="number", units="%/a", excludes=("price",), doc="g", label_zh="增长"),
        Input("pools", kind="pair", multiple=True, doc="p", label_zh="碳库"),
        Input("fast", kind="flag", default=False, doc="f", label_zh="快"),
    ),
)


def _msgs(issues):
    return {i.key: i.message for i in issues}


def test_coercion_and_defaults():
    vals, issues = validate(SPEC, {"landuse": ["a.tif", "b.tif"], "years": ["2020", "2050"], "price": "43",
                                   "seed": "7", "pools": ["soil=s.tif"], "fast": "yes"})
    assert issues == []
    assert vals["years"] == [2020, 2050] and vals["price"] == 43.0 and vals["seed"] == 7
    assert vals["discount_rate"] == 0.0 and vals["method"] == "markov"
    assert vals["pools"] == [("soil", "s.tif")] and vals["fast"] is True


def test_every_problem_at_once():
    vals, issues = validate(SPEC, {"years": ["2050", "2020"], "price": "-1", "seed": "-3", "method": "markow",
                                   "growth": "2", "pools": ["soil"], "colour": "red"})
    m = _msgs(issues)
    assert "landuse" in m and "is required" in m["landuse"]
    assert "2050 then 2020 is out of order" in m["years"] and "oldest first" in m["years"]
    assert m["price"].startswith("found -1 CNY/t CO2; expected at least 0")
    assert "found -3; expected at least 0" in m["seed"]
    assert "did you mean 'markov'" in m["method"]
    assert "exclude each other" in m["growth"]
    assert "NAME=VALUE" in m["pools"]
    assert "is not an input of toy" in m["colour"]
    # no message names a command-line flag
    assert not any("--" in i.message for i in issues)


def test_repeated_years_and_conditional_requirement():
    _, issues = validate(SPEC, {"landuse": ["a.tif"], "years": [2020, 2020], "method": "trend"})
    m = _msgs(issues)
    assert "is repeated" in m["years"]
    assert m["rules"] == "is required when ⟨method⟩ is trend but was not given"


def test_exclusive_bound_and_non_numbers():
    _, issues = validate(SPEC, {"landuse": ["a"], "price": "abc", "discount_rate": "-100", "seed": "1.5"})
    m = _msgs(issues)
    assert m["price"] == "found 'abc'; expected a number CNY/t CO2"
    assert m["discount_rate"] == "found -100 %/a; expected greater than -100 %/a"
    assert m["seed"] == "found '1.5'; expected a whole number"


def test_years_as_one_comma_separated_value():
    vals, issues = validate(SPEC, {"landuse": ["a"], "years": "2020,2035 2060"})
    assert issues == [] and vals["years"] == [2020, 2035, 2060]


def test_did_you_mean():
    assert did_you_mean("zone_feild", ["zone_field", "zones"]) == " (did you mean 'zone_field'?)"
    assert did_you_mean("qqq", ["zone_field"]) == ""


def test_table_columns_from_dict_shorthand():
    t = TableIn("pools", columns={"c_above": "Mg C/ha"})
    assert t.kind == "table" and t.columns[0].units == "Mg C/ha"
