"""Carbon stock workflow: files in, run folder out (methods.md §2); parity on the real Willamette maps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.testing import make_lulc
from landcarbon.workflow.stock import run_stock

sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
import _invest_reference as ir  # noqa: E402

POOLS = pd.DataFrame({"lucode": [1, 2, 3], "C_above": [15, 5, 14], "C_below": [10, 3, 10], "C_soil": [60, 20, 60],
                      "C_dead": [1, 0, 1]})   # totals 86, 28, 85


def _tif(tmp_path: Path, name: str, values, **kw) -> Path:
    da = make_lulc(values, **kw)
    return write_raster(da, tmp_path / name, grid_of(da), nodata=da.rio.nodata, dtype=str(da.dtype))


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        assert src.dtypes[0] == "float32"
        assert np.isnan(src.nodata)
        return src.read(1)


def test_run_writes_maps_tables_and_manifest(tmp_path):
    # 1 ha cells; map A: 1 1 / 2 0, map B: 3 1 / 2 2 (0 = nodata)
    # storage A = 86+86+28 = 200; B = 85+86+28+28 = 227; change (both valid) = (85-86) = -1 Mg C
    # K(43, r=0, c=0) = 43 -> NPV = -43. The -1.0 change is kept (InVEST would drop it as nodata).
    a = _tif(tmp_path, "a_2020.tif", [[1, 1], [2, 0]])
    b = _tif(tmp_path, "b_2030.tif", [[3, 1], [2, 2]])
    out = tmp_path / "run"
    s = run_stock([a, b], pools=POOLS, out=out, price=43, price_unit="CNY/t C")
    assert [m["year"] for m in s["maps"]] == [2020, 2030]           # years read from the file names
    assert [m["total_MgC"] for m in s["maps"]] == pytest.approx([200.0, 227.0])
    ch = s["changes"][0]
    assert (ch["from"], ch["to"]) == (2020, 2030)
    assert ch["change_MgC"] == pytest.approx(-1.0) and ch["npv"] == pytest.approx(-43.0)
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert js["maps"][0]["total_MgC"] == pytest.approx(200.0) and "npv" in js["changes"][0]
    d = _read(out / "c_change_2020_2030.tif")
    assert d[0, 0] == -1.0 and d[0, 1] == 0.0 and np.isnan(d[1, 1])
    assert _read(out / "c_storage_2020.tif")[0, 0] == 86.0
    assert _read(out / "npv_2020_2030.tif")[0, 0] == -43.0
    zc = pd.read_csv(out / "zone_class.csv", encoding="utf-8-sig")
    for col in ("area_ha", "stock_MgC", "stock_tCO2", "change_MgC", "npv_CNY", "price_year"):
        assert col in zc.columns
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len([i for i in man["inputs"] if i["role"] == "landuse" and len(i["sha256"]) == 64]) == 2
    assert man["parameters"]["area_method"].startswith("nominal")
    assert man["parameters"]["valuation_mode"].startswith("invest")
    assert "compute_and_write" in man["timings_s"]
    assert not [f for f in out.iterdir() if f.name.startswith(".")]


def test_three_maps_write_consecutive_and_first_to_last(tmp_path):
    maps = [_tif(tmp_path, f"m{y}.tif", [[v]]) for y, v in ((2000, 1), (2010, 2), (2020, 3))]
    out = tmp_path / "run"
    s = run_stock(maps, years=[2000, 2010, 2020], pools=POOLS, out=out, price=10, price_unit="CNY/t C",
                  discount_rate=5)
    names = {f.name for f in out.iterdir()}
    assert {"c_change_2000_2010.tif", "c_change_2010_2020.tif", "c_change_2000_2020.tif",
            "npv_2000_2020.tif", "c_storage_2010.tif"} <= names
    # 86 -> 28 -> 85: -58, +57, first->last -1
    assert [c["change_MgC"] for c in s["changes"]] == pytest.approx([-58.0, 57.0, -1.0])


def test_zones_table(tmp_path):
    # two zones: west column (A) and east column (B); 1 ha cells, map 2x2 at x 500000..500200
    a = _tif(tmp_path, "a.tif", [[1, 2], [1, 2]])
    b = _tif(tmp_path, "b.tif", [[2, 2], [1, 2]])
    y0 = 3_400_000.0
    zones = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(500_000, y0 - 200, 500_100, y0),
                                                             box(500_100, y0 - 200, 500_200, y0)], crs="EPSG:32650")
    zpath = tmp_path / "zones.gpkg"
    zones.to_file(zpath, driver="GPKG")
    out = tmp_path / "run"
    s = run_stock([a, b], years=[2020, 2050], pools=POOLS, zones=zpath, zone_field="name", out=out, price=10,
                  price_unit="CNY/t C")
    # zone A: 86+86 -> 28+86 (change -58); zone B: 28+28 -> 28+28 (0)
    bz = pd.read_csv(out / "by_zone.csv", encoding="utf-8-sig").set_index(["zone", "year"])
    assert bz.loc[("A", 2020), "stock_MgC"] == pytest.approx(172.0)
    assert bz.loc[("B", 2050), "stock_MgC"] == pytest.approx(56.0)
    cz = pd.read_csv(out / "changes_by_zone.csv", encoding="utf-8-sig").set_index("zone")
    assert cz.loc["A", "change_MgC"] == pytest.approx(-58.0) and cz.loc["A", "npv_CNY"] == pytest.approx(-580.0)
    zc = pd.read_csv(out / "zone_class.csv", encoding="utf-8-sig")
    r = zc[(zc.zone == "A") & (zc.code == 1) & (zc.year == 2050)].iloc[0]
    # class 1 in zone A: 2 ha -> 1 ha: stock 172 -> 86, change -86, npv -860 at price year 2020
    assert (r.area_ha, r.stock_MgC, r.change_MgC, r.npv_CNY, r.price_year) == pytest.approx(
        (1.0, 86.0, -86.0, -860.0, 2020))
    assert s["maps"][0]["area_outside_zones_ha"] == 0.0


def test_align_on_request(tmp_path):
    a = _tif(tmp_path, "a.tif", [[1, 1], [2, 2]])
    b = _tif(tmp_path, "b.tif", [[1, 1], [2, 2]], origin=(500_000.0, 3_400_050.0))   # shifted half a cell
    out = tmp_path / "run"
    s = run_stock([a, b], years=[2020, 2030], pools=POOLS, out=out, align=True, write_maps=False)
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["parameters"]["aligned"] is True and any("nearest" in n for n in man["notes"])
    assert s["maps"][0]["total_MgC"] == pytest.approx(86 * 2 + 28 * 2)


def test_geographic_map(tmp_path):
    # WGS 84 cell 30.00-30.05 N × 0.05° = 2 673.27 ha (methods §1.3); InVEST refuses such input
    a = _tif(tmp_path, "g.tif", [[1]], cell_size=0.05, crs="EPSG:4326", origin=(110.0, 30.05))
    s = run_stock([a], pools=POOLS, out=tmp_path / "run")
    assert s["maps"][0]["total_MgC"] == pytest.approx(86 * 2673.27456, rel=1e-6)
    assert "ellipsoidal" in s["parameters"]["area_method"]


def test_monte_carlo_seeded(tmp_path):
    a = _tif(tmp_path, "a.tif", [[1, 2], [3, 3]])
    pools = POOLS.assign(cv=[0.2, 0.3, 0.1])
    s1 = run_stock([a], pools=pools, out=tmp_path / "r1", mc_draws=200, seed=42, write_maps=False)
    s2 = run_stock([a], pools=pools, out=tmp_path / "r2", mc_draws=200, seed=42, write_maps=False)
    assert s1["monte_carlo"] == s2["monte_carlo"]
    t = s1["monte_carlo"]["maps"][0]["total_MgC"]
    assert t["p5"] < 86 + 28 + 85 * 2 < t["p95"]
    man = json.loads((tmp_path / "r1" / "manifest.json").read_text(encoding="utf-8"))
    assert man["seeds"]["monte_carlo"] == 42


def test_dataarray_inputs(tmp_path):
    a = make_lulc([[1, 2]])
    b = make_lulc([[2, 2]])
    s = run_stock([a, b], years=[2020, 2030], pools=POOLS, out=tmp_path / "run", write_maps=False)
    assert s["changes"][0]["change_MgC"] == pytest.approx(-58.0)


def test_distributed_equals_local(tmp_path):
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(0)
    # 600 x 700 map of blocky patches, three windows of 512 in each direction edge included
    base = rng.integers(1, 4, size=(12, 14)).repeat(50, axis=0).repeat(50, axis=1).astype("int16")
    alt = base.copy()
    alt[100:300, 200:500] = 2
    alt[0:5, :] = 0                                   # nodata strip in the later map
    a = _tif(tmp_path, "a.tif", base, cell_size=30)
    b = _tif(tmp_path, "b.tif", alt, cell_size=30)
    kw = dict(years=[2020, 2050], pools=POOLS, price=43, price_unit="CNY/t C", discount_rate=7, price_change=3)
    local = run_stock([a, b], out=tmp_path / "local", **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        dist = run_stock([a, b], out=tmp_path / "dist", scheduler=cluster.scheduler_address, **kw)
    for k in ("total_MgC", "area_valid_ha"):
        assert [m[k] for m in local["maps"]] == [m[k] for m in dist["maps"]]
    assert local["changes"][0]["change_MgC"] == dist["changes"][0]["change_MgC"]
    assert local["changes"][0]["npv"] == dist["changes"][0]["npv"]
    np.testing.assert_array_equal(_read(tmp_path / "local" / "npv_2020_2050.tif"),
                                  _read(tmp_path / "dist" / "npv_2020_2050.tif"))


@pytest.mark.realdata
def test_willamette_parity_with_invest_reimplementation(shared_data, tmp_path):
    d = shared_data / "invest_willamette"
    cur, fut = d / "lulc_current_willamette.tif", d / "lulc_future_willamette.tif"
    out = tmp_path / "run"
    s = run_stock([cur, fut], years=[2020, 2050], pools=d / "carbon_pools_willamette.csv", out=out, price=43,
                  price_unit="CNY/t C", discount_rate=7, price_change=0, window=256)
    df = pd.read_csv(d / "carbon_pools_willamette.csv").rename(columns=str.lower)
    tbl = {p: dict(zip(df.lucode, df[p])) for p in ir.POOLS}
    with rasterio.open(cur) as src:
        a, nda, px = src.read(1), src.nodata, abs(src.res[0] * src.res[1])
    with rasterio.open(fut) as src:
        b, ndb = src.read(1), src.nodata
    assert a.dtype != b.dtype and nda != ndb                       # int16/128 and int8/0
    sa, sb = ir.storage(a, nda, tbl), ir.storage(b, ndb, tbl)
    dd = ir.change(sa, sb)
    nv = ir.npv(dd, ir.valuation_constant(2020, 2050, 7, 0, 43))
    assert s["maps"][0]["total_MgC"] == pytest.approx(ir.total(sa, -1, px), rel=1e-9)
    assert s["maps"][1]["total_MgC"] == pytest.approx(ir.total(sb, -1, px), rel=1e-9)
    assert s["changes"][0]["change_MgC"] == pytest.approx(ir.total(dd, -1, px), rel=1e-9)
    assert s["changes"][0]["npv"] == pytest.approx(ir.total(nv, np.finfo(np.float32).max, px), rel=1e-6)
    # the written density maps equal InVEST's float32 rasters (NaN where InVEST has its nodata)
    for name, ref, nd in (("c_storage_2020.tif", sa, -1), ("c_storage_2050.tif", sb, -1),
                          ("c_change_2020_2050.tif", dd, -1), ("npv_2020_2050.tif", nv, np.finfo(np.float32).max)):
        ours = _read(out / name)
        np.testing.assert_array_equal(np.where(np.isnan(ours), np.float32(nd), ours), ref, err_msg=name)


def test_zone_raster_and_modified_dataarray(tmp_path):
    # a DataArray read from a file and then changed must be used as given, not re-read from its file
    from landcarbon.io import read_raster

    path = _tif(tmp_path, "a.tif", [[1, 1], [2, 2]])
    da = read_raster(path)
    changed = da.copy(data=np.array([[2, 2], [2, 2]], dtype=da.dtype))
    zones = make_lulc([[5, 9], [5, 9]], nodata=None, dtype="int32", name="zones")
    s = run_stock([changed], pools=POOLS, zones=zones, out=tmp_path / "run", write_maps=False)
    assert s["maps"][0]["total_MgC"] == pytest.approx(4 * 28.0)
    bz = pd.read_csv(tmp_path / "run" / "by_zone.csv", encoding="utf-8-sig")
    assert bz.zone.astype(str).tolist() == ["5", "9"] and bz.stock_MgC.tolist() == pytest.approx([56.0, 56.0])
