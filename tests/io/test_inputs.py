"""io.inputs: one loader per input kind (schemes, zones as vector or raster, control lines)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from landcarbon.core.classes import NATIONAL6
from landcarbon.core.errors import GridMismatchError, InputFileError, InputValidationError
from landcarbon.core.grid import grid_of
from landcarbon.io import write_raster
from landcarbon.io.inputs import check_vector, load_lines, load_scheme, load_zones
from landcarbon.testing import make_lulc

# a 4 x 6 grid of 100 m cells from (500 000, 3 400 000): three zones of 2 columns each, west to east
LU = np.ones((4, 6), np.int16)
NAMES = ["江岸区", "洪山区", "江夏区"]


def _zones_gdf(crs: str = "EPSG:32650") -> gpd.GeoDataFrame:
    geoms = [box(500_000 + 200 * i, 3_399_600, 500_000 + 200 * (i + 1), 3_400_000) for i in range(3)]
    g = gpd.GeoDataFrame({"name": NAMES, "code": [420102, 420111, 420115]}, geometry=geoms, crs="EPSG:32650")
    return g.to_crs(crs)


def _expected() -> np.ndarray:
    return np.repeat(np.array([[1, 1, 2, 2, 3, 3]], np.int32), 4, axis=0)


@pytest.mark.parametrize("chunks", [None, 2])
def test_vector_and_raster_zones_give_the_same_raster(tmp_path, chunks):
    lu = make_lulc(LU, chunks=chunks)
    _zones_gdf("EPSG:4326").to_file(tmp_path / "zones.gpkg")  # another CRS: reprojected
    zv, names_v = load_zones(tmp_path / "zones.gpkg", field="name", like=lu)
    assert names_v == NAMES
    # the same zones as a raster of (non-contiguous) county codes, nodata 0
    codes = np.array([0, 420102, 420111, 420115], np.int32)[_expected()]
    zp = write_raster(codes, tmp_path / "zones.tif", grid_of(lu), nodata=0, dtype="int32")
    zr, names_r = load_zones(zp, like=lu)
    assert names_r == ["420102", "420111", "420115"] and zr.attrs["zone_ids"] == [420102, 420111, 420115]
    np.testing.assert_array_equal(np.asarray(zv.values), _expected())
    np.testing.assert_array_equal(np.asarray(zr.values), np.asarray(zv.values))
    assert grid_of(zr) == grid_of(zv) == grid_of(lu)
    assert (chunks is None) == (not hasattr(zv.data, "dask"))


def test_zones_shapefile_gbk_and_errors_name_the_key(tmp_path):
    lu = make_lulc(LU)
    shp = tmp_path / "zones.shp"
    _zones_gdf().to_file(shp, encoding="GBK", engine="pyogrio")
    shp.with_suffix(".cpg").write_text("936", encoding="ascii")
    z, names = load_zones(shp, field="name", like=lu)
    assert names == NAMES
    with pytest.raises(InputValidationError) as ei:
        load_zones(shp, field="nmae", like=lu)
    assert ei.value.issues[0].key == "zone_field" and "did you mean 'name'" in str(ei.value)
    assert "--" not in str(ei.value)
    with pytest.raises(InputValidationError) as ei:
        load_zones(None, field="name", like=lu)
    assert ei.value.issues[0].key == "zone_field"
    with pytest.raises(InputFileError, match="zones: .*does not exist"):
        load_zones(tmp_path / "nope.gpkg", like=lu)
    other = make_lulc(np.ones((3, 3), np.int32), cell_size=30)
    zp = write_raster(other.values, tmp_path / "other.tif", grid_of(other), nodata=0, dtype="int32")
    with pytest.raises(GridMismatchError, match="zones grid"):
        load_zones(zp, like=lu)
    with pytest.raises(InputValidationError) as ei:
        load_zones(zp, field="name", like=lu)
    assert ei.value.issues[0].key == "zone_field"


def test_lines_vector_and_raster(tmp_path):
    lu = make_lulc(LU)
    g = _zones_gdf()
    g.iloc[[0]].to_crs("EPSG:4326").to_file(tmp_path / "red.gpkg")
    ub = make_lulc((_expected() == 3).astype(np.uint8), nodata=None, dtype="uint8")
    up = write_raster(ub.values, tmp_path / "ub.tif", grid_of(ub), dtype="uint8")
    m = load_lines({"eco_redline": tmp_path / "red.gpkg", "urban_boundary": up, "other": ub}, like=lu)
    assert set(m) == {"eco_redline", "urban_boundary", "other"}
    assert all(v.dtype == bool and grid_of(v) == grid_of(lu) for v in m.values())
    np.testing.assert_array_equal(m["eco_redline"].values, _expected() == 1)
    np.testing.assert_array_equal(m["urban_boundary"].values, _expected() == 3)
    np.testing.assert_array_equal(m["other"].values, _expected() == 3)


def test_scheme_names_files_and_typos(tmp_path):
    assert load_scheme("national6") is NATIONAL6 and load_scheme("CLCD").name == "clcd"
    assert load_scheme(None, default="national6") is NATIONAL6
    assert load_scheme(NATIONAL6) is NATIONAL6
    (tmp_path / "s.csv").write_text("code,group\n1,耕地\n2,forest\n", encoding="utf-8")
    assert load_scheme(tmp_path / "s.csv").codes == [1, 2]
    assert load_scheme("s.csv", base=tmp_path).codes == [1, 2]
    with pytest.raises(InputValidationError) as ei:
        load_scheme("nationl6")
    assert ei.value.issues[0].key == "scheme" and "did you mean 'national6'" in str(ei.value)
    assert "globeland30" in str(ei.value)
    with pytest.raises(InputValidationError, match="scheme: no class scheme"):
        load_scheme(None)
    with pytest.raises(InputFileError, match="scheme: .*does not exist"):
        load_scheme(tmp_path / "missing.csv")


def test_check_vector_problems(tmp_path):
    assert "does not exist" in check_vector(tmp_path / "none.gpkg")[0]
    (tmp_path / "junk.gpkg").write_bytes(b"not a geopackage")
    assert "cannot be read" in check_vector(tmp_path / "junk.gpkg")[0]
    p = tmp_path / "z.gpkg"
    _zones_gdf().to_file(p, layer="districts")
    assert check_vector(p) == [] and check_vector(p, field="name", layer="districts") == []
    (msg,) = check_vector(p, layer="district")
    assert "'districts'" in msg and "did you mean 'districts'" in msg
    (msg,) = check_vector(p, field="Name")
    assert "['name', 'code']" in msg and "did you mean 'name'" in msg
    nocrs = tmp_path / "nocrs.shp"
    _zones_gdf().to_file(nocrs)
    nocrs.with_suffix(".prj").unlink()
    assert any("no CRS" in m for m in check_vector(nocrs))
