"""`landcarbon change | demand | validate` end to end on tiny GeoTIFFs (and one Wuhan run)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from landcarbon.cli.main import main
from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.testing import make_lulc

SCHEME = """code,key,name_zh,name_en,colour,group
10,crop,耕地,Cropland,#f2d16b,cropland
20,forest,林地,Forest,#2e8b3a,forest
40,urban,建设用地,Built-up,#d7301f,built_up
"""

# non-consecutive codes 10/20/40; 0 = nodata. 100 m cells = 1 ha.
A = [[10, 10, 20, 20], [10, 10, 20, 40], [10, 40, 40, 0]]
B = [[10, 40, 20, 20], [10, 10, 10, 40], [40, 40, 40, 40]]


def _tif(path, arr, nodata=0, dtype="int16", **kw):
    da = make_lulc(np.asarray(arr), nodata=nodata, dtype=dtype, **kw)
    write_raster(da, path, grid_of(da), nodata=nodata, dtype=dtype)
    return str(path)


def _run(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def files(tmp_path):
    a = _tif(tmp_path / "lu2000.tif", A)
    b = _tif(tmp_path / "lu2010.tif", np.asarray(B, dtype=np.uint8), nodata=255, dtype="uint8")
    (tmp_path / "scheme.csv").write_text(SCHEME, encoding="utf-8")
    return tmp_path, a, b


def test_change_cli(files, capsys):
    d, a, b = files
    code, out, err = _run(["change", "--landuse", a, b, "--years", "2000", "2010", "--scheme",
                           str(d / "scheme.csv"), "--out", str(d / "chg")], capsys)
    assert code == 0, err
    # 11 common cells (the last cell is nodata in A); changed: r0c1 10->40, r1c2 20->10, r2c0 10->40
    # = 3 of 11 = 27.27 %
    assert "11 cells compared; 27.27% changed" in out
    names = {p.name for p in (d / "chg").iterdir()}
    assert {"transition_matrix_cells.csv", "transition_matrix_ha.csv", "transition_matrix_km2.csv",
            "transitions_long.csv", "class_change.csv", "dynamic_degree.csv", "sankey.png", "sankey.html",
            "summary.json", "manifest.json"} <= names
    m = pd.read_csv(d / "chg" / "transition_matrix_cells.csv", encoding="utf-8-sig", index_col=0)
    # cropland at t1: r0c0 r0c1 r1c0 r1c1 r2c0 -> 3 kept, 2 to built-up (r0c1, r2c0)
    assert m.loc["Cropland"].tolist() == [3, 0, 2, 5]
    assert m.loc["Forest"].tolist() == [1, 2, 0, 3]
    assert m.loc["Built-up"].tolist() == [0, 0, 3, 3]
    assert m.loc["total_t2"].tolist() == [4, 2, 5, 11]
    cc = pd.read_csv(d / "chg" / "class_change.csv", encoding="utf-8-sig").set_index("code")
    # built-up: 3 ha -> 5 ha over 10 years: K = (5 - 3)/3/10 × 100 = 6.667 %/a
    assert cc.loc[40, "K_pct_per_year"] == pytest.approx(20 / 3)
    dd = pd.read_csv(d / "chg" / "dynamic_degree.csv", encoding="utf-8-sig")
    # LC = 3 / (2 × 11) / 10 × 100 = 1.3636 %/a
    assert dd.loc[0, "LC_pct_per_year"] == pytest.approx(300 / 220)
    assert (d / "chg" / "sankey.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (d / "chg" / "sankey.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Cropland" in page and 'class="band"' in page
    # self-contained: no external URL, stylesheet, script source or font
    assert not re.search(r"https?://|<link|src=|@import|url\(", page)
    man = json.loads((d / "chg" / "manifest.json").read_text(encoding="utf-8"))
    # the runner hashes every file input: the scheme table is recorded beside the two maps
    assert man["model"] == "change" and {i["role"] for i in man["inputs"]} == {"from", "to", "scheme"}


def test_change_cli_zones(files, capsys):
    import geopandas as gpd
    from shapely.geometry import box

    d, a, b = files
    # zone W covers columns 0-1, zone E columns 2-3 (x from 500 000 to 500 400, y 3 399 700 .. 3 400 000)
    gdf = gpd.GeoDataFrame({"name": ["W", "E"]},
                           geometry=[box(500_000, 3_399_700, 500_200, 3_400_000),
                                     box(500_200, 3_399_700, 500_400, 3_400_000)], crs="EPSG:32650")
    gdf.to_file(d / "zones.gpkg", driver="GPKG")
    code, out, err = _run(["change", "--landuse", a, b, "--zones", str(d / "zones.gpkg"), "--zone-field",
                           "name", "--out", str(d / "z")], capsys)
    assert code == 0, err
    long = pd.read_csv(d / "z" / "transitions_long.csv", encoding="utf-8-sig")
    assert set(long.zone) == {"(all)", "W", "E"}
    w = long[(long.zone == "W") & long.changed]
    # zone W: r0c1 10->40 and r2c0 10->40 -> 2 changed cells, both cropland -> built-up
    assert w.cells.sum() == 2 and w[(w.from_code == 10) & (w.to_code == 40)].cells.item() == 2


def test_change_cli_grid_mismatch_and_align(files, capsys):
    d, a, _ = files
    other = _tif(d / "shifted.tif", B, origin=(500_100.0, 3_400_000.0))
    code, out, err = _run(["change", "--landuse", a, other, "--out", str(d / "bad")], capsys)
    assert code == 2 and err.startswith("error: ") and "differs" in err and "--align" in err
    assert not (d / "bad").exists()
    code, out, err = _run(["change", "--landuse", a, other, "--align", "--out", str(d / "al")], capsys)
    assert code == 0, err


def test_validate_cli(tmp_path, capsys):
    l1 = _tif(tmp_path / "l1.tif", [[1, 1, 1], [2, 2, 2], [1, 2, 3]])
    l2 = _tif(tmp_path / "l2.tif", [[1, 2, 2], [2, 1, 2], [1, 1, 3]])
    s = _tif(tmp_path / "s.tif", [[1, 2, 1], [2, 2, 1], [2, 3, 3]])
    code, out, err = _run(["validate", "--landuse", l1, "--observed", l2, "--simulated", s, "--fom-map", "--out",
                           str(tmp_path / "v")], capsys)
    assert code == 0, err
    from landcarbon.io import read_raster

    cats = read_raster(tmp_path / "v" / "fom_categories.tif")
    assert cats.values.tolist() == [[1, 2, 3], [1, 3, 5], [5, 4, 1]] and cats.rio.nodata == 0
    m = pd.read_csv(tmp_path / "v" / "metrics.csv", encoding="utf-8-sig").set_index("metric")
    # see tests/models/test_validate.py: FoM 1/6, OA 4/9, Kappa 6/51; persistence OA 5/9, Kappa 0.25
    assert m.loc["fom", "simulated"] == pytest.approx(1 / 6) and m.loc["fom", "persistence"] == 0
    assert m.loc["kappa", "simulated"] == pytest.approx(6 / 51)
    assert m.loc["kappa", "persistence"] == pytest.approx(0.25)
    s = json.loads((tmp_path / "v" / "summary.json").read_text(encoding="utf-8"))
    # verdict of methods.md §15.2 (issue 12 item 4; the former rule said False): J = 1/6 − (0.25 − 6/51) > 0
    assert s["passed"] is True and s["simulated"]["hits"] == 1
    for f in ("metrics_by_zone.csv", "per_class.csv", "confusion_matrix.csv", "manifest.json"):
        assert (tmp_path / "v" / f).exists()


# ------------------------------------------------------------------------------------- demand
def _pair_tifs(tmp_path):
    # N = [[80, 20], [10, 90]] over 200 cells (20 × 10): P = [[0.8, 0.2], [0.1, 0.9]], S(2010) = [90, 110]
    m1 = np.reshape([1] * 100 + [2] * 100, (20, 10))
    m2 = np.reshape([1] * 80 + [2] * 20 + [1] * 10 + [2] * 90, (20, 10))
    return _tif(tmp_path / "lu_2000.tif", m1), _tif(tmp_path / "lu_2010.tif", m2)


def test_demand_cli_markov(tmp_path, capsys):
    a, b = _pair_tifs(tmp_path)
    out = tmp_path / "d"
    code, o, err = _run(["demand", "--landuse", a, b, "--target", "2015", "--out", str(out)], capsys)
    assert code == 0, err
    df = pd.read_csv(out / "demand.csv", encoding="utf-8-sig")
    # h = 0.5 -> eigen root: [86.189, 113.811] -> [86, 114] (tests/models/test_demand.py)
    assert df.columns.tolist() == ["code", "cells", "area_ha"] and df.cells.tolist() == [86, 114]
    details = json.loads((out / "demand_details.json").read_text(encoding="utf-8"))
    assert details["P"]["values"] == [[0.8, 0.2], [0.1, 0.9]]
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["parameters"]["years"] == [2000, 2010]  # read from the file names
    code, o, err = _run(["demand", "--landuse", a, b, "--years", "2000", "2010", "--target", "2020", "2030",
                         "--out", str(out), "--overwrite"], capsys)
    assert code == 0, err
    df = pd.read_csv(out / "demand.csv", encoding="utf-8-sig")
    assert df.columns.tolist() == ["year", "code", "cells", "area_ha"]
    assert df[df.year == 2030].cells.tolist() == [78, 122]


def test_demand_cli_rules_and_table(tmp_path, capsys):
    a, b = _pair_tifs(tmp_path)
    (tmp_path / "rules.csv").write_text("from,to,change_pct\n1,2,-50\n", encoding="utf-8")
    out = tmp_path / "r"
    code, o, err = _run(["demand", "--landuse", a, b, "--target", "2020", "--rules", str(tmp_path / "rules.csv"),
                         "--out", str(out)], capsys)
    assert code == 0, err
    # P12 = 0.2 × 0.5 = 0.1, P11 = 0.9: [90×0.9 + 110×0.1, 90×0.1 + 110×0.9] = [92, 108]
    assert pd.read_csv(out / "demand.csv", encoding="utf-8-sig").cells.tolist() == [92, 108]
    (tmp_path / "t.csv").write_text("code,cells\n1,120\n2,70\n", encoding="utf-8")
    code, o, err = _run(["demand", "--method", "table", "--table", str(tmp_path / "t.csv"), "--landuse", b,
                         "--out", str(out), "--overwrite"], capsys)
    assert code == 2 and "totals 190 cells but the start map has 200 valid cells" in err
    code, o, err = _run(["demand", "--method", "table", "--table", str(tmp_path / "t.csv"), "--landuse", b,
                         "--rescale", "--fixed", "2", "--out", str(out), "--overwrite"], capsys)
    assert code == 0, err
    assert pd.read_csv(out / "demand.csv", encoding="utf-8-sig").cells.tolist() == [130, 70]
    code, o, err = _run(["demand", "--landuse", a, b, "--target", "2020", "--scenario", "cropland_protection",
                         "--out", str(out), "--overwrite"], capsys)
    assert code == 2 and "class scheme" in err


def test_demand_cli_trend(tmp_path, capsys):
    maps = []
    for y, n1 in ((2000, 10), (2005, 12), (2010, 14)):
        maps += ["--landuse", _tif(tmp_path / f"m{y}.tif", np.reshape([1] * n1 + [2] * (20 - n1), (4, 5)))]
    out = tmp_path / "trend"
    code, o, err = _run(["demand", "--method", "trend", *maps, "--target", "2015", "--out", str(out)], capsys)
    assert code == 0, err
    assert pd.read_csv(out / "demand.csv", encoding="utf-8-sig").cells.tolist() == [16, 4]


def test_wuhan_cli_change_and_validate(shared_data, tmp_path, capsys):
    d = shared_data / "wuhan_plus"
    code, o, err = _run(["change", "--landuse", str(d / "wh2005_refy.tif"), str(d / "wh2010_refy.tif"),
                         "--years", "2005", "2010", "--out", str(tmp_path / "c")], capsys)
    assert code == 0, err
    assert "5,325,855 cells compared" in o
    man = json.loads((tmp_path / "c" / "manifest.json").read_text(encoding="utf-8"))
    assert man["timings_s"]["compute"] < 5  # ~0.25 s measured on an idle core; generous for a busy CI
    code, o, err = _run(["validate", "--landuse", str(d / "wh2005_refy.tif"), "--observed", str(d / "wh2010_refy.tif"),
                         "--simulated", str(d / "wh2005_refy.tif"), "--out", str(tmp_path / "v")], capsys)
    assert code == 0, err
    s = json.loads((tmp_path / "v" / "summary.json").read_text(encoding="utf-8"))
    assert s["simulated"]["fom"] == 0 and s["persistence"]["oa"] == pytest.approx(0.80347, abs=1e-5)
