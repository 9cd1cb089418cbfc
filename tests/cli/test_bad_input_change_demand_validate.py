"""Bad input to `landcarbon change | demand | validate`, by class (issue 8 item 6), through the CLI.

Each case: exit code 2, every stderr line an ``error:`` line (one per problem, deprecation warnings
aside), the key words of the message (what was found, what is expected, the option to fix), and
nothing written at ``--out``.
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

# 20 x 10 cells of 1 ha: N = [[80, 20], [10, 90]] from 2000 to 2010
M1 = np.reshape([1] * 100 + [2] * 100, (20, 10))
M2 = np.reshape([1] * 80 + [2] * 20 + [1] * 10 + [2] * 90, (20, 10))


def _tif(path, arr, nodata=0, dtype="int16", **kw):
    da = make_lulc(np.asarray(arr), nodata=nodata, dtype=dtype, **kw)
    write_raster(da, path, grid_of(da), nodata=nodata, dtype=dtype)
    return str(path)


@pytest.fixture(scope="module")
def f(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad_cdv")
    sim = M2.copy()
    sim[0, :5], sim[5, :3] = 2, 1
    new_class = M2.copy()
    new_class[0, :5] = 3
    holes = M2.copy()
    holes[:3] = 0
    files = {"d": d, "a": _tif(d / "lu_2000.tif", M1), "b": _tif(d / "lu_2010.tif", M2),
             "c": _tif(d / "lu_2020.tif", M2), "c3": _tif(d / "lu3_2020.tif", new_class), "sim": _tif(d / "sim.tif", sim),
             "sim0": _tif(d / "sim0.tif", M2 - 1, nodata=255, dtype="uint8"),
             "holes": _tif(d / "lu2010_holes.tif", holes),
             "float": _tif(d / "float.tif", M2.astype("float32"), nodata=-1, dtype="float32"),
             "shifted": _tif(d / "shifted.tif", M2, origin=(500_100.0, 3_400_000.0))}
    (d / "folder").mkdir()
    texts = {"rules_frac.csv": "from,to,change_pct\n1,2,-0.5\n",
             "rules_bad.csv": "from,to,change_pct\ncropand,2,-50\n1,2,abc\n",
             "rules_self.csv": "from,to,change_pct\n1,1,20\n",
             "rules_empty.csv": "from,to,change_pct\n",
             "t_ok.csv": "code,cells\n1,100\n2,100\n",
             "t_dup.csv": "code,cells\n1,100\n2,50\n1,50\n",
             "t_neg.csv": "code,cells\n1,-10\n2,210\n",
             "t_year_dup.csv": "year,code,cells\n2030,1,100\n2030,2,100\n2030,1,5\n",
             "scheme2.csv": "code,group\n1,cropland\n2,built_up\n",
             "afile.csv": "x\n"}
    for name, text in texts.items():
        (d / name).write_text(text, encoding="utf-8")
        files[name.removesuffix(".csv")] = str(d / name)
    with pd.ExcelWriter(d / "t.xlsx") as w:
        pd.DataFrame({"note": ["read me"]}).to_excel(w, sheet_name="readme", index=False)
        pd.DataFrame({"code": [1, 2], "cells": [100, 100]}).to_excel(w, sheet_name="demand", index=False)
    files["xlsx"] = str(d / "t.xlsx")
    return files


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _bad(capsys, args, out, *words, n=1):
    before = out.read_bytes() if out.is_file() else None
    code, _, err = _run([*args, "--out", out], capsys)
    lines = [ln for ln in err.strip().splitlines() if ln.strip() and not ln.startswith("warning: --")]
    assert code == 2, err
    assert lines and all(ln.startswith("error: ") for ln in lines), err
    assert len(lines) == n, err
    for w in words:
        assert w in err, (w, err)
    if before is not None:  # an --out that is a file is left as it was
        assert out.read_bytes() == before
    else:
        assert not out.exists(), f"{out} was written by a failed run"
    return lines


# ------------------------------------------------------------------------------------------- change
CHANGE = [
    # order that matters
    ("years reversed", lambda f: ["--landuse", f["a"], f["b"], "--years", "2010", "2000"],
     ["--years: found 2010, 2000", "out of order", "oldest first"]),
    ("years repeated", lambda f: ["--landuse", f["a"], f["b"], "--years", "2000", "2000"], ["repeated"]),
    ("maps reversed (file names)", lambda f: ["--landuse", f["b"], f["a"], "--years", "2000", "2010"],
     ["--landuse: ", "lu_2010.tif → 2010", "not oldest first"]),
    # physical range / plausibility
    ("year typo", lambda f: ["--landuse", f["a"], f["b"], "--years", "2000", "20100"],
     ["--years: found 20100; expected at most 2200"]),
    ("three years", lambda f: ["--landuse", f["a"], f["b"], "--years", "2000", "2005", "2010"],
     ["--years: found 3 years", "expected two"]),
    ("three maps", lambda f: ["--landuse", f["a"], f["b"], f["c"]], ["--landuse: found 3 map(s); expected two"]),
    # options that would do nothing
    ("lc-count without years", lambda f: ["--landuse", f["a"], f["b"], "--lc-count", "gross"],
     ["--lc-count: ", "would do nothing", "--years"]),
    ("zone-field without zones", lambda f: ["--landuse", f["a"], f["b"], "--zone-field", "name"],
     ["--zones: is required when --zone-field is given"]),
    # unknown names, bad choices
    ("unknown scheme", lambda f: ["--landuse", f["a"], f["b"], "--scheme", "nationl6"],
     ["--scheme: ", "did you mean 'national6'"]),
    ("bad choice", lambda f: ["--landuse", f["a"], f["b"], "--lc-count", "gros"],
     ["--lc-count: found 'gros'", "did you mean 'gross'"]),
    ("bad language", lambda f: ["--landuse", f["a"], f["b"], "--lang", "fr"], ["--lang: found 'fr'; expected one of"]),
    # files
    ("path is a folder", lambda f: ["--landuse", f["d"] / "folder", f["b"]], ["--landuse: ", "is a folder"]),
    ("missing file", lambda f: ["--landuse", f["d"] / "nofile.tif", f["b"]], ["does not exist"]),
    ("continuous raster", lambda f: ["--landuse", f["float"], f["b"]], ["float32", "integer class codes"]),
    ("grid mismatch", lambda f: ["--landuse", f["a"], f["shifted"]], ["--landuse: ", "shifted.tif", "grid"]),
    ("old spelling, reversed years", lambda f: ["--from", f["a"], "--to", f["b"], "--years", "2010", "2000"],
     ["warning: --from is deprecated; use --landuse", "out of order"]),
]


@pytest.mark.parametrize("name,args,words", CHANGE, ids=[c[0] for c in CHANGE])
def test_change_bad_input(f, tmp_path, capsys, name, args, words):
    _bad(capsys, ["change", *args(f)], tmp_path / "run", *words)


def test_change_out_and_missing_options(f, tmp_path, capsys):
    _bad(capsys, ["change", "--landuse", f["a"], f["b"]], f["d"] / "afile.csv", "--out: ", "is a file; expected a "
         "folder")
    code, _, err = _run(["change", "--years", "2010", "2000"], capsys)  # missing options: all at once
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 3 and all(ln.startswith("error: ") for ln in lines), err
    assert "--out: is required" in err and "--landuse: is required" in err and "--years: " in err
    out = tmp_path / "run"
    assert _run(["change", "--landuse", f["a"], f["b"], "--no-sankey", "--out", out], capsys)[0] == 0
    (out / "stale.csv").write_text("old")
    _, _, err = _run(["change", "--landuse", f["a"], f["b"], "--out", out], capsys)
    assert "--out: " in err and "already holds a finished run" in err and "--overwrite" in err
    code, _, err = _run(["change", "--landuse", f["a"], f["b"], "--no-sankey", "--out", out, "--overwrite"], capsys)
    assert code == 0 and not (out / "stale.csv").exists()  # replaced as a whole


def test_change_dropped_cells_are_warned_with_area(f, tmp_path, capsys):
    code, out, err = _run(["change", "--landuse", f["a"], f["holes"], "--no-sankey", "--out", tmp_path / "r"], capsys)
    assert code == 0, err
    assert "warning: 30 cells valid in the t1 map are nodata in the t2 map" in err and "(30.00 ha)" in err
    assert "170 cells compared" in out


# ------------------------------------------------------------------------------------------- demand
DEMAND = [
    # options that would do nothing / needed by the method
    ("table method without table", lambda f: ["--method", "table", "--landuse", f["b"]],
     ["--table: is required when --method is table"]),
    ("scenario with trend", lambda f: ["--method", "trend", "--landuse", f["a"], f["b"], f["c"], "--target", "2030",
                                       "--scenario", "natural_trend"],
     ["--scenario: ", "method is trend", "use them with method markov"]),
    ("table with markov", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--table", f["t_ok"]],
     ["--table: ", "would do nothing"]),
    ("target with a table", lambda f: ["--method", "table", "--table", f["t_ok"], "--landuse", f["b"],
                                       "--target", "2030"], ["--target: ", "would do nothing"]),
    ("rescale with markov", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--rescale"],
     ["--rescale: ", "would do nothing"]),
    ("fixed without rescale", lambda f: ["--method", "table", "--table", f["t_ok"], "--landuse", f["b"],
                                         "--fixed", "1"], ["--fixed: ", "--rescale", "would do nothing"]),
    ("start-mask with flus", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--markov-origin", "flus",
                                        "--start-mask", "common"], ["--start-mask: ", "would do nothing"]),
    ("scheme without rules", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--scheme", "national6"],
     ["--scheme: ", "would do nothing"]),
    ("scenario whose rules select nothing", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020",
                                                       "--scenario", "cropland_protection", "--scheme", "clcd"],
     ["--scenario: ", "would change nothing", "class scheme"]),
    ("scheme without a code of the maps", lambda f: ["--landuse", f["b"], f["c3"], "--target", "2030", "--scenario",
                                                     "cropland_protection", "--scheme", f["scheme2"]],
     ["--scheme: class codes [3] of the maps are not in the class scheme"]),
    ("groups without a scheme", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--scenario",
                                           "cropland_protection"], ["--scheme", "class scheme"]),
    # order that matters
    ("years reversed", lambda f: ["--landuse", f["a"], f["b"], "--years", "2010", "2000", "--target", "2020"],
     ["--years: ", "out of order", "oldest first"]),
    ("maps reversed (file names)", lambda f: ["--landuse", f["b"], f["a"], "--target", "2020"],
     ["--landuse: ", "2010, 2000", "oldest first"]),
    ("targets reversed", lambda f: ["--landuse", f["a"], f["b"], "--target", "2030", "2020"],
     ["--target: found 2030, 2020", "out of order"]),
    ("target before the last map", lambda f: ["--landuse", f["a"], f["b"], "--target", "2005"],
     ["--target: found 2005, before the last map (2010)"]),
    ("years per map", lambda f: ["--landuse", f["a"], f["b"], "--years", "2000", "--target", "2020"],
     ["--years: found 1 year(s) for 2 maps"]),
    ("three maps for markov", lambda f: ["--landuse", f["a"], f["b"], f["c"], "--years", "2000", "2010", "2020",
                                         "--target", "2030"], ["--landuse: found 3 map(s)", "method trend"]),
    # plausibility, with its override
    ("rules that look like fractions", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--rules",
                                                  f["rules_frac"]], ["--rules: ", "fractions", "--allow-implausible"]),
    ("target typo", lambda f: ["--landuse", f["a"], f["b"], "--target", "20300"], ["--target: found 20300"]),
    # unknown names, bad rows
    ("unknown scenario", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--scenario", "lowcarbon"],
     ["--scenario: found 'lowcarbon'", "did you mean 'low_carbon'"]),
    ("rule that changes nothing", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--rules",
                                             f["rules_self"]], ["--rules: row 1", "would change nothing"]),
    ("table: duplicate codes", lambda f: ["--method", "table", "--table", f["t_dup"], "--landuse", f["b"]],
     ["--table: rows 1 and 3 both give code 1"]),
    ("table: duplicate year and code", lambda f: ["--method", "table", "--table", f["t_year_dup"], "--landuse",
                                                  f["b"]], ["rows 1 and 3 both give year 2030, code 1"]),
    ("table: negative cells", lambda f: ["--method", "table", "--table", f["t_neg"], "--landuse", f["b"]],
     ["--table: row 1 holds negative demand"]),
    ("workbook: data on another sheet", lambda f: ["--method", "table", "--table", f["xlsx"], "--landuse", f["b"]],
     ["--table: ", "sheet(s) demand", "--table-sheet"]),
    ("header without rows", lambda f: ["--landuse", f["a"], f["b"], "--target", "2020", "--rules", f["rules_empty"]],
     ["--rules: ", "no data rows"]),
]


@pytest.mark.parametrize("name,args,words", DEMAND, ids=[c[0] for c in DEMAND])
def test_demand_bad_input(f, tmp_path, capsys, name, args, words):
    _bad(capsys, ["demand", *args(f)], tmp_path / "run", *words)


def test_demand_every_bad_rule_row_at_once(f, tmp_path, capsys):
    _bad(capsys, ["demand", "--landuse", f["a"], f["b"], "--target", "2020", "--rules", f["rules_bad"]],
         tmp_path / "run", "row 1: selector 'cropand'", "did you mean 'cropland'", "row 2: change_pct 'abc'", n=2)


def test_demand_out_is_a_folder(f, tmp_path, capsys):
    out = tmp_path / "d" / "demand.csv"
    _bad(capsys, ["demand", "--landuse", f["a"], f["b"], "--target", "2020"], out, "demand.csv looks like a file name; expected a run folder",
         "run folder")
    code, _, err = _run(["demand", "--landuse", f["a"], f["b"], "--target", "2020", "--rules", f["rules_frac"],
                         "--allow-implausible", "--out", tmp_path / "ok"], capsys)
    assert code == 0, err  # the override accepts changes below 1 %


def test_demand_old_spellings_and_warnings(f, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, err = _run(["demand", "--map", f["a"], "--map", f["holes"], "--target", "2020", "--start", "map2",
                              "--out", out], capsys)
    assert code == 0, err
    assert err.count("warning: --map is deprecated; use --landuse") == 1
    assert "warning: --start is deprecated; use --start-mask" in err
    assert "map years taken from the file names: lu_2000.tif → 2000, lu2010_holes.tif → 2010" in err
    d = pd.read_csv(out / "demand.csv", encoding="utf-8-sig")
    assert d.cells.sum() == 170  # the valid cells of the start map
    # cells valid in the first map only are left out of P: the common mask is the start map's mask here
    code, _, err = _run(["demand", "--landuse", f["holes"], f["b"], "--years", "2000", "2010", "--target", "2020",
                         "--out", tmp_path / "r2"], capsys)
    assert code == 0 and "30 valid cells of the last map are nodata in the first map" in err and "(30.00 ha)" in err


# ------------------------------------------------------------------------------------------- validate
VALIDATE = [
    ("negative seed", lambda f: ["--sample-rate", "0.5", "--seed", "-1"], ["--seed: found -1; expected at least 0"]),
    ("zero sample rate", lambda f: ["--sample-rate", "0"], ["--sample-rate: found 0; expected greater than 0"]),
    ("sample rate in percent", lambda f: ["--sample-rate", "10"], ["--sample-rate: found 10; expected at most 1"]),
    ("seed that does nothing", lambda f: ["--seed", "4"], ["--seed: ", "would do nothing", "--sample-rate"]),
    ("fractional seed", lambda f: ["--sample-rate", "0.5", "--seed", "1.5"], ["--seed: found '1.5'"]),
    ("zone-layer without zones", lambda f: ["--zone-layer", "x"], ["--zones: is required"]),
    ("unknown scheme", lambda f: ["--scheme", "globland30"], ["did you mean 'globeland30'"]),
]


def _three(f, sim="sim"):
    return ["--landuse", f["a"], "--observed", f["b"], "--simulated", f[sim]]


@pytest.mark.parametrize("name,args,words", VALIDATE, ids=[c[0] for c in VALIDATE])
def test_validate_bad_input(f, tmp_path, capsys, name, args, words):
    _bad(capsys, ["validate", *_three(f), *args(f)], tmp_path / "run", *words)


def test_validate_maps(f, tmp_path, capsys):
    out = tmp_path / "run"
    _bad(capsys, ["validate", *_three(f, "sim0")], out, "--simulated: holds class codes [0]", "0-based")
    _bad(capsys, ["validate", "--landuse", f["b"], "--observed", f["a"], "--simulated", f["sim"]], out,
         "--observed: ", "start map is from 2010", "swap --landuse and --observed")
    _bad(capsys, ["validate", *_three(f, "shifted")], out, "--simulated: ", "grid")
    code, _, err = _run(["validate"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 4 and all(ln.startswith("error: ") for ln in lines), err
    assert all(f"{o}: is required" in err for o in ("--out", "--landuse", "--observed", "--simulated"))


def test_validate_old_spelling_and_dropped_cells(f, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = _run(["validate", "--start", f["a"], "--observed", f["holes"], "--simulated", f["sim"],
                         "--out", out], capsys)
    assert code == 0, err
    assert "warning: --start is deprecated; use --landuse" in err
    assert "30 cells valid in the start map are nodata in another map" in err and "(30.00 ha)" in err
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["cells"] == 170 and s["excluded_cells"]["nodata in observed"] == 30
