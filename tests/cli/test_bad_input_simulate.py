"""``landcarbon simulate`` with bad input, by class (issue 8 item 6), through the CLI: one ``error:`` line per
problem naming the option, exit 2, nothing at ``--out``; and the runs that used to exit 0 with a wrong map."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from landcarbon.cli.main import main
from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.testing import make_lulc

N = 24
X0, Y0 = 500_000.0, 3_400_000.0  # make_lulc's origin, 100 m cells (1 ha)


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    """A 24 x 24 world: built-up (2) grows around a centre between lu2010 and lu2015, cropland 1, forest 3."""
    d = tmp_path_factory.mktemp("simbad")
    yy, xx = np.mgrid[0:N, 0:N]
    r = np.hypot(yy - N / 2, xx - N / 2)
    a = np.full((N, N), 1, np.int16)
    a[:, :5] = 3
    a[r < 3] = 2
    b = a.copy()
    b[(r < 5) & (a == 1)] = 2
    g = grid_of(make_lulc(a))
    f = {"dir": d, "b": b}
    for name, arr, nd, dt in (("lu2010", a, 0, "int16"), ("lu2015", b, 0, "int16"),
                              ("dem", (xx * 2.0 + yy).astype(np.float32), None, "float32"),
                              ("dist", r.astype(np.float32), None, "float32")):
        f[name] = write_raster(arr, d / f"{name}.tif", g, nodata=nd, dtype=dt)
    holes = r.astype(np.float32)
    holes[0, :4] = -9999.0
    f["dist_holes"] = write_raster(holes, d / "dist_holes.tif", g, nodata=-9999.0, dtype="float32")
    red = np.zeros((N, N), np.uint8)
    red[:4] = 1
    f["red"] = write_raster(red, d / "red.tif", g, dtype="uint8")
    west = np.arange(N)[None, :].repeat(N, axis=0) < N // 2
    f["zones_tif"] = write_raster(np.where(west, 1, 2).astype(np.int16), d / "zones.tif", g, nodata=0, dtype="int16")
    gpd.GeoDataFrame({"name": ["西区", "东区"]}, geometry=[box(X0, Y0 - N * 100, X0 + N * 50, Y0),
                                                       box(X0 + N * 50, Y0 - N * 100, X0 + N * 100, Y0)],
                     crs="EPSG:32650").to_file(d / "zones.gpkg")
    f["zones_gpkg"] = d / "zones.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(X0, Y0 - 400, X0 + N * 100, Y0)], crs="EPSG:32650") \
        .to_file(d / "red.gpkg")
    f["red_gpkg"] = d / "red.gpkg"
    cnt = {c: int((b == c).sum()) for c in (1, 2, 3)}
    f["counts"] = cnt
    f["demand"] = _demand(d / "demand.csv", {1: cnt[1] - 8, 2: cnt[2] + 8, 3: cnt[3]})
    pd.DataFrame({"lucode": [1, 2, 3], "c_above": [5, 1, 60], "c_below": [1, 0.5, 15], "c_soil": [90, 40, 120],
                  "c_dead": [0, 0, 6]}).to_csv(d / "pools.csv", index=False)
    f["pools"] = d / "pools.csv"
    (d / "a_folder").mkdir()
    return f


def _demand(path, cells: dict, **cols) -> str:
    pd.DataFrame({**cols, "code": list(cells), "cells": list(cells.values())}).to_csv(path, index=False)
    return str(path)


def _base(w, **kw):
    args = {"--calibrate-from": w["lu2010"], "--calibrate-to": w["lu2015"], "--landuse": w["lu2015"],
            "--driver": [w["dem"], w["dist"]], "--demand": w["demand"], "--seed": 5, "--trees": 3,
            "--sample-rate": 0.5, "--jobs": 1, "--no-potential": None}
    args.update(kw)
    out = []
    for k, v in args.items():
        if v is False:
            continue
        for x in (v if isinstance(v, list) else [v]):
            out += [k] if x is None else [k, str(x)]
    return out


def _run(args, capsys):
    try:
        main(["simulate", *map(str, args)])
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _bad(args, out, capsys, *words, lines: int | None = None):
    code, _, err = _run([*args, "--out", out], capsys)
    got = err.strip().splitlines()
    assert code == 2, err
    assert got and all(s.startswith("error: ") for s in got), err
    for word in words:
        assert word in err, (word, err)
    if lines is not None:
        assert len(got) == lines, err
    assert not out.exists() or (out.is_file() and out.name == "x.txt"), "a failed run left something at --out"
    assert not list(out.parent.glob(f".{out.name}.staging-*")), "a staging folder was left behind"
    return err


# -- physical range and sign ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt,val,words", [
    ("--seed", "-1", ("--seed: found -1; expected at least 0",)),
    ("--sample-rate", "0", ("--sample-rate: found 0; expected greater than 0",)),
    ("--sample-rate", "5", ("--sample-rate: found 5; expected at most 1",)),       # a percent, not a share
    ("--trees", "0", ("--trees: found 0",)),
    ("--delta", "1", ("--delta: found 1; expected less than 1",)),
    ("--neighbourhood", "4", ("--neighbourhood: found 4; expected an odd window size",)),
    ("--mu", "-0.1", ("--mu: found -0.1",)),
    ("--max-iter", "0", ("--max-iter",)),
    ("--jobs", "0", ("--jobs",)),
])
def test_values_out_of_range(w, tmp_path, capsys, opt, val, words):
    _bad(_base(w, **{opt: val}), tmp_path / "r", capsys, *words, lines=1)


def test_seed_not_a_whole_number(w, tmp_path, capsys):
    # (core.validation also reports the required seed as missing: a second line, the lead's to fold)
    _bad(_base(w, **{"--seed": "1.5"}), tmp_path / "r", capsys, "--seed: found '1.5'; expected a whole number")


@pytest.mark.parametrize("cells,words", [
    ({1: -1, 2: 10, 3: 5}, ("--demand: column cells holds ['-1']", "non-negative")),
    ({1: 1.5, 2: 10, 3: 5}, ("--demand: column cells holds ['1.5']", "whole")),
])
def test_demand_cells_sign_and_fractions(w, tmp_path, capsys, cells, words):
    _bad(_base(w, **{"--demand": _demand(tmp_path / "d.csv", cells)}), tmp_path / "r", capsys, *words, lines=1)


def test_out_of_core_values(w, tmp_path, capsys):
    _bad(_base(w, **{"--tiles": "0"}), tmp_path / "r", capsys, "--tiles: found 0; expected at least 1")
    _bad(_base(w, **{"--zone-size": "4"}), tmp_path / "r", capsys, "--zone-size: found 4; expected at least 8")


# -- plausibility: the suspected unit is named --------------------------------------------------------------------------
def test_implausible_values_name_the_unit(w, tmp_path, capsys):
    _bad(_base(w, **{"--tiles": "2", "--max-zone-memory": "4e9"}), tmp_path / "r", capsys,
         "--max-zone-memory: found 4e+09 GB; expected at most 4096 GB", lines=1)
    pools = tmp_path / "pools_g.csv"
    pd.DataFrame({"lucode": [1, 2, 3], "c_above": [500, 100, 6000], "c_below": [0, 0, 0], "c_soil": [9000, 4000, 12000],
                  "c_dead": [0, 0, 0]}).to_csv(pools, index=False)
    _bad(_base(w, **{"--pools": pools}), tmp_path / "r", capsys, "--pools", "Mg C/ha")


def test_demand_in_hectares_is_named(w, tmp_path, capsys):
    """On a 1 km grid (100 ha a pixel) a demand in ha sums to 100 x the cells: the error says so."""
    from affine import Affine

    from landcarbon.core.grid import GridSpec
    from landcarbon.io import read_raster

    d = tmp_path
    for name in ("lu2010", "lu2015", "dem", "dist"):
        da = read_raster(w[name], chunks=None)
        g = grid_of(da)
        write_raster(da.values, d / f"{name}.tif", GridSpec(g.shape, g.transform * Affine.scale(10), g.crs),
                     nodata=da.rio.nodata, dtype=str(da.dtype))
    cnt = w["counts"]
    ha = _demand(d / "ha.csv", {k: v * 100 for k, v in cnt.items()})
    args = _base(w, **{"--calibrate-from": d / "lu2010.tif", "--calibrate-to": d / "lu2015.tif",
                       "--landuse": d / "lu2015.tif", "--driver": [d / "dem.tif", d / "dist.tif"], "--demand": ha})
    _bad(args, d / "r", capsys, "the total matches the area in ha", "1 pixel = 100 ha", lines=1)


# -- unknown names and keys: did-you-mean ------------------------------------------------------------------------------
def test_unknown_names_get_a_did_you_mean(w, tmp_path, capsys):
    out = tmp_path / "r"
    _bad(_base(w, **{"--line": f"eco_redlin={w['red']}"}), out, capsys,
         "--line: control line 'eco_redlin' is not named by the default rules", "did you mean 'eco_redline'", lines=1)
    _bad(_base(w, **{"--rules": "defualt"}), out, capsys, "--rules: found 'defualt'", "did you mean 'default'")
    _bad(_base(w, **{"--scheme": "national7", "--line": f"basic_farmland={w['red']}"}), out, capsys, "--scheme",
         "did you mean 'national6'")
    _bad(_base(w, **{"--zones": w["zones_gpkg"], "--zone-field": "nam"}), out, capsys, "--zone-field",
         "did you mean 'name'")
    _bad(_base(w, **{"--control": "flux"}), out, capsys, "--control: found 'flux'", "did you mean 'flus'", lines=1)
    rules = tmp_path / "rules.csv"
    pd.DataFrame([("eco_redline", "inside", "croplnd", "any", "forbid")],
                 columns=["line", "applies", "from", "to", "action"]).to_csv(rules, index=False)
    _bad(_base(w, **{"--rules": rules, "--line": f"eco_redline={w['red']}"}), out, capsys,
         "--rules: rule eco_redline/inside/forbid: selector 'croplnd'", "did you mean 'cropland'", lines=1)
    pd.DataFrame([("eco_redline", "inside", "any", "any", "forbid"), ("town", "outside", "any", "2", "forbid")],
                 columns=["line", "applies", "from", "to", "action"]).to_csv(rules, index=False)
    _bad(_base(w, **{"--rules": rules, "--line": f"eco_redline={w['red']}"}), out, capsys,
         "--line: the rule table names control lines ['town'] that were not given", lines=1)


# -- options that would do nothing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra,words", [
    ({"--develop-class": "2"}, ("--develop-class: would do nothing without --restrict",)),
    ({"--transition-orientation": "plus"}, ("--transition-orientation: would do nothing without --transition",)),
    ({"--zone-workers": "2"}, ("--zone-workers: would do nothing: it applies to the out-of-core run",)),
    ({"--block": "512"}, ("--block: would do nothing",)),
    ({"--rules": "none", "--line": "eco_redline={red}"}, ("--line: would do nothing: --rules is none",)),
    ({"--rules": "soft-redline"}, ("--rules: would do nothing: the soft-redline rules apply to control lines",)),
    ({"--zone-field": "name"}, ("--zone-field: would do nothing without --zones",)),
    ({"--driver": ["{dist}"], "--no-slope": None}, ("--slope: would do nothing: no driver is a DEM",)),
])
def test_options_that_would_do_nothing(w, tmp_path, capsys, extra, words):
    extra = {k: ([x.format(**w) for x in v] if isinstance(v, list) else (v.format(**w) if v else v))
             for k, v in extra.items()}
    _bad(_base(w, **extra), tmp_path / "r", capsys, *words, lines=1)


def test_a_control_line_that_covers_nothing(w, tmp_path, capsys):
    """A red line in the wrong place (e.g. a wrong CRS definition) used to constrain nothing, exit 0."""
    far = tmp_path / "far.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(X0 + 1e5, Y0 - 400, X0 + 1e5 + 500, Y0)], crs="EPSG:32650") \
        .to_file(far)
    _bad(_base(w, **{"--line": f"eco_redline={far}"}), tmp_path / "r", capsys, "eco_redline", "same region",
         lines=1)
    empty = write_raster(np.zeros((N, N), np.uint8), tmp_path / "empty.tif", grid_of(make_lulc(w["b"])),
                         dtype="uint8")
    _bad(_base(w, **{"--line": f"eco_redline={empty}"}), tmp_path / "r", capsys,
         "--line: eco_redline: empty.tif covers no valid cell of the start map", lines=1)


def test_pools_lacking_a_class_is_an_error(w, tmp_path, capsys):
    """Issue 8: a pools table missing a class used to drop its cells from scenario carbon, exit 0."""
    pools = tmp_path / "pools2.csv"
    pd.read_csv(w["pools"]).query("lucode != 3").to_csv(pools, index=False)
    _bad(_base(w, **{"--pools": pools}), tmp_path / "r", capsys, "--pools: pools2.csv lacks class codes [3]",
         lines=1)


# -- silent rescaling, order, duplicates ------------------------------------------------------------------------------
def test_demand_that_does_not_sum_is_not_rescaled(w, tmp_path, capsys):
    c = w["counts"]
    d = _demand(tmp_path / "d.csv", {1: c[1] - 8, 2: c[2] + 10, 3: c[3]})
    _bad(_base(w, **{"--demand": d}), tmp_path / "r", capsys, f"error: demand totals {sum(c.values()) + 2} pixels",
         "(--demand) must sum to the valid cells exactly", lines=1)


def test_order_that_matters(w, tmp_path, capsys):
    out = tmp_path / "r"
    _bad(_base(w, **{"--calibrate-from": w["lu2015"], "--calibrate-to": w["lu2010"], "--landuse": w["lu2015"]}), out,
         capsys, "--calibrate-from: lu2015.tif (2015) is later than lu2010.tif (2010)", "expected the older map first")
    _bad(_base(w, **{"--calibrate-to": w["lu2010"]}), out, capsys, "--calibrate-to: is the same map as "
         "--calibrate-from")
    c = w["counts"]
    d = _demand(tmp_path / "y.csv", c, year=2010)
    _bad(_base(w, **{"--demand": d}), out, capsys, "--demand: target years [2010] are not after the start map's "
         "year 2015")


def test_duplicate_demand_rows_are_named(w, tmp_path, capsys):
    p = tmp_path / "dup.csv"
    p.write_text("code,cells\n1,10\n2,20\n1,30\n", encoding="utf-8")
    _bad(_base(w, **{"--demand": p}), tmp_path / "r", capsys, "--demand: rows 2, 4 repeat the same code", lines=1)


# -- tables: sheets, no rows, missing columns --------------------------------------------------------------------------
def test_workbook_with_data_on_another_sheet(w, tmp_path, capsys):
    x = tmp_path / "demand.xlsx"
    c = w["counts"]
    with pd.ExcelWriter(x) as xw:
        pd.DataFrame({"说明": ["需求见下一页"]}).to_excel(xw, sheet_name="README", index=False)
        pd.DataFrame({"code": [1, 2, 3], "cells": [c[1] - 8, c[2] + 8, c[3]]}).to_excel(xw, sheet_name="需求",
                                                                                       index=False)
    _bad(_base(w, **{"--demand": x}), tmp_path / "r", capsys, "--demand: demand.xlsx: the first sheet lacks",
         "需求", "--demand-sheet", lines=1)
    code, _, err = _run([*_base(w, **{"--demand": x, "--demand-sheet": "需求"}), "--out", tmp_path / "ok"], capsys)
    assert code == 0, err


def test_header_without_rows_and_missing_column(w, tmp_path, capsys):
    p = tmp_path / "empty.csv"
    p.write_text("code,cells\n", encoding="utf-8")
    _bad(_base(w, **{"--demand": p}), tmp_path / "r", capsys, "--demand: empty.csv has a header but no data rows")
    p.write_text("code,cell\n1,2\n", encoding="utf-8")
    _bad(_base(w, **{"--demand": p}), tmp_path / "r", capsys, "lacks column(s) cells in pixels (did you mean 'cell'?)")


# -- usage errors: missing options at once, bad choice, folders, --out ---------------------------------------------------
def test_missing_options_all_at_once(tmp_path, capsys):
    err = _bad(["--trees", "3"], tmp_path / "r", capsys)
    for opt in ("--landuse", "--calibrate-from", "--calibrate-to", "--driver", "--demand", "--seed"):
        assert f"error: {opt}: is required" in err, (opt, err)


def test_path_that_is_a_folder_and_a_typo(w, tmp_path, capsys, monkeypatch):
    import landcarbon.models.simulate as ms

    def boom(*a, **k):  # the forests must not be fitted before the inputs are checked
        raise AssertionError("LEAS was fitted before the restriction raster was checked")

    monkeypatch.setattr(ms, "fit_leas", boom)
    _bad(_base(w, **{"--restrict": w["dir"] / "a_folder"}), tmp_path / "r", capsys, "--restrict: ", "is a folder",
         lines=1)
    _bad(_base(w, **{"--restrict": w["dir"] / "red.tf"}), tmp_path / "r", capsys, "--restrict: file",
         "does not exist (did you mean 'red.tif'?)", lines=1)


def test_out_that_is_a_file_a_tif_or_an_earlier_run(w, tmp_path, capsys):
    f = tmp_path / "x.txt"
    f.write_text("a")
    _bad(_base(w), f, capsys, "--out: ", "is a file; expected a folder")
    _bad(_base(w), tmp_path / "sim.tif", capsys, "--out: ", "sim.tif looks like a file name; expected a run folder")
    out = tmp_path / "run"
    code, _, err = _run([*_base(w, **{"--no-potential": False}), "--out", out], capsys)
    assert code == 0, err
    assert list(out.glob("potential_*.tif"))
    code, _, err = _run([*_base(w), "--out", out], capsys)
    assert code == 2 and err.count("error:") == 1 and "--overwrite" in err
    code, _, err = _run([*_base(w), "--out", out, "--overwrite"], capsys)
    assert code == 0, err
    assert not list(out.glob("potential_*.tif")), "the earlier run's potential rasters were left beside the new run"


def test_failed_run_leaves_nothing_at_out(w, tmp_path, capsys):
    """Infeasible demand (built-up may not grow inside the red line, which covers everything but the centre) fails
    during allocation: not even the simulated map is left."""
    c = w["counts"]
    b = w["b"]
    big = np.ones((N, N), np.uint8)
    big[b == 2] = 0
    red = write_raster(big, tmp_path / "red_all.tif", grid_of(make_lulc(b)), dtype="uint8")
    d = _demand(tmp_path / "d.csv", {1: c[1] - 40, 2: c[2] + 40, 3: c[3]})
    _bad(_base(w, **{"--demand": d, "--line": f"eco_redline={red}"}), tmp_path / "r", capsys,
         "demand cannot be met inside the allowed cells", "eco_redline", lines=1)


# -- cells dropped: a warning with the area --------------------------------------------------------------------------------
def test_cells_dropped_are_warned_with_their_area(w, tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, err = _run([*_base(w, **{"--driver": [w["dem"], w["dist_holes"]]}), "--out", out], capsys)
    assert code == 0, err
    assert "warning: 4 valid cells where a driver is nodata were not simulated" in err and "(4.00 ha)" in err
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any("driver is nodata" in n for n in man["notes"])
    zones = w["zones_tif"]
    c = w["b"]
    west = np.arange(N)[None, :].repeat(N, axis=0) < N // 2
    rows = [(z, k, int((c[m] == k).sum()) + {1: -2, 2: 2, 3: 0}[k]) for z, m in ((1, west), (2, ~west))
            for k in (1, 2, 3)]
    d = tmp_path / "dz.csv"
    pd.DataFrame(rows, columns=["zone", "code", "cells"]).to_csv(d, index=False)
    code, stdout, err = _run([*_base(w, **{"--zones": zones, "--demand": d}), "--out", tmp_path / "z"], capsys)
    assert code == 0 and "outside every zone" not in err, err


# -- out-of-core: unsupported options are errors, not ignored --------------------------------------------------------------
@pytest.mark.parametrize("extra,words", [
    ({"--align": None}, ("--align: is not available in the out-of-core run",)),
    ({"--pools": "{pools}"}, ("--pools: is not available in the out-of-core run",)),
    ({"--no-potential": False}, ("--potential: is not available in the out-of-core run",)),
    ({"--line": "eco_redline={red_gpkg}"}, ("--line: eco_redline: the out-of-core run", "rasterise red.gpkg")),
    ({"--zones": "{zones_gpkg}", "--tiles": False, "--out-of-core": None}, ("--zones: zones.gpkg:",)),
    ({"--zones": "{zones_tif}"}, ("--tiles: and zones exclude each other",)),
    ({"--zone-size": "12"}, ("--tiles: and zone_size exclude each other",)),
])
def test_out_of_core_refuses_what_it_cannot_do(w, tmp_path, capsys, extra, words):
    extra = {"--tiles": "2", **{k: (v.format(**w) if isinstance(v, str) else v) for k, v in extra.items()}}
    _bad(_base(w, **extra), tmp_path / "r", capsys, *words, lines=1)


def test_out_of_core_needs_zones(w, tmp_path, capsys):
    _bad(_base(w, **{"--out-of-core": None}), tmp_path / "r", capsys, "--out-of-core: needs zones", lines=1)


def test_out_of_core_tiles_run_and_write_the_spec_outputs(w, tmp_path, capsys):
    code, stdout, err = _run([*_base(w, **{"--tiles": "2", "--line": f"eco_redline={w['red']}"}), "--out",
                              tmp_path / "ooc", "--json"], capsys)
    assert code == 0, err
    s = json.loads(stdout)
    assert s["zones"] == 4 and s["main_outputs"][0] == "sim.tif"
    import rasterio

    with rasterio.open(tmp_path / "ooc" / "sim.tif") as src:
        sim = src.read(1)
        assert src.units[0] == "class code"
    assert (sim[:4] == w["b"][:4]).all()                      # nothing changes inside the red line
    assert (sim == 2).sum() == w["counts"][2] + 8
    names = sorted(p.name for p in (tmp_path / "ooc").iterdir())
    assert names == ["demand_gap.csv", "driver_contributions.csv", "leas_accuracy.csv", "manifest.json", "sim.tif",
                     "summary.csv", "summary.json", "zone_demand.csv"]
    # a zone raster, zone by zone from disk: the regional demand is apportioned to the two zones
    code, stdout, err = _run([*_base(w, **{"--zones": w["zones_tif"], "--out-of-core": None}), "--out",
                              tmp_path / "ooz", "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["zones"] == 2
    zd = pd.read_csv(tmp_path / "ooz" / "zone_demand.csv")
    assert sorted(zd.zone.unique()) == [1, 2] and zd.groupby("code").cells.sum().to_dict()[2] == w["counts"][2] + 8


# -- old spellings still work, with one deprecation line each ----------------------------------------------------------------
def test_old_spellings_and_the_default_scheme(w, tmp_path, capsys):
    args = _base(w, **{"--landuse": False, "--driver": [w["dem"]]})
    args += ["--start", str(w["lu2015"]), "--driver", f"{w['zones_tif']}:categorical", "--classes", "national6",
             "--line", f"basic_farmland={w['red_gpkg']}", "--pools", str(w["pools"])]
    code, stdout, err = _run([*args, "--out", tmp_path / "r"], capsys)
    assert code == 0, err
    assert "warning: --start is deprecated; use --landuse" in err
    assert "warning: --classes is deprecated; use --scheme" in err
    assert "warning: --driver PATH:categorical" in err
    assert stdout.splitlines()[-1] == f"written to {tmp_path / 'r'}"
    assert any(s.startswith("carbon stock change to sim: ") and s.endswith(" Mg C") for s in stdout.splitlines())
    contrib = pd.read_csv(tmp_path / "r" / "driver_contributions.csv", encoding="utf-8-sig")
    assert set(contrib.driver) == {"dem", "zones", "slope"}
    # the default scheme, used for the group names of the rules, is stated
    code, stdout, err = _run([*_base(w, **{"--line": f"basic_farmland={w['red']}"}), "--out", tmp_path / "s"], capsys)
    assert code == 0 and "warning: the control-line rules name land-use groups: the class codes were read as " \
                          "national6" in err, err


def test_line_without_a_name(w, tmp_path, capsys):
    _bad(_base(w, **{"--line": str(w["red"])}), tmp_path / "r", capsys, "--line: found", "expected NAME=", lines=1)


def test_python_api_pools_lacking_a_class(w, tmp_path):
    from landcarbon.core.errors import InputValidationError
    from landcarbon.workflow.simulate import run_simulate

    pools = pd.read_csv(w["pools"]).query("lucode != 1")
    with pytest.raises(InputValidationError) as ei:
        run_simulate(start=str(w["lu2015"]), calibrate_from=str(w["lu2010"]), calibrate_to=str(w["lu2015"]),
                     drivers=[str(w["dem"])], demand=w["demand"], out=str(tmp_path / "r"), seed=1, pools=pools)
    assert ei.value.issues[0].key == "pools" and "[1]" in str(ei.value) and "--" not in str(ei.value)
    assert not (tmp_path / "r").exists()
