"""Bad input, by class (issue 8 item 6), through the command line: `balance`, `peak`, `allocate`.

Every refused case exits 2 with one ``error:`` line per problem naming the option, the value found and what is
expected, and leaves nothing at ``--out``. The synthetic county (``county_data``) gives the tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from landcarbon.cli.main import main

ZONES = ["城关区", "新港区", "青山县", "稻香县"]


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _refused(args, out: Path, capsys, *words: str, lines: int | None = 1) -> str:
    """Run ``args --out out``: exit 2, only ``error:`` lines (``lines`` of them), each word present, no ``out``."""
    code, _, err = _run([*args, "--out", out], capsys)
    got = err.strip().splitlines()
    assert code == 2, err
    assert got and all(g.startswith("error: ") for g in got), err
    if lines is not None:
        assert len(got) == lines, err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists(), "a refused run left something at --out"
    return err


def _ok(args, out: Path, capsys) -> dict:
    code, stdout, err = _run([*args, "--out", out, "--json"], capsys)
    assert code == 0, err
    return json.loads(stdout.strip().splitlines()[-1])


def _csv(path: Path, df: pd.DataFrame) -> Path:
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def d(county_data, tmp_path_factory):
    """Paths of the county tables plus a small emissions table, indicator table and balance table."""
    t = tmp_path_factory.mktemp("bad_input")
    em = pd.DataFrame({"zone": ZONES * 2, "year": [2022] * 4 + [2023] * 4,
                       "emission_tCO2e": [9e5, 6e5, 1e5, 2e5, 8.5e5, 5.8e5, 0.9e5, 1.8e5],
                       "absorption_tCO2": [1e4, 2e4, 3e5, 1e5, 1.1e4, 2.1e4, 3.1e5, 1.1e5]})
    se = pd.read_csv(county_data["socioeconomic"], encoding="utf-8-sig")
    ind = se.query("year == 2023")[["zone", "population_1e4", "gdp_1e8CNY"]].assign(
        emission_tCO2e=[8.5e5, 5.8e5, 0.9e5, 1.8e5])
    bal = pd.DataFrame({"zone": ZONES, "year": 2023, "value_allowance_CNY": [3e6, 1e6, -2.5e6, -1.5e6]})
    return {**county_data, "tmp": t, "em_df": em, "se_df": se, "ind_df": ind, "bal_df": bal,
            "hist_df": pd.read_csv(county_data["history"], encoding="utf-8-sig"),
            "scen_df": pd.read_csv(county_data["scenarios"], encoding="utf-8-sig"),
            "em": _csv(t / "em.csv", em), "ind": _csv(t / "ind.csv", ind), "bal": _csv(t / "bal.csv", bal)}


def _bal(d, **over):
    args = {"--emissions": d["em"], "--socioeconomic": d["socioeconomic"]} | over
    return ["balance", *[x for kv in args.items() for x in kv]]


def _peak(d, *extra, history=None, scenarios=None):
    return ["peak", "--history", history or d["history"], "--scenarios", scenarios or d["scenarios"],
            "--bootstrap", "5", *extra]


def _alloc(d, *extra, indicators=None):
    return ["allocate", "--indicators", indicators or d["ind"], "--quota", "150", "--quota-unit", "1e4 t CO2e",
            *extra]


# --------------------------------------------------------------------------------------------------
# physical range and sign


def test_range_and_sign(d, tmp_path, capsys):
    o = tmp_path / "o"
    _refused(_bal(d, **{"--price": "-5", "--price-unit": "CNY/t CO2"}), o, capsys, "--price", "found -5", "at least 0")
    _refused(_bal(d, **{"--band": "1.5"}), o, capsys, "--band", "found 1.5", "less than 1")
    neg = d["em_df"].copy()
    neg.loc[0, "emission_tCO2e"] = -5
    _refused(_bal(d, **{"--emissions": _csv(tmp_path / "neg.csv", neg)}), o, capsys, "--emissions", "≥ 0",
             "data row 1")
    se0 = d["se_df"].copy()
    se0.loc[(se0["zone"] == "青山县") & (se0["year"] == 2023), "gdp_1e8CNY"] = 0
    _refused(_bal(d, **{"--socioeconomic": _csv(tmp_path / "se0.csv", se0)}), o, capsys, "--socioeconomic",
             "is 0 for zone 青山县, year 2023", "expected > 0")
    _refused(_peak(d, "--seed", "-1"), o, capsys, "--seed", "found -1", "at least 0")
    _refused(["peak", "--history", d["history"], "--scenarios", d["scenarios"], "--bootstrap", "-5"], o, capsys,
             "--bootstrap", "found -5")
    sc = d["scen_df"].copy()
    sc.loc[0, "population_growth_pct"] = -120
    _refused(_peak(d, scenarios=_csv(tmp_path / "sc.csv", sc)), o, capsys, "--scenarios", "-120 %/a", "> −100 %/a")
    h = d["hist_df"].copy()
    h.loc[2, "pcgdp"] = 0
    _refused(_peak(d, history=_csv(tmp_path / "h.csv", h)), o, capsys, "--history", "'pcgdp'", "≤ 0", "[2002]")
    _refused(_alloc(d)[:3] + ["--quota", "-5", "--quota-unit", "t CO2e"], o, capsys, "--quota", "found -5")
    _refused(_alloc(d, "--method", "composite", "--weights", "population=-0.3", "efficiency=1.3"), o, capsys,
             "--weights", "-0.3", "≥ 0")
    ind = d["ind_df"].copy()
    ind.loc[ind.index[0], "gdp_1e8CNY"] = 0
    _refused(_alloc(d, "--method", "ability_to_pay", indicators=_csv(tmp_path / "i0.csv", ind)), o, capsys,
             "--indicators", "is 0 for zone 城关区", "expected > 0")


# --------------------------------------------------------------------------------------------------
# plausibility bounds name the suspected unit and can be overridden


def test_plausibility_names_the_unit_and_can_be_overridden(d, tmp_path, capsys):
    se = d["se_df"].copy()
    se["population_1e4"] *= 1e4                                      # persons in a 10^4-persons column
    p = _csv(tmp_path / "se.csv", se)
    _refused(_bal(d, **{"--socioeconomic": p}), tmp_path / "a", capsys, "--socioeconomic", "CNY/person",
             "10^4 persons", "--allow-implausible")
    assert _ok([*_bal(d, **{"--socioeconomic": p}), "--allow-implausible"], tmp_path / "a", capsys)["n_zones"] == 4
    sc = d["scen_df"].drop(columns="pcgdp_growth_pct").assign(pcgdp_level=12.0)   # 10^4 CNY for a CNY column
    p = _csv(tmp_path / "sc.csv", sc)
    err = _refused(_peak(d, scenarios=p), tmp_path / "b", capsys, "--scenarios", "pcgdp", "another unit",
                   "--allow-implausible", lines=3)                   # one line per scenario
    assert "baseline" in err and "low_carbon" in err and "high_growth" in err
    assert len(_ok([*_peak(d, scenarios=p), "--allow-implausible"], tmp_path / "b", capsys)["peaks"]) == 3
    _refused(_alloc(d)[:3] + ["--quota", "150", "--quota-unit", "t CO2e"], tmp_path / "c", capsys, "--quota",
             "ratio", "--quota-unit", "--allow-implausible")
    s = _ok(_alloc(d)[:3] + ["--quota", "150", "--quota-unit", "t CO2e", "--allow-implausible"], tmp_path / "c",
            capsys)
    assert s["quota_tCO2e"] == 150


# --------------------------------------------------------------------------------------------------
# unknown names and keys: did-you-mean


@pytest.mark.parametrize("case, words", [
    (lambda d: _bal(d, **{"--zones": d["zones"], "--zone-field": "nmae"}), ("--zone-field", "did you mean 'name'")),
    (lambda d: _bal(d, **{"--price-basis": "cea_2023_year_end_clse"}),
     ("--price-basis", "did you mean 'cea_2023_year_end_close'")),
    (lambda d: _peak(d, "--drivers", "populaton", "pcgdp"), ("--drivers", "did you mean 'population'")),
    (lambda d: _peak(d, "--kuznets", "pcgpd"), ("--kuznets", "did you mean 'pcgdp'")),
    (lambda d: _peak(d, scenarios="reference:李雪梅张庆_Tianjn"), ("--scenarios", "did you mean '李雪梅张庆_Tianjin'")),
    (lambda d: _alloc(d, "--method", "compsite"), ("--method", "did you mean 'composite'")),
    (lambda d: _alloc(d, "--method", "composite", "--weights", "populaton=0.3", "efficiency=0.7"),
     ("--weights", "did you mean 'population'")),
    (lambda d: _alloc(d, "--principles", "populaton"), ("--principles", "did you mean 'population'")),
    (lambda d: _alloc(d, "--method", "zsg-dea", "--dea-inputs", "populaton"),
     ("--dea-inputs", "did you mean 'population'")),
])
def test_unknown_names_have_a_did_you_mean(d, tmp_path, capsys, case, words):
    _refused(case(d), tmp_path / "o", capsys, *words)


def test_scenario_column_for_no_driver_and_a_scenario_word(d, tmp_path, capsys):
    sc = d["scen_df"].rename(columns={"pcgdp_growth_pct": "pcgdp_grwth_pct"})
    _refused(_peak(d, scenarios=_csv(tmp_path / "sc.csv", sc)), tmp_path / "o", capsys, "--scenarios",
             "no path for driver 'pcgdp'", "pcgdp_growth_pct")
    _refused(_peak(d, scenarios="baseline"), tmp_path / "o", capsys, "--scenarios", "'baseline'",
             "reference:李雪梅张庆_Tianjin")


# --------------------------------------------------------------------------------------------------
# options that would do nothing


@pytest.mark.parametrize("case, words, lines", [
    (lambda d: _bal(d, **{"--map-year": "2022"}), ("--map-year", "no zones", "--zones"), 1),
    (lambda d: _bal(d, **{"--map-year": "2019"}), ("--map-year", "2019", "[2022, 2023]"), 1),
    (lambda d: _bal(d, **{"--zone-field": "name"}), ("--zone-field", "no zones"), 1),
    (lambda d: _bal(d, **{"--zones": d["zones_raster"], "--zone-field": "name"}), ("--zone-field", "raster"), 1),
    (lambda d: _bal(d, **{"--price-unit": "CNY/t C"}), ("--price-unit", "no price", "--price"), 1),
    (lambda d: _peak(d)[:-2] + ["--bootstrap", "0", "--seed", "4"], ("--seed", "--bootstrap"), 1),
    (lambda d: _peak(d, "--after-last", "zero", "--horizon", "2040"), ("--after-last", "changes nothing"), 1),
    (lambda d: _alloc(d, "--method", "population", "--weights", "population=1"), ("--weights", "does not use"), 1),
    (lambda d: _alloc(d, "--normalise-weights"), ("--normalise-weights", "nothing to normalise"), 1),
    (lambda d: _alloc(d, "--dea-inputs", "population", "--vrs"), ("--dea-inputs", "--vrs", "zsg-dea"), 2),
    (lambda d: _alloc(d, "--balance-year", "2023"), ("--balance-year", "--balance"), 1),
    (lambda d: _alloc(d, "--balance", d["bal"], "--balance-year", "2021"),
     ("--balance-year", "year 2021 is not in the balance table, whose years are [2023]"), 1),
])
def test_options_that_would_do_nothing(d, tmp_path, capsys, case, words, lines):
    _refused(case(d), tmp_path / "o", capsys, *words, lines=lines)


# --------------------------------------------------------------------------------------------------
# prices: a number needs its unit; a per-t-C value labelled per t CO2 is refused


def test_price_needs_its_unit(d, tmp_path, capsys):
    _refused(_bal(d, **{"--price": "50"}), tmp_path / "o", capsys, "--price-unit", "is required when")
    _refused(_bal(d, **{"--price": "260.9", "--price-unit": "CNY/t CO2"}), tmp_path / "o", capsys, "--price-unit",
             "per t C")
    _refused(_bal(d, **{"--price": "50", "--price-unit": "CNY/t CO2", "--price-basis": "cea_2021_low"}),
             tmp_path / "o", capsys, "--price", "exclude each other")
    s = _ok(_bal(d, **{"--price": "260.9", "--price-unit": "CNY/t C"}), tmp_path / "a", capsys)
    assert s["price_CNY_per_tCO2"] == pytest.approx(260.9 * 12 / 44)
    s = _ok(_bal(d, **{"--price-basis": "ccer_expected_price_end_2023"}), tmp_path / "b", capsys)
    assert s["price_CNY_per_tCO2"] == 65.0
    tot = pd.read_csv(tmp_path / "b" / "balance_totals.csv", encoding="utf-8-sig")
    assert "65 CNY/t CO2" in tot["value_basis"].iloc[0] and "CCER" in tot["value_basis"].iloc[0]


# --------------------------------------------------------------------------------------------------
# silent rescaling


def test_weights_not_summing_to_one(d, tmp_path, capsys):
    args = _alloc(d, "--method", "composite", "--weights", "population=3", "grandfathering=1")
    _refused(args, tmp_path / "o", capsys, "--weights", "sum to 4", "--normalise-weights")
    code, stdout, err = _run([*args, "--normalise-weights", "--out", tmp_path / "o", "--json"], capsys)
    assert code == 0 and err.startswith("warning: ") and "normalised to 1" in err
    s = json.loads(stdout)
    assert s["weights"] == pytest.approx({"population": 0.75, "grandfathering": 0.25})
    assert s["weights_normalised_from_sum"] == 4
    s = _ok(_alloc(d, "--method", "composite", "--weights", "population=0.3,efficiency=0.7"), tmp_path / "c", capsys)
    assert s["weights"] == pytest.approx({"population": 0.3, "efficiency": 0.7})   # the old comma form


# --------------------------------------------------------------------------------------------------
# order that matters


def test_order_that_matters(d, tmp_path, capsys):
    o = tmp_path / "o"
    sc = d["scen_df"].copy()
    sc.loc[1, "period"] = "2030-2026"
    _refused(_peak(d, scenarios=_csv(tmp_path / "a.csv", sc)), o, capsys, "--scenarios", "ends before it starts",
             "earlier year first")
    sc = d["scen_df"].copy()
    sc.loc[1, "period"] = "2027-2030"
    _refused(_peak(d, scenarios=_csv(tmp_path / "b.csv", sc)), o, capsys, "--scenarios", "not contiguous")
    sc = d["scen_df"].copy()
    sc.loc[0, "period"] = "2020-2025"
    _refused(_peak(d, scenarios=_csv(tmp_path / "c.csv", sc)), o, capsys, "--scenarios", "must start in 2023")
    stock = pd.DataFrame({"zone": ZONES, "delta_MgC": [-1e4, -5e3, 2e5, 8e4], "t1": 2020, "t2": 2010})
    _refused(_bal(d, **{"--stock-change": _csv(tmp_path / "s.csv", stock)}), o, capsys, "--stock-change",
             "t1 < t2")


# --------------------------------------------------------------------------------------------------
# duplicate keys name the rows; every zone in every year; two columns for one quantity


def test_duplicates_name_the_rows(d, tmp_path, capsys):
    o = tmp_path / "o"
    em = d["em_df"]
    _refused(_bal(d, **{"--emissions": _csv(tmp_path / "e.csv", pd.concat([em, em.iloc[[1]]]))}), o, capsys,
             "--emissions", "(新港区, 2022)", "data rows 2, 9")
    se = d["se_df"]
    _refused(_bal(d, **{"--socioeconomic": _csv(tmp_path / "s.csv", pd.concat([se, se.iloc[[0]]]))}), o, capsys,
             "--socioeconomic", "(城关区, 2010)", "data rows 1,")
    h = d["hist_df"]
    _refused(_peak(d, history=_csv(tmp_path / "h.csv", pd.concat([h, h.iloc[[3]]]))), o, capsys, "--history",
             "[2003]", "data rows 4, 24")
    ind = d["ind_df"]
    _refused(_alloc(d, indicators=_csv(tmp_path / "i.csv", pd.concat([ind, ind.iloc[[1]]]))), o, capsys,
             "--indicators", "新港区", "data rows 2, 5")
    bal = d["bal_df"]
    _refused(_alloc(d, "--balance", _csv(tmp_path / "b.csv", pd.concat([bal, bal.iloc[[0]]]))), o, capsys,
             "--balance", "(城关区, 2023)", "data rows 1, 5")


def test_tables_that_gave_a_wrong_number_with_exit_0(d, tmp_path, capsys):
    """Each of these ran to the end before (exit 0) and wrote numbers that were wrong, except where noted."""
    o = tmp_path / "o"
    # a zone missing in one year: every other zone's ECC, ESC and CCR_R of that year was taken over 3 zones
    _refused(_bal(d, **{"--emissions": _csv(tmp_path / "e.csv", d["em_df"].drop(index=[5]))}), o, capsys,
             "--emissions", "(新港区, 2023)", "every zone in every year")
    # two GDP columns: one was taken silently
    se = d["se_df"].assign(gdp_1e4CNY=d["se_df"]["gdp_1e8CNY"] * 1e3)
    _refused(_bal(d, **{"--socioeconomic": _csv(tmp_path / "s.csv", se)}), o, capsys, "--socioeconomic",
             "gdp_1e4CNY", "gdp_1e8CNY", "one GDP column")
    # a second emissions column became a driver, ln C regressed on ln C (refused before only by chance: the
    # scenario table had no path for that "driver")
    h = d["hist_df"].assign(emissions_tCO2=d["hist_df"]["emissions_1e4tCO2"] * 1e4)
    _refused(_peak(d, history=_csv(tmp_path / "h.csv", h)), o, capsys, "--history", "2 emissions columns")
    # a text column became a driver (refused before, naming every year of the series)
    h = d["hist_df"].assign(region="county")
    _refused(_peak(d, history=_csv(tmp_path / "h2.csv", h)), o, capsys, "--history", "'region'", "no numbers",
             "--drivers")
    # a quota without its unit was taken as t CO2e
    _refused(_alloc(d)[:5] + ["--method", "population"], o, capsys, "--quota-unit", "required")
    # ZSG-DEA started from an initial allocation that gave a zone nothing (refused before, keyed to --quota)
    ind = d["ind_df"].assign(emission_tCO2e=[8.5e5, 0.0, 0.9e5, 1.8e5])
    _refused(_alloc(d, "--method", "zsg-dea", indicators=_csv(tmp_path / "i.csv", ind)), o, capsys,
             "--dea-initial", "新港区", "no quota")


# --------------------------------------------------------------------------------------------------
# workbooks, header-only tables, missing options, bad choices, folders, --out


def _xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False)
    return path


def test_workbook_with_the_data_on_another_sheet(d, tmp_path, capsys):
    note = pd.DataFrame({"说明": ["synthetic"]})
    em = _xlsx(tmp_path / "em.xlsx", {"说明": note, "排放": d["em_df"]})
    _refused(_bal(d, **{"--emissions": em}), tmp_path / "o", capsys, "--emissions", "排放", "sheet")
    assert _ok([*_bal(d, **{"--emissions": em}), "--emissions-sheet", "排放"], tmp_path / "a", capsys)["n_zones"] == 4
    h = _xlsx(tmp_path / "h.xlsx", {"说明": note, "history": d["hist_df"]})
    _refused(_peak(d, history=h), tmp_path / "o", capsys, "--history", "history", "sheet")
    ind = _xlsx(tmp_path / "i.xlsx", {"说明": note, "指标": d["ind_df"]})
    _refused(_alloc(d, indicators=ind), tmp_path / "o", capsys, "--indicators", "指标", "sheet")
    assert _ok(_alloc(d, "--indicators-sheet", "指标", indicators=ind), tmp_path / "c", capsys)["quota_tCO2e"] == 1.5e6


def test_header_without_rows(d, tmp_path, capsys):
    o = tmp_path / "o"
    _refused(_bal(d, **{"--emissions": _csv(tmp_path / "e.csv", d["em_df"].iloc[:0])}), o, capsys, "--emissions",
             "no data rows")
    _refused(_peak(d, history=_csv(tmp_path / "h.csv", d["hist_df"].iloc[:0])), o, capsys, "--history",
             "no data rows")
    _refused(_alloc(d, indicators=_csv(tmp_path / "i.csv", d["ind_df"].iloc[:0])), o, capsys, "--indicators",
             "no data rows")


@pytest.mark.parametrize("cmd, options", [
    ("balance", ["--emissions", "--socioeconomic"]),
    ("peak", ["--history", "--scenarios"]),
    ("allocate", ["--indicators", "--quota", "--quota-unit"]),
])
def test_missing_options_all_at_once(tmp_path, capsys, cmd, options):
    err = _refused([cmd], tmp_path / "o", capsys, *options, lines=len(options))
    assert err.count("is required") == len(options)
    code, _, err = _run([cmd], capsys)
    assert code == 2 and err.startswith("error: --out: is required")
    assert len(err.strip().splitlines()) == len(options) + 1


@pytest.mark.parametrize("case, words", [
    (lambda d: _bal(d, **{"--allowance-share": "areas"}), ("--allowance-share", "'areas'", "did you mean 'area'")),
    (lambda d: _bal(d, **{"--lang": "fr"}), ("--lang", "'fr'", "en, zh")),
    (lambda d: _peak(d, "--after-last", "keep"), ("--after-last", "'keep'", "hold, zero, error")),
    (lambda d: _alloc(d)[:5] + ["--quota-unit", "1e4tCO2"], ("--quota-unit", "did you mean '1e4 t CO2'")),
    (lambda d: _peak(d, "--ridge-k", "auto"), ("--ridge-k", "'auto'", "expected a number")),
])
def test_bad_choices_and_values(d, tmp_path, capsys, case, words):
    # a bad value of a required choice also reads "is required" (core.validation); one problem, up to two lines
    _refused(case(d), tmp_path / "o", capsys, *words, lines=None)


def test_a_folder_where_a_table_is_expected(d, tmp_path, capsys):
    o = tmp_path / "o"
    _refused(_bal(d, **{"--emissions": tmp_path}), o, capsys, "--emissions", "is a folder")
    _refused(_peak(d, history=tmp_path), o, capsys, "--history", "is a folder")
    _refused(_alloc(d, indicators=tmp_path), o, capsys, "--indicators", "is a folder")


def test_out_file_existing_run_and_overwrite(d, tmp_path, capsys):
    f = tmp_path / "a.txt"
    f.write_text("x", encoding="utf-8")
    for args in (_bal(d), _peak(d), _alloc(d)):
        code, _, err = _run([*args, "--out", f], capsys)
        assert code == 2 and err.startswith("error: --out: ") and "is a file" in err and len(err.splitlines()) == 1
    out = tmp_path / "run"
    s = _ok(_bal(d, **{"--zones": d["zones"], "--zone-field": "name"}), out, capsys)
    assert (out / "zoning.gpkg").is_file() and s["charts"] == ["zoning_balance3.png", "zoning_quadrant.png"]
    code, _, err = _run([*_bal(d), "--out", out], capsys)
    assert code == 2 and "--out: " in err and "--overwrite" in err and (out / "zoning.gpkg").is_file()
    _ok([*_bal(d), "--overwrite"], out, capsys)                      # replaced as a whole: no stale zoning layer
    assert not (out / "zoning.gpkg").exists() and not (out / "zoning_balance3.png").exists()
    for args in (_peak(d), _alloc(d)):
        _ok(args, tmp_path / args[0], capsys)
        code, _, err = _run([*args, "--out", tmp_path / args[0]], capsys)
        assert code == 2 and "--overwrite" in err


def test_a_failure_after_the_checks_leaves_nothing(d, tmp_path, capsys):
    """Zone names that differ from the zones layer are found while running: the staged run is discarded."""
    _refused(_bal(d, **{"--zones": d["zones_raster"]}), tmp_path / "o", capsys, "--zones", "城关区", "'1'")


# --------------------------------------------------------------------------------------------------
# what a good run says


def test_zoned_run_in_chinese_with_real_names_and_a_zone_raster(d, tmp_path, capsys):
    import geopandas as gpd

    s = _ok(_bal(d, **{"--zones": d["zones"], "--zone-field": "name", "--lang": "zh", "--map-year": "2022"}),
            tmp_path / "v", capsys)
    g = gpd.read_file(tmp_path / "v" / "zoning.gpkg")
    assert sorted(g["zone"]) == sorted(ZONES) and set(g["year"]) == {2022} and s["map_year"] == 2022
    man = json.loads((tmp_path / "v" / "manifest.json").read_text(encoding="utf-8"))
    assert "zoning_balance3.png" in man["outputs"] and man["parameters"]["lang"] == "zh"
    ids = {z: str(i + 1) for i, z in enumerate(ZONES)}               # zones.tif numbers the districts 1-4
    em = _csv(tmp_path / "em.csv", d["em_df"].assign(zone=d["em_df"]["zone"].map(ids)))
    se = _csv(tmp_path / "se.csv", d["se_df"].assign(zone=d["se_df"]["zone"].map(ids)))
    _ok(["balance", "--emissions", em, "--socioeconomic", se, "--zones", d["zones_raster"]], tmp_path / "r", capsys)
    g = gpd.read_file(tmp_path / "r" / "zoning.gpkg")
    assert sorted(g["zone"]) == ["1", "2", "3", "4"] and g.geometry.area.sum() > 0


def test_short_summary_has_units_and_outputs(d, tmp_path, capsys):
    code, out, err = _run([*_peak(d), "--out", tmp_path / "p"], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("fit: R²") and any(s.startswith("peak year baseline: ") for s in lines)
    assert "10^4 t CO2/a" in out and lines[-2].startswith("outputs: ") and "peak_chart.png" in lines[-2]
    code, out, err = _run([*_alloc(d), "--out", tmp_path / "a"], capsys)
    assert code == 0 and out.startswith("quota: 1,500,000.00 t CO2e\n")
