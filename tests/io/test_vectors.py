"""Zones from GeoPackage / Shapefile (GBK text, .cpg) and their rasterisation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import box

from landcarbon.core.errors import EmptyInputError, InputFileError, InputValidationError
from landcarbon.core.grid import GridSpec
from landcarbon.io import rasterize_zones, read_vector, write_gpkg

NAMES = ["武汉市", "洪山区", "江夏区"]


def _zones(n: int = 3, crs: str = "EPSG:32650") -> gpd.GeoDataFrame:
    # three 300 m x 400 m strips side by side, starting at (500 000, 3 400 000) going south
    geoms = [box(500_000 + 300 * i, 3_399_600, 500_000 + 300 * (i + 1), 3_400_000) for i in range(n)]
    return gpd.GeoDataFrame({"name": (NAMES * n)[:n], "code": list(range(1, n + 1))}, geometry=geoms, crs=crs)


def test_geopackage_round_trip(tmp_path):
    path = write_gpkg(_zones(), tmp_path / "区县.gpkg")
    gdf = read_vector(path)
    assert gdf["name"].tolist() == NAMES
    assert gdf.crs.to_epsg() == 32650
    assert read_vector(path, to_crs="EPSG:4326").crs.to_epsg() == 4326
    assert [p.name for p in tmp_path.iterdir()] == ["区县.gpkg"]


@pytest.mark.parametrize("cpg", ["936", "GBK", None])
def test_shapefile_gbk_text(tmp_path, cpg):
    path = tmp_path / "zones.shp"
    _zones().to_file(path, encoding="GBK", engine="pyogrio")
    raw = path.with_suffix(".dbf").read_bytes()
    assert "洪山区".encode("gbk") in raw  # the attributes really are GBK bytes
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    gdf = read_vector(path)
    assert gdf["name"].tolist() == NAMES


def test_shapefile_utf8_without_cpg_many_records(tmp_path):
    # 200 records: the .dbf header then holds bytes >= 0x80 (record count 0xC8), which must not make
    # UTF-8 text look like GBK
    path = tmp_path / "many.shp"
    gdf = _zones(200)
    gdf.to_file(path, engine="pyogrio")  # UTF-8 by default
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert read_vector(path)["name"].tolist() == gdf["name"].tolist()


def test_explicit_encoding_wins(tmp_path):
    path = tmp_path / "zones.shp"
    _zones().to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")  # a wrong .cpg
    assert read_vector(path, encoding="gbk")["name"].tolist() == NAMES


def test_vector_errors(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_vector(tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(InputFileError, match="bad.gpkg"):
        read_vector(bad)
    path = tmp_path / "nocrs.shp"
    _zones().to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputValidationError, match="no CRS"):
        read_vector(path)


GRID = GridSpec((4, 9), Affine(100, 0, 500_000, 0, -100, 3_400_000), "EPSG:32650")


def test_rasterize_zones_by_hand():
    ids, table = rasterize_zones(_zones(), GRID, "name")
    # each 300 m strip covers three 100 m columns, all four rows
    expect = np.repeat([[1, 1, 1, 2, 2, 2, 3, 3, 3]], 4, axis=0)
    np.testing.assert_array_equal(ids, expect)
    assert ids.dtype == np.int32
    assert table["zone_id"].tolist() == [1, 2, 3] and table["zone"].tolist() == NAMES


def test_rasterize_zones_reprojects_and_leaves_zero_outside():
    gdf = _zones(2).to_crs("EPSG:4326")
    ids, table = rasterize_zones(gdf, GRID, "code")
    assert table["zone"].tolist() == ["1", "2"]
    assert (ids[:, :3] == 1).all() and (ids[:, 3:6] == 2).all() and (ids[:, 6:] == 0).all()


@pytest.mark.parametrize("chunks", [1, 2, 3, 5])
def test_rasterize_zones_dask_equals_numpy(chunks):
    eager, t1 = rasterize_zones(_zones(), GRID, "name")
    lazy, t2 = rasterize_zones(_zones(), GRID, "name", chunks=chunks)
    assert hasattr(lazy, "dask") and lazy.chunksize == (min(chunks, 4), min(chunks, 9))
    np.testing.assert_array_equal(lazy.compute(), eager)
    assert t1.equals(t2)


def test_rasterize_zones_without_field_numbers_features():
    ids, table = rasterize_zones(_zones(), GRID)
    assert table["zone_id"].tolist() == [1, 2, 3]
    assert np.unique(ids).tolist() == [1, 2, 3]


def test_zones_that_do_not_overlap():
    far = gpd.GeoDataFrame({"name": ["远"]}, geometry=[box(600_000, 3_000_000, 601_000, 3_001_000)],
                           crs="EPSG:32650")
    with pytest.raises(EmptyInputError, match="do not overlap"):
        rasterize_zones(far, GRID, "name")
    with pytest.raises(EmptyInputError):
        rasterize_zones(far.iloc[:0], GRID, "name")


def test_unknown_zone_field():
    with pytest.raises(InputValidationError, match="'county'.*name"):
        rasterize_zones(_zones(), GRID, "county")
