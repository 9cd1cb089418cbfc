"""Bad input, by class (issue 8 item 6), through the CLI: ``evaluate suitability|mce|control-lines|intensive|
esv`` and ``optimize``.

Every refused case exits 2 with one ``error:`` line per problem (deprecation and data warnings may precede
them), names the option, says what was found and expected, and leaves nothing at ``--out``. Tiny
hand-made rasters: 5 x 5 cells of 1 ha (national6 codes).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.testing import make_lulc

pytest.importorskip("highspy")

LU = np.array([[1, 1, 2, 2, 5], [1, 1, 2, 2, 5], [5, 5, 1, 3, 4], [5, 5, 1, 3, 4], [1, 1, 1, 6, 4]], np.int16)
DEM = (np.arange(25).reshape(5, 5) * 7).astype(np.int16)


@pytest.fixture()
def f(tmp_path):
    """Tiny inputs: lu, dem, lines red/pbf/ub, zones raster (2 zones, the last column outside), criteria."""
    lu = make_lulc(LU, nodata=0)
    g = grid_of(lu)
    d = {"dir": tmp_path}
    d["lu"] = write_raster(LU, tmp_path / "lu.tif", g, nodata=0, dtype="int16")
    d["dem"] = write_raster(DEM, tmp_path / "dem.tif", g, nodata=-9999, dtype="int16")
    for name, m in (("red", LU == 2), ("pbf", LU == 1), ("ub", LU == 5)):
        d[name] = write_raster(m.astype(np.uint8), tmp_path / f"{name}.tif", g, nodata=None, dtype="uint8")
    z = np.where(np.arange(5)[None, :] < 2, 1, 2).repeat(5, axis=0).astype(np.int32)
    z[:, 4] = 0
    d["zones"] = write_raster(z, tmp_path / "zones.tif", g, nodata=0, dtype="int32")
    a = np.arange(25, dtype=np.float32).reshape(5, 5)
    b = a[::-1].copy()
    b[0, 0] = np.nan
    d["ca"] = write_raster(a, tmp_path / "ca.tif", g, dtype="float32")
    d["cb"] = write_raster(b, tmp_path / "cb.tif", g, dtype="float32")
    small = make_lulc(LU[:4, :4], nodata=0)
    d["lu_small"] = write_raster(LU[:4, :4], tmp_path / "lu_small.tif", grid_of(small), nodata=0, dtype="int16")
    return d


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def bad(capsys, args, *words, out=None, n=None):
    """The CLI refuses ``args``: exit 2, ``error:`` lines only (after warnings), the words, nothing at out."""
    out = out if out is not None else next(args[i + 1] for i, a in enumerate(args) if a == "--out")
    code, stdout, err = _run(args, capsys)
    lines = err.strip().splitlines()
    errors = [x for x in lines if x.startswith("error: ")]
    assert code == 2, (code, err)
    assert errors and all(x.startswith(("error: ", "warning: ")) for x in lines), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    if n is not None:
        assert len(errors) == n, err
    assert not pathlib_exists(out), f"{out} was written"
    return err


def ok(capsys, args):
    code, stdout, err = _run([*args, "--json"], capsys)
    assert code == 0, err
    return json.loads(stdout.strip().splitlines()[-1]), err


def pathlib_exists(p) -> bool:
    from pathlib import Path

    return Path(p).exists()


def _plan(d, name, text):
    p = d["dir"] / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------------------------------
# evaluate suitability
def test_suitability_plan_keys_checked_with_line_and_did_you_mean(f, capsys):
    out = f["dir"] / "s"
    plan = _plan(f, "s.toml", "[suitability]\nevaluations = ['agriculture']\n[suitability.factors]\n"
                              "annual_precipitaton = 1300\n[suitability.option]\nrelief_window_cells = 3\n")
    err = bad(capsys, ["evaluate", "suitability", "--plan", plan, "--dem", f["dem"], "--out", out],
              "--plan: s.toml line 4: [suitability.factors] has the unknown factor 'annual_precipitaton' "
              "(did you mean 'annual_precipitation'?)", "line 5", "(did you mean 'options'?)", n=2)
    assert "correct or remove it" in err
    plan = _plan(f, "t.toml", "[suitabilty]\nevaluations = ['agriculture']\n")
    bad(capsys, ["evaluate", "suitability", "--plan", plan, "--dem", f["dem"], "--out", out],
        "has no [suitability] table (did you mean 'suitabilty'?)", n=1)
    plan = _plan(f, "u.toml", "[suitability]\nevaluations = ['agriculture'\n")
    bad(capsys, ["evaluate", "suitability", "--plan", plan, "--dem", f["dem"], "--out", out], "not valid TOML")


def test_suitability_values_out_of_range_and_options_that_do_nothing(f, capsys):
    out = f["dir"] / "s"
    plan = _plan(f, "s.toml", """[suitability]
evaluations = ["agriculture"]
[suitability.factors]
annual_precipitation = -300
[suitability.thresholds."agriculture.slope"]
breaks = [2, 6, 15]
[suitability.fill]
water = 2
location = 7
[suitability.options]
eco_exclusion_level = 5
relief_window_cells = 4
""")
    bad(capsys, ["evaluate", "suitability", "--plan", plan, "--dem", f["dem"], "--out", out],
        "annual_precipitation = -300; expected a value ≥ 0", "expected four numbers",
        "[suitability.fill] water would do nothing: annual_precipitation is given",
        "location = 7; expected a level 1-5", "eco_exclusion_level = 5", "relief_window_cells = 4", n=6)
    bad(capsys, ["evaluate", "suitability", "--dem", f["dem"], "--zone-field", "name", "--out", out],
        "--zone-field: is given but --zones is not", n=1)
    bad(capsys, ["evaluate", "suitability", "--dem", f["dem"], "--evaluations", "ecology", "--out", out],
        "--evaluations: ecology was asked for, but no ecological layer can be built", n=1)


def test_suitability_breaks_order_and_dem_units(f, capsys):
    out = f["dir"] / "s"
    plan = _plan(f, "s.toml", '[suitability]\n[suitability.thresholds."agriculture.slope"]\nbreaks = [25, 15, 6, 2]\n')
    bad(capsys, ["evaluate", "suitability", "--plan", plan, "--dem", f["dem"], "--out", out],
        "not ordered best → worst for lower_is_better (expected increasing values)")
    cm = write_raster(DEM.astype(np.int32) * 1000, f["dir"] / "dem_mm.tif", grid_of(make_lulc(LU, nodata=0)),
                      nodata=-9999, dtype="int32")
    bad(capsys, ["evaluate", "suitability", "--dem", cm, "--out", out],
        "--dem: elevations range from 0 to 168000; expected metres", "dm or cm", "--allow-implausible")
    s, _ = ok(capsys, ["evaluate", "suitability", "--dem", cm, "--allow-implausible", "--no-charts", "--out", out])
    assert s["evaluated"] == ["agriculture", "urban"]
    plan = _plan(f, "p.toml", "[suitability]\n[suitability.factors]\nannual_precipitation = 13000\n")
    bad(capsys, ["evaluate", "suitability", "--plan", plan, "--dem", f["dem"], "--out", f["dir"] / "s2"],
        "annual_precipitation reaches 13000, above the plausible 12000 mm/a; it looks like 0.1 mm",
        "--allow-implausible", n=1)


def test_suitability_usage_errors_all_at_once(f, capsys):
    out = f["dir"] / "s"
    bad(capsys, ["evaluate", "suitability", "--evaluations", "agricultur", "--lang", "fr", "--out", out],
        "--evaluations: found 'agricultur'; expected one of ecology, agriculture, urban (did you mean "
        "'agriculture'?)", "--lang: found 'fr'", n=2)
    bad(capsys, ["evaluate", "suitability", "--out", out], "--dem: is required", n=1)
    bad(capsys, ["evaluate", "suitability", "--dem", f["dir"], "--out", out], "--dem: ", "is a folder", n=1)
    bad(capsys, ["evaluate", "suitability", "--dem", f["dem"], "--landuse", f["lu_small"], "--out", out],
        "--landuse: lu_small.tif grid", "--align", n=1)


def test_suitability_cells_left_out_are_warned_with_their_area(f, capsys):
    lu = make_lulc(LU, nodata=0)
    dem = DEM.copy()
    dem[0, :2] = -9999
    p = write_raster(dem, f["dir"] / "dem_hole.tif", grid_of(lu), nodata=-9999, dtype="int16")
    s, err = ok(capsys, ["evaluate", "suitability", "--dem", p, "--landuse", f["lu"], "--zones", f["zones"],
                         "--no-charts", "--out", f["dir"] / "s"])
    assert "warning: agriculture: 2 cells with a valid land use have no level" in err and "(2.00 ha)" in err
    assert "valid cells lie outside every zone" in err and "(5.00 ha)" in err
    assert s["cells_excluded_valid_landuse_but_factor_nodata"]["agriculture"] == 2


def test_suitability_plan_paths_relative_to_the_plan_command_line_to_the_working_folder(f, capsys, tmp_path,
                                                                                        monkeypatch):
    sub = tmp_path / "plans"
    sub.mkdir()
    (sub / "dem.tif").write_bytes(f["dem"].read_bytes())
    plan = sub / "p.toml"
    plan.write_text('[suitability]\nevaluations = ["agriculture"]\n[suitability.inputs]\ndem = "dem.tif"\n',
                    encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s, _ = ok(capsys, ["evaluate", "suitability", "--plan", plan, "--landuse", "lu.tif", "--no-charts",
                       "--out", "s"])
    assert s["evaluated"] == ["agriculture"]
    plan.write_text('[suitability]\n[suitability.inputs]\ndem = "dem2.tif"\n', encoding="utf-8")
    bad(capsys, ["evaluate", "suitability", "--plan", plan, "--out", "s2"],
        "--plan: [suitability.inputs] dem: file", "dem2.tif does not exist")


# --------------------------------------------------------------------------------------------------
# evaluate mce
def test_mce_weights_checked(f, capsys):
    out = f["dir"] / "m"
    crit = ["--criteria", f"a={f['ca']}", f"b={f['cb']}"]
    bad(capsys, ["evaluate", "mce", *crit, "--weights", "a=x", "b=0.5", "--out", out],
        "--weights: weight of 'a' is 'x'; expected a number ≥ 0", n=1)
    bad(capsys, ["evaluate", "mce", *crit, "--weights", "a=-0.5", "b=1.5", "--out", out],
        "weight of 'a' is '-0.5'", n=1)
    bad(capsys, ["evaluate", "mce", *crit, "--weights", "a=0.5", "b=0.6", "--out", out],
        "--weights: criterion weights sum to 1.1; expected 1", "--normalise-weights", n=1)
    s, err = ok(capsys, ["evaluate", "mce", *crit, "--weights", "a=0.5", "b=0.6", "--normalise-weights",
                         "--out", out])
    assert s["weights"] == pytest.approx({"a": 0.5 / 1.1, "b": 0.6 / 1.1}) and "normalised" in err
    bad(capsys, ["evaluate", "mce", *crit, "--weights", "a=0.5", "bb=0.5", "--out", f["dir"] / "m2"],
        "(did you mean 'b'?)")
    bad(capsys, ["evaluate", "mce", *crit, "--directions", "a=2", "c=-1", "--out", f["dir"] / "m2"],
        "--directions: direction of 'a' is '2'; expected 1 or -1")


def test_mce_options_that_do_nothing_and_usage(f, capsys):
    out = f["dir"] / "m"
    crit = ["--criteria", f"a={f['ca']}", f"b={f['cb']}"]
    bad(capsys, ["evaluate", "mce", *crit, "--force-ahp", "--normalise-weights", "--out", out],
        "--force-ahp: is set but no an AHP matrix", "--normalise-weights: is set but no user weights", n=2)
    s, err = ok(capsys, ["evaluate", "mce", *crit, "--weights", "a=0.5", "b=0.5", "--seed", "3", "--out",
                         f["dir"] / "m_seed"])
    assert "warning: the seed 3 is not used: only entropy weights sample cells" in err
    bad(capsys, ["evaluate", "mce", *crit, "--seed", "-1", "--method", "entropi", "--out", out],
        "--seed: found -1; expected at least 0", "(did you mean 'entropy'?)", n=2)
    bad(capsys, ["evaluate", "mce", *crit, "--method", "user", "--out", out], "--weights: is required for the method")
    bad(capsys, ["evaluate", "mce", "--criteria", f"a={f['ca']}", f"a={f['cb']}", "--out", out],
        "names a are given more than once")
    bad(capsys, ["evaluate", "mce", "--criteria", f"a={f['dir']}", "--out", out], "is a folder")
    bad(capsys, ["evaluate", "mce", *crit, "--directions", "a=-1", "--normalise", "none", "--weights", "a=0.5",
                 "b=0.5", "--out", out], "--directions: are given but --normalise is none")


def test_mce_ahp_consistency_and_matrix(f, capsys):
    out = f["dir"] / "m"
    crit = ["--criteria", f"a={f['ca']}", f"b={f['cb']}", f"c={f['ca']}"]
    ahp = f["dir"] / "ahp.csv"
    ahp.write_text("c,a,b,c\na,1,9,0.1111111\nb,0.1111111,1,9\nc,9,0.1111111,1\n", encoding="utf-8")
    bad(capsys, ["evaluate", "mce", *crit, "--ahp-matrix", ahp, "--out", out], "--ahp-matrix: ", "CR =",
        "--force-ahp")
    s, err = ok(capsys, ["evaluate", "mce", *crit, "--ahp-matrix", ahp, "--force-ahp", "--out", out])
    assert s["method"] == "ahp" and "used anyway" in err
    empty = f["dir"] / "empty.csv"
    empty.write_text("c,a,b,c\n", encoding="utf-8")
    bad(capsys, ["evaluate", "mce", *crit, "--ahp-matrix", empty, "--out", f["dir"] / "m2"], "no data rows")


def test_mce_cells_without_score_and_constant_criteria_are_warned(f, capsys):
    s, err = ok(capsys, ["evaluate", "mce", "--criteria", f"a={f['ca']}", f"b={f['cb']}", "--out", f["dir"] / "m"])
    assert "1 cells valid in some criteria but nodata in another have no score (1.00 ha)" in err
    c = write_raster(np.full((5, 5), 3.0, np.float32), f["dir"] / "const.tif", grid_of(make_lulc(LU, nodata=0)),
                     dtype="float32")
    s, err = ok(capsys, ["evaluate", "mce", "--criteria", f"a={f['ca']}", f"c={c}", "--weights", "a=0.7", "c=0.3",
                         "--out", f["dir"] / "m2"])
    assert "criterion c is constant (3)" in err and "its weight 0.3 only lowers every score" in err


# --------------------------------------------------------------------------------------------------
# evaluate control-lines
def _lines(f):
    return ["--lines", f"eco_redline={f['red']}", f"basic_farmland={f['pbf']}", f"urban_boundary={f['ub']}"]


def test_control_lines_names_ranges_and_options_that_do_nothing(f, capsys):
    out = f["dir"] / "c"
    base = ["evaluate", "control-lines", "--landuse", f["lu"], "--scheme", "national6"]
    bad(capsys, [*base, "--lines", f"eco_redlin={f['red']}", "--out", out],
        "--lines: found the line name 'eco_redlin', which is not a control line (did you mean 'eco_redline'?)", n=1)
    bad(capsys, [*base, *_lines(f), "--steep-slope-deg", "-5", "--redline", "medium", "--out", out],
        "--steep-slope-deg: found -5 degree; expected greater than 0 degree", "--redline: found 'medium'", n=2)
    bad(capsys, [*base, "--lines", f"urban_boundary={f['ub']}", "--steep-slope-deg", "20", "--freeze-pbf",
                 "--redline", "soft", "--out", out],
        "--steep-slope-deg: is given but the DEM", "--freeze-pbf: is set but no basic_farmland line",
        "--redline: is given but no eco_redline line", n=3)
    bad(capsys, [*base, "--lines", f"eco_redline={f['red']}", f"eco_redline={f['pbf']}", "--out", out],
        "names eco_redline are given more than once")
    bad(capsys, ["evaluate", "control-lines", "--out", out], "--landuse: is required", "--scheme: is required",
        "--lines: is required", n=3)


def test_control_lines_scheme_coverage_grid_and_zones(f, capsys):
    out = f["dir"] / "c"
    scheme = f["dir"] / "scheme.csv"
    scheme.write_text("code,group\n1,cropland\n2,forest\n3,grassland\n4,water\n5,built_up\n", encoding="utf-8")
    bad(capsys, ["evaluate", "control-lines", "--landuse", f["lu"], "--scheme", scheme, *_lines(f), "--out", out],
        "--landuse: class codes 6 of the map are not in the class scheme", n=1)
    bad(capsys, ["evaluate", "control-lines", "--landuse", f["lu"], "--scheme", "nationl6", *_lines(f),
                 "--out", out], "--scheme: ", "did you mean 'national6'")
    bad(capsys, ["evaluate", "control-lines", "--landuse", f["lu_small"], "--scheme", "national6", *_lines(f),
                 "--out", out], "red.tif grid", "--align")
    s, err = ok(capsys, ["evaluate", "control-lines", "--landuse", f["lu"], "--scheme", "national6", *_lines(f),
                         "--zones", f["zones"], "--no-charts", "--out", out])
    assert "5 valid cells lie outside every zone" in err and "(5.00 ha)" in err
    c = pd.read_csv(out / "conflicts.csv", encoding="utf-8-sig")
    assert set(c["zone"]) >= {"1", "2"} or set(c["zone"].astype(str)) >= {"1", "2"}


# --------------------------------------------------------------------------------------------------
# evaluate intensive
def _zones_table(d, name="zones.csv", **change):
    t = pd.DataFrame({"zone": ["A", "B", "C"], "pop_t1": [12000, 30000, 8000], "pop_t2": [13000, 31000, 8400],
                      "gdp_t1": [5e4, 9e4, 2e4], "gdp_t2": [6e4, 9.9e4, 2.6e4], "land_t1_ha": [900, 1500, 500],
                      "land_t2_ha": [950, 1650, 520]})
    for k, v in change.items():
        t[k] = v
    p = d["dir"] / name
    t.to_csv(p, index=False)
    return p


def test_intensive_signs_units_and_duplicates(f, capsys):
    out = f["dir"] / "i"
    bad(capsys, ["evaluate", "intensive", "--table", _zones_table(f, pop_t1=[-1, 30000, 8000]), "--out", out],
        "--table: ", "pop_t1 has negative values", n=1)
    bad(capsys, ["evaluate", "intensive", "--table", _zones_table(f, pop_t1=[1.2, 3.0, 0.8], pop_t2=[1.3, 3.1, 0.84]),
                 "--out", out], "--table: ", "10^4 persons", "--allow-implausible", n=1)
    p = _zones_table(f, zone=["A", "B", "A"])
    bad(capsys, ["evaluate", "intensive", "--table", p, "--out", out],
        "--table: zone 'A' appears in rows 2, 4; expected one row per zone", n=1)
    bad(capsys, ["evaluate", "intensive", "--table", _zones_table(f), "--zone-column", "zon", "--out", out],
        "--zone-column: found 'zon', which is not a column", "(did you mean 'zone'?)", n=1)


def test_intensive_weights_sum_names_and_do_nothing(f, capsys):
    out = f["dir"] / "i"
    t = _zones_table(f)
    w = f["dir"] / "w.csv"
    w.write_text("indicator,weight\npop_density_person_per_km2,0.5\necon_intensity_1e4CNY_per_km2,0.2\n"
                 "land_per_new_resident_m2_per_person,0.1\nland_per_gdp_growth_m2_per_1e4CNY,0.1\n"
                 "land_per_gdp_decline_pct,0.1\npei,0.1\neei,0.1\n", encoding="utf-8")
    bad(capsys, ["evaluate", "intensive", "--table", t, "--weights", w, "--out", out],
        "--weights: indicator weights sum to 1.2; expected 1", "--normalise-weights", n=1)
    s, err = ok(capsys, ["evaluate", "intensive", "--table", t, "--weights", w, "--normalise-weights", "--out", out])
    assert "normalised" in s["weighting"]
    w.write_text("indicator,weight\npop_density_person_per_km,1\npop_density_person_per_km,0\n", encoding="utf-8")
    bad(capsys, ["evaluate", "intensive", "--table", t, "--weights", w, "--out", f["dir"] / "i2"],
        "indicator 'pop_density_person_per_km' appears in rows 2, 3")
    bad(capsys, ["evaluate", "intensive", "--table", t, "--force-ahp", "--out", f["dir"] / "i2"],
        "--force-ahp: is set but no an AHP matrix", n=1)


def test_intensive_workbook_sheet_and_empty_table(f, capsys):
    pytest.importorskip("openpyxl")
    out = f["dir"] / "i"
    x = f["dir"] / "zones.xlsx"
    with pd.ExcelWriter(x) as w:
        pd.DataFrame({"note": ["statistics 2020"]}).to_excel(w, sheet_name="readme", index=False)
        pd.read_csv(_zones_table(f)).to_excel(w, sheet_name="data", index=False)
    bad(capsys, ["evaluate", "intensive", "--table", x, "--out", out], "sheet(s) data hold it", "--table-sheet", n=1)
    s, _ = ok(capsys, ["evaluate", "intensive", "--table", x, "--table-sheet", "data", "--out", out])
    assert len(s["composite"]) == 3
    e = f["dir"] / "empty.csv"
    e.write_text("zone,pop_t1,pop_t2\n", encoding="utf-8")
    bad(capsys, ["evaluate", "intensive", "--table", e, "--out", f["dir"] / "i2"], "--table: ", "no data rows")


# --------------------------------------------------------------------------------------------------
# evaluate esv
def test_esv_required_all_at_once_ranges_and_order(f, capsys):
    out = f["dir"] / "e"
    bad(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--out", out], "--scheme: is required",
        "--unit-value: is required when --crops is not given", "--paddy-share: is required when --xie-table is 2015",
        n=3)
    bad(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--scheme", "national6", "--unit-value", "-1",
                 "--paddy-share", "1.5", "--regional-factor", "0", "--out", out],
        "--unit-value: found -1 CNY/ha", "--paddy-share: found 1.5", "--regional-factor: found 0", n=3)
    bad(capsys, ["evaluate", "esv", "--landuse", f["lu"], f["lu"], "--years", 2020, 2010, "--scheme", "national6",
                 "--xie-table", "2003", "--unit-value", 1000, "--out", out],
        "--years: found 2020, 2010", "oldest first", n=1)
    bad(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--scheme", "national6", "--xie-table", "2010",
                 "--unit-value", 1000, "--out", out], "--xie-table: found '2010'; expected one of 2015, 2003")


def test_esv_unit_value_plausibility_and_options_that_do_nothing(f, capsys):
    out = f["dir"] / "e"
    base = ["evaluate", "esv", "--landuse", f["lu"], "--scheme", "national6", "--xie-table", "2003"]
    bad(capsys, [*base, "--unit-value", "0.34", "--out", out], "--unit-value: E_a = 0.34 CNY/ha",
        "10^4 CNY/ha", "--allow-implausible", n=1)
    s, _ = ok(capsys, [*base, "--unit-value", "0.34", "--allow-implausible", "--out", out])
    bad(capsys, [*base, "--unit-value", 1000, "--paddy-share", "0.5", "--cell-area-ha", "1", "--zone-field", "x",
                 "--out", f["dir"] / "e2"],
        "--paddy-share: is given but the Xie 2003 table", "--cell-area-ha: is given but no demand table",
        "--zone-field: is given but --zones is not", n=3)


def test_esv_demand_tables_checked(f, capsys):
    out = f["dir"] / "e"
    d = f["dir"] / "d.csv"
    d.write_text("code,cells\n1,10\n1,2\n2,-4\n9,1\n", encoding="utf-8")
    bad(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--demand", f"plan={d}", "--scheme", "national6",
                 "--xie-table", "2003", "--unit-value", 1000, "--out", out],
        "--demand: plan: cells [-4] are empty, not numbers or negative", "code 1 appears in rows 2, 3",
        "codes [9] are not in the class scheme", n=3)
    d.write_text("code,cells\n1,10\n2,15\n", encoding="utf-8")
    bad(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--demand", f"plan={d}", "--cell-area-ha", "0.09",
                 "--scheme", "national6", "--xie-table", "2003", "--unit-value", 1000, "--out", out],
        "--cell-area-ha: found 0.09 ha, but the maps' cells are 1 ha", n=1)
    bad(capsys, ["evaluate", "esv", "--demand", f"plan={d}", "--scheme", "national6", "--xie-table", "2003",
                 "--unit-value", 1000, "--out", out], "--cell-area-ha: is required when demand tables", n=1)
    s, err = ok(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--demand", f"plan={d}", "--scheme", "national6",
                         "--xie-table", "2003", "--unit-value", 1000, "--out", out])
    assert "demand table plan holds 25 cells but the first map 25" not in err
    d.write_text("code,cells\n1,1000\n2,1500\n", encoding="utf-8")
    s, err = ok(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--demand", f"plan={d}", "--scheme", "national6",
                         "--xie-table", "2003", "--unit-value", 1000, "--out", f["dir"] / "e3"])
    assert "demand table plan holds 2,500 cells but the first map 25 valid cells" in err and "(2,475.00 ha)" in err


def test_esv_crops_workbook_on_another_sheet(f, capsys):
    pytest.importorskip("openpyxl")
    x = f["dir"] / "crops.xlsx"
    with pd.ExcelWriter(x) as w:
        pd.DataFrame({"note": ["grain crops"]}).to_excel(w, sheet_name="readme", index=False)
        pd.DataFrame({"sown_area_ha": [100.0], "price_CNY_per_kg": [2.5], "yield_kg_per_ha": [6000.0]}).to_excel(
            w, sheet_name="crops", index=False)
    base = ["evaluate", "esv", "--landuse", f["lu"], "--scheme", "national6", "--xie-table", "2003", "--crops", x]
    bad(capsys, [*base, "--out", f["dir"] / "e"], "--crops: crops.xlsx: the first sheet lacks columns",
        "sheet(s) crops hold them", "--crops-sheet", n=1)
    s, _ = ok(capsys, [*base, "--crops-sheet", "crops", "--out", f["dir"] / "e"])
    assert "E_a = 2,142.86 CNY/ha" in s["coefficients"]  # 2.5 x 6000 / 7


def test_esv_cells_outside_zones_warned(f, capsys):
    s, err = ok(capsys, ["evaluate", "esv", "--landuse", f["lu"], "--scheme", "national6", "--xie-table", "2003",
                         "--unit-value", 1000, "--zones", f["zones"], "--out", f["dir"] / "e"])
    assert "5 valid cells lie outside every zone" in err and "(5.00 ha)" in err


# --------------------------------------------------------------------------------------------------
# optimize
ECON = "[optimize.economy]\ncropland = 3e4\nforest = 5e3\ngrassland = 8e3\nwater = 1e4\nbuilt_up = 5e5\nunused = 0\n"


def test_optimize_misspelt_plan_key_is_an_error_not_another_objective(f, capsys):
    out = f["dir"] / "o"
    plan = _plan(f, "o.toml", "[optimize]\nobjective = ['economy']\nmethod = 'lp'\n" + ECON)
    bad(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6", "--out", out],
        "--plan: o.toml line 2: [optimize] has the unknown key 'objective' (did you mean 'objectives'?)", n=1)
    plan = _plan(f, "o.toml", "[optimize]\nobjectives = ['carbon', 'esv']\nseed = 1\n[optimize.esv]\n"
                              "unit_value = 1000\nversion = '2003'\n[optimize.constraints]\nmax_chnge = 0.3\n")
    bad(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6", "--out", out],
        "line 5: [optimize.esv] has the unknown key 'unit_value' (did you mean 'unit_value_CNY_per_ha'?)",
        "line 8: [optimize.constraints] has the unknown key 'max_chnge' (did you mean 'max_change'?)", n=2)
    plan = _plan(f, "o.toml", "[optimize]\nobjectives = ['carbon', 'economy']\n" + ECON.replace("cropland", "crop_land"))
    bad(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6", "--out", out],
        "line 4: [optimize.economy] has the unknown class group 'crop_land' (did you mean 'cropland'?)", n=1)
    plan = _plan(f, "o.toml", "[optimize]\nobjectives = ['carbon', 'economi']\n" + ECON)
    bad(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6", "--out", out],
        "[optimize] objectives: 'economi' is not an objective (did you mean 'economy'?)",
        "--seed: is required for the nsga2 method", n=2)


def test_optimize_options_that_do_nothing_and_required(f, capsys):
    out = f["dir"] / "o"
    plan = _plan(f, "o.toml", "[optimize]\n" + ECON)
    base = ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6"]
    bad(capsys, [*base, "--objectives", "carbon", "--method", "lp", "--pop-size", 10, "--seed", 1, "--out", out],
        "--pop-size: pop_size is given but the method is 'lp'",
        "[optimize.economy] is given but economy is not an objective", n=2)
    bad(capsys, ["optimize", "--objectives", "carbon", "economy", "--method", "nsga2", "--out", out],
        "--landuse: is required", "--scheme: is required", "--seed: is required for the nsga2 method",
        "the economy objective needs [optimize.economy]", n=4)
    bad(capsys, [*base, "--objectives", "carbon", "economy", "--method", "nsga", "--seed", "-2", "--out", out],
        "(did you mean 'nsga2'?)", "--seed: found -2; expected at least 0", n=2)


def test_optimize_constraints_ranges_and_weights(f, capsys):
    out = f["dir"] / "o"
    plan = _plan(f, "o.toml", "[optimize]\nobjectives = ['carbon', 'economy']\nmethod = 'weighted'\n"
                              "[optimize.weights]\ncarbon = 0.5\neconomy = 0.6\n" + ECON +
                              "[optimize.constraints]\ncropland_min_ha = -5\nwater_tolerance = 1.5\nmax_change = 30\n"
                              "[optimize.constraints.bounds]\nforest = [6, 2]\n")
    bad(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6", "--out", out],
        "[optimize.weights] sum to 1.1; expected 1", "cropland_min_ha = -5; expected a value ≥ 0",
        "water_tolerance = 1.5; expected a fraction 0-1", "forest = [6, 2]; expected [lower, upper]",
        "max_change = 30 allows a change of ±3000% of the current area; it looks like a percent", n=5)


def test_optimize_command_line_paths_are_relative_to_the_working_folder(f, capsys, tmp_path, monkeypatch):
    sub = tmp_path / "plans"
    sub.mkdir()
    (sub / "start.tif").write_bytes(f["lu"].read_bytes())
    plan = sub / "o.toml"
    plan.write_text("[optimize]\nobjectives = ['carbon']\nmethod = 'lp'\nlanduse = 'start.tif'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # the plan's landuse is relative to the plan; the command line's to the working folder (lu.tif is here)
    s1, _ = ok(capsys, ["optimize", "--plan", plan, "--scheme", "national6", "--out", "o1"])
    s2, _ = ok(capsys, ["optimize", "--plan", plan, "--landuse", "lu.tif", "--scheme", "national6", "--out", "o2"])
    assert s1["valid_cells"] == s2["valid_cells"] == 25
    man = json.loads((tmp_path / "o2" / "manifest.json").read_text(encoding="utf-8"))
    assert any(i["role"] == "landuse" and i["path"] == "lu.tif" for i in man["inputs"])


def test_optimize_zones_left_out_warned_and_compare_checked(f, capsys):
    out = f["dir"] / "o"
    plan = _plan(f, "o.toml", "[optimize]\nobjectives = ['carbon']\nmethod = 'lp'\n")
    s, err = ok(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6",
                         "--zones", f["zones"], "--out", out])
    assert "5 valid cells lie outside every zone: they keep their class" in err and "(5.00 ha)" in err
    cmp = f["dir"] / "cmp.csv"
    cmp.write_text("code,cells\n", encoding="utf-8")
    bad(capsys, ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6", "--compare", cmp,
                 "--out", f["dir"] / "o2"], "--compare: ", "no data rows", n=1)


# --------------------------------------------------------------------------------------------------
# run folders, every command
@pytest.mark.parametrize("cmd", ["suitability", "mce", "control-lines", "intensive", "esv", "optimize"])
def test_out_is_a_folder_replaced_only_with_overwrite(f, capsys, cmd):
    plan = _plan(f, "o.toml", "[optimize]\nobjectives = ['carbon']\nmethod = 'lp'\n")
    args = {"suitability": ["evaluate", "suitability", "--dem", f["dem"], "--no-charts"],
            "mce": ["evaluate", "mce", "--criteria", f"a={f['ca']}", f"b={f['cb']}"],
            "control-lines": ["evaluate", "control-lines", "--landuse", f["lu"], "--scheme", "national6", *_lines(f),
                              "--no-charts"],
            "intensive": ["evaluate", "intensive", "--table", _zones_table(f)],
            "esv": ["evaluate", "esv", "--landuse", f["lu"], "--scheme", "national6", "--xie-table", "2003",
                    "--unit-value", 1000],
            "optimize": ["optimize", "--plan", plan, "--landuse", f["lu"], "--scheme", "national6"]}[cmd]
    file = f["dir"] / "out.csv"
    file.write_text("x\n", encoding="utf-8")
    code, _, err = _run([*args, "--out", file], capsys)
    assert code == 2 and "is a file; expected a folder" in err and err.count("error:") == 1
    out = f["dir"] / "run"
    ok(capsys, [*args, "--out", out])
    (out / "stale.txt").write_text("from an earlier run", encoding="utf-8")
    code, _, err = _run([*args, "--out", out], capsys)
    assert code == 2 and "already holds a finished run" in err and "--overwrite" in err
    ok(capsys, [*args, "--out", out, "--overwrite"])
    assert not (out / "stale.txt").exists()  # replaced as a whole
