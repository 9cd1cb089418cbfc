"""`landcarbon emissions | balance | peak | allocate` end to end on the synthetic districts dataset."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.core.units import CO2_PER_C
from landcarbon.datasets import districts


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return districts.write_districts(tmp_path_factory.mktemp("districts"))


def test_emissions_balance_peak_allocate(inputs, tmp_path, capsys):
    em_dir = tmp_path / "em"
    code, out, err = _run(["emissions", "--landuse", inputs["landuse"], "--year", 2022, "--zones", inputs["zones"],
                           "--zone-field", "name", "--energy", inputs["energy"], "--region", "湖北",
                           "--hold-landuse", "--out", em_dir, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["zones"] == 4
    ez = pd.read_csv(em_dir / "emissions_by_zone.csv", encoding="utf-8-sig")
    assert sorted(ez["year"].unique()) == [2021, 2022, 2023]
    assert ez["emission_tCO2"].to_numpy() == pytest.approx(ez["emission_tC"].to_numpy() * CO2_PER_C)
    # every district's areas sum to its valid cells: 4 quadrants of 100 x 100 cells minus the 2-cell border
    assert ez[ez["year"] == 2022]["area_ha"].sum() == pytest.approx(196 * 196)
    assert (em_dir / "manifest.json").exists() and (em_dir / "energy_by_fuel.csv").exists()
    ef = pd.read_csv(em_dir / "energy_by_fuel.csv", encoding="utf-8-sig")
    elec = ef[(ef["fuel"] == "电力") & (ef["year"] == 2022)].iloc[0]
    assert elec["factor_tCO2_per_unit"] == pytest.approx(0.5395e-3)          # 华中 2022
    assert elec["amount_std"] == pytest.approx(elec["amount"] * 1e8)          # 亿千瓦时 -> kWh

    bal_dir = tmp_path / "bal"
    code, out, err = _run(["balance", "--emissions", em_dir / "emissions_by_zone.csv", "--socioeconomic",
                           inputs["socioeconomic"], "--zones", inputs["zones"], "--zone-field", "name", "--pearl",
                           "--out", bal_dir, "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["price_CNY_per_tCO2"] == 79.42 and len(res["charts"]) == 2
    assert (bal_dir / "zoning.gpkg").exists() and (bal_dir / "zoning_balance3.png").stat().st_size > 1000
    bal = pd.read_csv(bal_dir / "balance_by_zone.csv", encoding="utf-8-sig")
    assert set(bal["zone_balance3"]) <= {"payment", "balance", "receiving", "no_emission"}
    assert bal.groupby("year")["value_allowance_CNY"].sum().abs().max() < 1e-3

    pk_dir = tmp_path / "peak"
    code, out, err = _run(["peak", "--history", inputs["history"], "--scenarios", inputs["scenarios"],
                           "--bootstrap", 100, "--seed", 3, "--out", pk_dir, "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert {p["scenario"] for p in res["peaks"]} == {"baseline", "low_carbon", "high_growth"}
    assert (pk_dir / "peak_chart.png").stat().st_size > 1000
    proj = pd.read_csv(pk_dir / "projection.csv", encoding="utf-8-sig")
    assert proj["year"].max() == 2060

    ind = pd.read_csv(inputs["socioeconomic"], encoding="utf-8-sig").query("year == 2022")
    e22 = ez[ez["year"] == 2022].set_index("zone")["emission_tCO2e"]
    ind = ind.assign(emission_tCO2e=ind["zone"].map(e22).to_numpy())[["zone", "population_1e4", "gdp_1e8CNY",
                                                                      "emission_tCO2e"]]
    ind_path = tmp_path / "ind.csv"
    ind.to_csv(ind_path, index=False)
    al_dir = tmp_path / "al"
    code, out, err = _run(["allocate", "--indicators", ind_path, "--quota", 900, "--quota-unit", "1e4 t CO2",
                           "--method", "zsg-dea", "--dea-inputs", "population", "--balance",
                           bal_dir / "balance_by_zone.csv", "--balance-year", 2022, "--out", al_dir], capsys)
    assert code == 0, err
    z = pd.read_csv(al_dir / "zsg_dea.csv", encoding="utf-8-sig")
    assert z["quota_tCO2e"].sum() == pytest.approx(900e4)
    assert z["theta_final"].min() >= 1 - 1e-4
    tr = pd.read_csv(al_dir / "compensation_transfers.csv", encoding="utf-8-sig")
    assert (tr["amount_CNY"] > 0).all()


def test_emissions_unknown_fuel_exit_2(inputs, tmp_path, capsys):
    bad = pd.read_csv(inputs["energy"], encoding="utf-8-sig")
    bad.loc[0, "fuel"] = "褐煤"
    p = tmp_path / "bad.csv"
    bad.to_csv(p, index=False)
    code, _, err = _run(["emissions", "--landuse", inputs["landuse"], "--year", 2022, "--zones", inputs["zones"],
                         "--zone-field", "name", "--energy", p, "--region", "湖北", "--hold-landuse", "--out",
                         tmp_path / "o"], capsys)
    assert code == 2 and err.startswith("error: ") and "褐煤" in err and "原煤" in err
    assert not (tmp_path / "o").exists()                                      # nothing half-written


def test_emissions_zone_missing_from_layer_exit_2(inputs, tmp_path, capsys):
    bad = pd.read_csv(inputs["energy"], encoding="utf-8-sig")
    bad.loc[bad["zone"] == "稻香县", "zone"] = "稻香乡"
    p = tmp_path / "bad.csv"
    bad.to_csv(p, index=False)
    code, _, err = _run(["emissions", "--landuse", inputs["landuse"], "--year", 2022, "--zones", inputs["zones"],
                         "--zone-field", "name", "--energy", p, "--region", "湖北", "--hold-landuse", "--out",
                         tmp_path / "o"], capsys)
    assert code == 2 and "稻香乡" in err and "稻香县" in err


def test_balance_price_per_tc_flag(inputs, tmp_path, capsys):
    em = pd.DataFrame({"zone": ["城关区", "新港区", "青山县", "稻香县"], "year": 2021,
                       "emission_tC": [10.0, 20.0, 1.0, 2.0], "absorption_tC": [0.1, 0.2, 3.0, 1.0]})
    p = tmp_path / "em.csv"
    em.to_csv(p, index=False)
    code, _, err = _run(["balance", "--emissions", p, "--socioeconomic", inputs["socioeconomic"], "--price", 260.9,
                         "--price-unit", "CNY/t CO2", "--out", tmp_path / "b1"], capsys)
    assert code == 2 and "per t C" in err                                     # 260.90 is a per-t-C price
    code, out, err = _run(["balance", "--emissions", p, "--socioeconomic", inputs["socioeconomic"], "--price",
                           260.9, "--price-unit", "CNY/t C", "--out", tmp_path / "b2", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["price_CNY_per_tCO2"] == pytest.approx(260.9 / CO2_PER_C)
    summary = json.loads((tmp_path / "b2" / "summary.json").read_text(encoding="utf-8"))
    assert "per t C" in summary["price"]["flag"]


def test_peak_year_gap_exit_2(inputs, tmp_path, capsys):
    h = pd.read_csv(inputs["history"], encoding="utf-8-sig")
    p = tmp_path / "h.csv"
    h[h["year"] != 2010].to_csv(p, index=False)
    code, _, err = _run(["peak", "--history", p, "--scenarios", inputs["scenarios"], "--out", tmp_path / "o"],
                        capsys)
    assert code == 2 and "[2010] missing" in err


def test_demo_step_for_the_demo_command(tmp_path):
    from landcarbon.report.charts_carbon import render_carbon_charts
    from landcarbon.workflow.emissions import demo_step

    r = demo_step(tmp_path / "carbon")
    assert r["emissions"]["n_zones"] == 4 and r["balance"]["n_zones"] == 4
    assert {p["scenario"] for p in r["peak"]["peaks"]} == {"baseline", "low_carbon", "high_growth"}
    assert "SYNTHETIC" in r["note"]
    charts = render_carbon_charts(tmp_path / "carbon")
    assert sorted(p.name for p in charts) == ["peak_chart.png", "zoning_balance3.png", "zoning_quadrant.png"]


def test_emissions_whole_map_single_zone(inputs, tmp_path, capsys):
    en = pd.DataFrame({"zone": ["县域"] * 2, "year": [2022, 2022], "fuel": ["原煤", "柴油"], "amount": [1, 2],
                       "unit": ["万吨", "万吨"]})
    p = tmp_path / "en.csv"
    en.to_csv(p, index=False)
    code, out, err = _run(["emissions", "--landuse", inputs["landuse"], "--year", 2022, "--energy", p,
                           "--out", tmp_path / "o"], capsys)
    assert code == 0, err
    ez = pd.read_csv(tmp_path / "o" / "emissions_by_zone.csv", encoding="utf-8-sig")
    assert ez["zone"].tolist() == ["县域"]


def test_emissions_xlsx_with_chinese_headers(inputs, tmp_path, capsys):
    en = pd.read_csv(inputs["energy"], encoding="utf-8-sig").query("year == 2022")
    en = en.rename(columns={"zone": "区县", "year": "年份", "fuel": "能源品种", "amount": "消费量", "unit": "单位"})
    p = tmp_path / "energy.xlsx"
    en.to_excel(p, index=False, sheet_name="能源")
    code, out, err = _run(["emissions", "--landuse", inputs["landuse"], "--year", 2022, "--zones", inputs["zones"],
                           "--zone-field", "name", "--energy", p, "--energy-sheet", "能源", "--region", "湖北",
                           "--out", tmp_path / "x"], capsys)
    assert code == 0, err
    code, out, err = _run(["emissions", "--landuse", inputs["landuse"], "--year", 2022, "--zones", inputs["zones"],
                           "--zone-field", "name", "--energy", inputs["energy"], "--region", "湖北", "--hold-landuse",
                           "--out", tmp_path / "c"], capsys)
    a = pd.read_csv(tmp_path / "x" / "emissions_by_zone.csv", encoding="utf-8-sig")
    c = pd.read_csv(tmp_path / "c" / "emissions_by_zone.csv", encoding="utf-8-sig").query("year == 2022")
    assert a["emission_tCO2e"].to_numpy() == pytest.approx(c["emission_tCO2e"].to_numpy())
