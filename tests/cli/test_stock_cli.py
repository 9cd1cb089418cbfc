"""``landcarbon stock`` from the command line: the scripted form, and every bad input -> exit 2,
one line on stderr, nothing left in --out."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from landcarbon.cli.main import main
from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.testing import make_lulc

POOLS_CSV = "lucode,LULC_Name,C_above,C_below,C_soil,C_dead\n1,forest,15,10,60,1\n2,built,5,3,20,0\n"


def _tif(tmp_path: Path, name: str, values, **kw) -> Path:
    da = make_lulc(values, **kw)
    return write_raster(da, tmp_path / name, grid_of(da), nodata=da.rio.nodata, dtype=str(da.dtype))


@pytest.fixture()
def files(tmp_path):
    a = _tif(tmp_path, "a.tif", [[1, 1], [2, 0]])
    b = _tif(tmp_path, "b.tif", [[2, 1], [2, 2]])
    pools = tmp_path / "pools.csv"
    pools.write_text(POOLS_CSV, encoding="utf-8")
    return tmp_path, a, b, pools


def _run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_scripted_form(files, capsys):
    tmp, a, b, pools = files
    out = tmp / "out"
    code, stdout, err = _run(["stock", "--landuse", str(a), "--landuse", str(b), "--years", "2020", "2050",
                              "--pools", str(pools), "--price", "43", "--price-unit", "CNY/t C", "--discount-rate", "7",
                              "--price-change", "0", "--out", str(out)], capsys)
    assert code == 0, err
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # A: 86+86+28 = 200, B: 28+86+28+28 = 170; change (both valid) = 28-86 = -58
    assert [m["year"] for m in s["maps"]] == [2020, 2050]
    assert s["maps"][0]["total_MgC"] == pytest.approx(200.0)
    assert s["changes"][0]["from"] == 2020 and s["changes"][0]["to"] == 2050
    assert s["changes"][0]["change_MgC"] == pytest.approx(-58.0)
    assert s["changes"][0]["npv"] is not None
    for f in ("c_storage_2020.tif", "c_storage_2050.tif", "c_change_2020_2050.tif", "npv_2020_2050.tif",
              "zone_class.csv", "manifest.json"):
        assert (out / f).exists(), f
    assert "2020: 200.00 Mg C" in stdout


def test_no_maps_and_pool_maps(files, capsys):
    tmp, a, b, pools = files
    code, _, err = _run(["stock", "--landuse", str(a), "--landuse", str(b), "--years", "2020", "2050",
                         "--pools", str(pools), "--no-maps", "--out", str(tmp / "o1")], capsys)
    assert code == 0, err
    assert not list((tmp / "o1").glob("*.tif"))
    code, _, err = _run(["stock", "--landuse", str(a), "--pools", str(pools), "--pool-maps",
                         "--out", str(tmp / "o2")], capsys)
    assert code == 0, err
    assert (tmp / "o2" / "intermediate" / "c_soil_a.tif").exists()


def _bad(argv, capsys, out, match):
    code, _, err = _run(argv, capsys)
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert match in lines[0], lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_maps_on_different_grids(files, capsys):
    tmp, a, _, pools = files
    c = _tif(tmp, "c.tif", [[1, 1], [2, 2]], origin=(500_050.0, 3_400_000.0))
    out = tmp / "out"
    _bad(["stock", "--landuse", str(a), "--landuse", str(c), "--pools", str(pools), "--out", str(out)],
         capsys, out, "differs from")
    code, _, err = _run(["stock", "--landuse", str(a), "--landuse", str(c), "--pools", str(pools), "--align",
                         "--out", str(out)], capsys)
    assert code == 0, err
    assert any("nearest" in n for n in json.loads((out / "manifest.json").read_text())["notes"])


def test_missing_classes_are_listed(files, capsys):
    tmp, a, _, pools = files
    c = _tif(tmp, "c.tif", [[1, 7], [9, 2]])
    out = tmp / "out"
    _bad(["stock", "--landuse", str(a), "--landuse", str(c), "--pools", str(pools), "--out", str(out)],
         capsys, out, "7, 9")


@pytest.mark.parametrize("csv,match", [
    ("lucode,c_above,c_below,c_soil,c_dead\n1,15,-10,60,1\n2,5,3,20,0\n", "negative"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,15,,60,1\n2,5,3,20,0\n", "empty"),
    ("lucode,c_above,c_below,c_soil,c_dead\n0,1,1,1,1\n1,15,10,60,1\n2,5,3,20,0\n", "nodata"),
    ("lucode,c_above,c_below,c_soil,c_dead\n1,1500,1000,6000,100\n2,500,300,2000,0\n", "another unit"),
])
def test_bad_pools(files, capsys, csv, match):
    tmp, a, _, _ = files
    p = tmp / "bad.csv"
    p.write_text(csv, encoding="utf-8")
    out = tmp / "out"
    _bad(["stock", "--landuse", str(a), "--pools", str(p), "--out", str(out)], capsys, out, match)


def test_pools_units_option(files, capsys):
    tmp, a, _, _ = files
    p = tmp / "g.csv"      # g C/m²: 8600 g C/m² = 86 Mg C/ha
    p.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,1500,1000,6000,100\n2,500,300,2000,0\n", encoding="utf-8")
    out = tmp / "out"
    code, _, err = _run(["stock", "--landuse", str(a), "--pools", str(p), "--pools-units", "g C/m2",
                         "--out", str(out)], capsys)
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["maps"][0]["total_MgC"] == pytest.approx(200.0)


def test_non_integer_map(files, capsys):
    tmp, _, _, pools = files
    f = _tif(tmp, "f.tif", [[1.0, 2.5]], dtype="float32", nodata=None)
    out = tmp / "out"
    _bad(["stock", "--landuse", str(f), "--pools", str(pools), "--out", str(out)], capsys, out, "integer")


def test_corrupt_and_truncated_tiff(files, capsys):
    tmp, a, _, pools = files
    big = _tif(tmp, "big.tif", np.tile(np.array([[1, 2], [2, 1]], dtype="int16"), (300, 300)))
    data = big.read_bytes()
    trunc = tmp / "trunc.tif"
    trunc.write_bytes(data[: len(data) // 2])
    out = tmp / "out"
    _bad(["stock", "--landuse", str(trunc), "--pools", str(pools), "--out", str(out)], capsys, out, "trunc")
    junk = tmp / "junk.tif"
    junk.write_bytes(b"this is not a tiff" * 10)
    _bad(["stock", "--landuse", str(junk), "--pools", str(pools), "--out", str(out)], capsys, out, "junk.tif")


def test_zones_do_not_overlap(files, capsys):
    tmp, a, _, pools = files
    z = gpd.GeoDataFrame({"name": ["far"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:32650")
    zp = tmp / "z.gpkg"
    z.to_file(zp, driver="GPKG")
    out = tmp / "out"
    _bad(["stock", "--landuse", str(a), "--pools", str(pools), "--zones", str(zp), "--zone-field", "name",
          "--out", str(out)], capsys, out, "do not overlap")


def test_empty_map(files, capsys):
    tmp, _, _, pools = files
    e = _tif(tmp, "e.tif", [[0, 0], [0, 0]])
    out = tmp / "out"
    _bad(["stock", "--landuse", str(e), "--pools", str(pools), "--out", str(out)], capsys, out, "no valid cell")


def test_wrong_number_of_years(files, capsys):
    tmp, a, b, pools = files
    out = tmp / "out"
    _bad(["stock", "--landuse", str(a), "--landuse", str(b), "--years", "2020", "--pools", str(pools),
          "--out", str(out)], capsys, out, "one year per")


def test_pools_table_from_csv_with_zone_column(files, capsys):
    tmp, a, b, _ = files
    z = gpd.GeoDataFrame({"name": ["W", "E"]}, geometry=[box(500_000, 3_399_800, 500_100, 3_400_000),
                                                         box(500_100, 3_399_800, 500_200, 3_400_000)], crs="EPSG:32650")
    zp = tmp / "z.gpkg"
    z.to_file(zp, driver="GPKG")
    p = tmp / "zp.csv"
    # zone W forest denser (100); default rows elsewhere
    p.write_text("lucode,zone,c_above,c_below,c_soil,c_dead\n1,W,100,0,0,0\n1,,15,10,60,1\n2,,5,3,20,0\n",
                 encoding="utf-8")
    out = tmp / "out"
    code, _, err = _run(["stock", "--landuse", str(a), "--pools", str(p), "--zones", str(zp), "--zone-field", "name",
                         "--out", str(out)], capsys)
    assert code == 0, err
    # map a: 1 1 / 2 0 -> W: 100 (1) + 28 (2) ; E: 86 (1) -> 214
    s = json.loads((out / "summary.json").read_text())
    assert s["maps"][0]["total_MgC"] == pytest.approx(214.0)
    zc = pd.read_csv(out / "zone_class.csv", encoding="utf-8-sig")
    assert set(zc.density_source) == {"zone", "default"}
