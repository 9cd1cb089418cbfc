"""Bad plan files (issue 9 item 1): each class is one error line with its place in the plan file.

Unknown keys and sections (with a did-you-mean), keys a model's spec does not have, missing files,
years out of order, a scenario naming an unknown rule set, a step whose input nothing produces; all
problems at once; the CLI prints each as ``error: plan.toml:12 [section] key: …`` and exits 2.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from landcarbon.cli.main import main
from landcarbon.core.errors import InputValidationError
from landcarbon.workflow.study import prepare
from landcarbon.workflow.study_plan import load_study

TEMPLATE = (resources.files("landcarbon") / "data" / "plans" / "county.toml").read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path, county_data):
    (tmp_path / "data").symlink_to(Path(county_data["landuse_2010"]).parent)
    return tmp_path


def _plan(folder: Path, text: str) -> Path:
    p = folder / "plan.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _line(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def _issues(plan: Path, tmp: Path) -> list[str]:
    with pytest.raises(InputValidationError) as ei:
        prepare(plan, inputs=tmp / "inputs")
    return [str(i) for i in ei.value.issues]


def test_the_shipped_plan_is_valid(folder):
    sp, b = prepare(_plan(folder, TEMPLATE), inputs=folder / "inputs")
    assert list(sp.scenarios) == ["natural_trend", "ecological_protection", "cropland_protection", "low_carbon"]
    assert sp.targets == [2035, 2060] and sp.base == 2020 and sp.calibration == (2015, 2020)
    ids = [s.id for s in b.steps]
    for sid in sp.scenarios:
        assert {f"demand/{sid}", f"simulate/{sid}", f"variables/{sid}", f"indicators/{sid}"} <= set(ids)
    assert "optimize/low_carbon" in ids and "peak" in ids and "indicators/observed" in ids
    sim = next(s for s in b.steps if s.id == "simulate/ecological_protection")
    assert sim.values["rules"] == "default" and set(sim.values["lines"]) == {"eco_redline", "basic_farmland",
                                                                              "urban_boundary"}
    assert sim.values["sample_rate"] == 0.2 and sim.values["seed"] == 1  # [simulate] and [seeds]
    assert "lines" not in next(s for s in b.steps if s.id == "simulate/natural_trend").values  # rules "none"


def test_unknown_keys_have_a_did_you_mean_and_the_line(folder):
    text = TEMPLATE.replace('demand = "optimize"', 'demnd = "optimize"').replace("[simulate]", "[simulat]")
    text = text.replace("sample_rate = 0.2", "sample_rate = 0.2\ntres = 20")
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, 'demnd = "optimize"')
    assert any(i.startswith(f"plan.toml:{n} [scenarios.low_carbon] demnd: unknown key 'demnd' (did you mean "
                            f"'demand'?)") for i in issues), issues
    n = _line(text, "[simulat]")
    assert any(i.startswith(f"plan.toml:{n} simulat: unknown section [simulat] (did you mean 'simulate'?)")
               for i in issues), issues


def test_a_model_section_takes_the_spec_keys_only(folder):
    text = TEMPLATE.replace("sample_rate = 0.2", "sample_rat = 0.2").replace(
        "pop_size = 40", "pop_size = 40\nlandus = \"x.tif\"")
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, "sample_rat = 0.2")
    assert any(i.startswith(f"plan.toml:{n} [simulate] sample_rat: is not an input of simulate (did you mean "
                            f"'sample_rate'?)") for i in issues), issues
    n = _line(text, "landus =")
    assert any(i.startswith(f"plan.toml:{n} [scenarios.low_carbon.optimize] landus: is not an input of optimize")
               for i in issues), issues
    text = TEMPLATE.replace("pop_size = 40", 'pop_size = 40\nlanduse = "x.tif"')
    n = _line(text, 'landuse = "x.tif"')
    assert any(i.startswith(f"plan.toml:{n} [scenarios.low_carbon.optimize] landuse: landuse is set by the study "
                            f"from [maps]") for i in _issues(_plan(folder, text), folder))


def test_missing_files_are_named(folder):
    text = TEMPLATE.replace("data/landuse_2015.tif", "data/landuse_2051.tif").replace("data/pools.csv",
                                                                                      "data/pool.csv")
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, "landuse_2051")
    assert any(i.startswith(f"plan.toml:{n} [maps] 2015: file data/landuse_2051.tif does not exist") for i in issues)
    n = _line(text, "data/pool.csv")
    assert any(i.startswith(f"plan.toml:{n} [tables] pools: file data/pool.csv does not exist") and
               "did you mean 'pools.csv'" in i for i in issues), issues


def test_years_out_of_order(folder):
    text = TEMPLATE.replace('2010 = "data/landuse_2010.tif"\n2015 = "data/landuse_2015.tif"',
                            '2015 = "data/landuse_2015.tif"\n2010 = "data/landuse_2010.tif"')
    text = text.replace("targets = [2035, 2060]", "targets = [2060, 2035]")
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, '2010 = "data/landuse_2010.tif"')
    assert any(i.startswith(f"plan.toml:{n} [maps] 2010: year 2010 comes after 2015; expected the maps in "
                            f"increasing order") for i in issues), issues
    n = _line(text, "targets = [2060, 2035]")
    assert any(i.startswith(f"plan.toml:{n} [years] targets: found [2060, 2035] (2060 then 2035 is out of order)")
               for i in issues), issues


def test_calibration_after_the_base_year(folder):
    text = TEMPLATE.replace("from = 2015\nto = 2020", "from = 2020\nto = 2015", 1)
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, "to = 2015")
    assert any(i.startswith(f"plan.toml:{n} [calibration] to: calibration runs from 2020 to 2015") for i in issues)


def test_a_scenario_naming_an_unknown_rule_set(folder):
    text = TEMPLATE.replace('rules = "planned"\npeak = "low_carbon"', 'rules = "plannd"\npeak = "low_carbon"')
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, 'rules = "plannd"')
    assert issues == [f"plan.toml:{n} [scenarios.low_carbon] rules: names the rule set 'plannd', which the plan does "
                      f"not define (did you mean 'planned'?); expected one of planned, unconstrained, default, "
                      f"soft-redline, none (add it to [rules])"]


def test_a_step_whose_input_nothing_produces(folder):
    # a reference to another step's output that no step writes, a target whose variables no step produces,
    # and an emission path without the STIRPAT tables
    text = TEMPLATE.replace("potential = false", 'potential = false\ntransition = "@change/2015-2021:transition_matrix_cells.csv"')
    text = text.replace('history = "data/history.csv"', "")
    text = text.replace('energy = "data/energy.csv"', "")
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, "transition = ")
    assert any(i.startswith(f"plan.toml:{n} [simulate] transition: reads step 'change/2015-2021', which no part of "
                            f"the plan produces (did you mean 'change/2015-2020'?)") for i in issues), issues
    n = _line(text, 'peak = "baseline"')
    assert any(i.startswith(f"plan.toml:{n} [scenarios.natural_trend] peak: names the emission path 'baseline'") and
               "nothing produces it: [tables] has no history" in i for i in issues), issues
    n = _line(text, 'indicator = "CIR"')
    assert any(i.startswith(f"plan.toml:{n} [indicators.targets.7] indicator: CIR") and
               "no step of the plan produces" in i for i in issues), issues


def test_a_reference_to_a_file_the_step_does_not_write(folder):
    text = TEMPLATE.replace("potential = false", 'potential = false\ntransition = "@change/2015-2020:matrix.csv"')
    issues = _issues(_plan(folder, text), folder)
    n = _line(text, "transition = ")
    assert any(i.startswith(f"plan.toml:{n} [simulate] transition: step change/2015-2020 (change) writes no "
                            f"'matrix.csv'") for i in issues), issues


def test_bad_values_and_syntax(folder):
    issues = _issues(_plan(folder, TEMPLATE.replace('language = "zh"', 'language = "fr"')), folder)
    assert any("[study] language: found 'fr'; expected one of zh, en" in i for i in issues)
    with pytest.raises(InputValidationError, match=r"plan.toml:\d+: the plan is not valid TOML"):
        load_study(_plan(folder, TEMPLATE.replace('[study]', '[study')))


def test_spec_checks_run_before_anything(folder, capsys):
    # a value of the right key but the wrong type, found through the simulate spec at the plan's line
    text = TEMPLATE.replace("trees = 20", 'trees = "many"')
    plan = _plan(folder, text)
    with pytest.raises(SystemExit) as ei:
        main(["check", str(plan)])
    err = capsys.readouterr().err.strip().splitlines()
    n = _line(text, 'trees = "many"')
    assert ei.value.code == 2 and err and all(e.startswith("error: ") for e in err)
    assert any(e.startswith(f"error: plan.toml:{n} [simulate] trees: (step simulate/") and "'many'" in e for e in err)


def test_cli_prints_one_error_line_per_problem(folder, capsys):
    text = TEMPLATE.replace('rules = "planned"\npeak = "low_carbon"', 'rules = "plannd"\npeak = "low_carbon"')
    text = text.replace("data/landuse_2015.tif", "data/landuse_2051.tif")
    plan = _plan(folder, text)
    with pytest.raises(SystemExit) as ei:
        main(["run", str(plan), "--out", str(folder / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert ei.value.code == 2 and len(err) == 2 and all(e.startswith("error: plan.toml:") for e in err), err
    assert not (folder / "out" / "steps").exists()  # nothing ran


def test_init_writes_a_plan_that_checks(tmp_path, capsys):
    main(["init", str(tmp_path / "ex")])
    assert "wrote" in capsys.readouterr().out
    plan = tmp_path / "ex" / "plan.toml"
    assert plan.read_text(encoding="utf-8") == TEMPLATE and (tmp_path / "ex" / "data" / "landuse_2020.tif").is_file()
    with pytest.raises(SystemExit) as ei:
        main(["init", str(tmp_path / "ex")])
    assert ei.value.code == 2 and "exists" in capsys.readouterr().err
    sp, _ = prepare(plan, inputs=tmp_path / "inputs")
    assert sp.id == "county_demo"


def test_the_wuhan_example_is_the_template(tmp_path):
    root = Path(__file__).resolve().parents[2]
    shipped = (resources.files("landcarbon") / "data" / "plans" / "wuhan.toml").read_text(encoding="utf-8")
    example = (root / "examples" / "wuhan.toml").read_text(encoding="utf-8")
    assert example == shipped.replace("{WUHAN_PLUS}", "../../shared/data/wuhan_plus")
    assert "2013" not in "".join(line.split("#")[0] for line in example.splitlines())  # the held-out map
