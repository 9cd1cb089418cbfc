"""Raster input (any integer dtype, nodata, broken files) and COG output."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from landcarbon.core.errors import InputFileError, InputValidationError
from landcarbon.core.grid import GridSpec, ensure_aligned, grid_of
from landcarbon.io import align_to, read_raster, write_raster

GRID = GridSpec((3, 4), Affine(100, 0, 500_000, 0, -100, 3_400_000), "EPSG:32650")

DTYPES = [("uint8", 255), ("int8", -128), ("int16", -9999), ("uint16", 65535),
          ("int32", -2147483648), ("uint32", 4294967295)]


def _values(dtype: str, nodata: int) -> np.ndarray:
    return np.array([[1, 2, 3, nodata], [4, 5, 6, 7], [nodata, 1, 1, 1]], dtype=dtype)


@pytest.mark.parametrize("dtype,nodata", DTYPES)
def test_read_every_integer_dtype(tmp_path, dtype, nodata):
    arr = _values(dtype, nodata)
    path = write_raster(arr, tmp_path / f"lulc_{dtype}.tif", GRID, nodata=nodata)
    da = read_raster(path, categorical=True)
    assert da.dims == ("y", "x")
    assert da.dtype == np.dtype(dtype)
    assert da.rio.nodata == nodata
    np.testing.assert_array_equal(da.values, arr)  # raw values, nodata not masked
    assert grid_of(da) == GRID
    assert da.name == f"lulc_{dtype}"


def test_two_maps_with_different_dtypes_and_nodata(tmp_path):
    a = write_raster(_values("uint8", 255), tmp_path / "lulc_2010.tif", GRID, nodata=255)
    b = write_raster(_values("int16", -1), tmp_path / "lulc_2020.tif", GRID, nodata=-1)
    da, db = read_raster(a, categorical=True), read_raster(b, categorical=True)
    assert (da.dtype, da.rio.nodata) == (np.uint8, 255)
    assert (db.dtype, db.rio.nodata) == (np.int16, -1)
    assert ensure_aligned(bas=da, alt=db) == GRID
    # valid masks by hand: both maps mark cells (0, 3) and (2, 0) as nodata -> 10 valid cells each
    assert int((da.values != da.rio.nodata).sum()) == 10
    assert int((db.values != db.rio.nodata).sum()) == 10


def test_map_without_nodata(tmp_path):
    path = tmp_path / "no_nodata.tif"
    with rasterio.open(path, "w", driver="GTiff", height=2, width=2, count=1, dtype="uint8",
                       crs="EPSG:32650", transform=GRID.transform) as dst:
        dst.write(np.array([[1, 2], [3, 4]], dtype="uint8"), 1)
    da = read_raster(path, categorical=True)
    assert da.rio.nodata is None


def test_float_raster_refused_as_categorical(tmp_path):
    path = write_raster(np.full((3, 4), 1.5, dtype="float32"), tmp_path / "density.tif", GRID)
    with pytest.raises(InputValidationError) as ei:
        read_raster(path, categorical=True, name="lulc_2020")
    msg = str(ei.value)
    assert "lulc_2020" in msg and "float32" in msg and "integer" in msg
    # as a continuous raster it opens, with NaN as nodata
    da = read_raster(path)
    assert da.dtype == np.float32 and np.isnan(da.rio.nodata)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_raster(tmp_path / "nope.tif")
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"this is not a GeoTIFF at all" * 20)
    with pytest.raises(InputFileError, match="junk.tif"):
        read_raster(junk)
    with pytest.raises(OSError):  # InputFileError is an OSError
        read_raster(junk)


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_tiff(tmp_path, keep):
    # a real GeoTIFF (several 512x512 tiles of noise, so compression cannot shrink it to one tile),
    # cut short as by an interrupted download
    rng = np.random.default_rng(7)
    grid = GridSpec((1100, 1100), Affine(30, 0, 500_000, 0, -30, 3_400_000), "EPSG:32650")
    full = write_raster(rng.integers(1, 7, grid.shape).astype("uint8"), tmp_path / "full.tif", grid, nodata=0)
    data = full.read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputFileError) as ei:
        read_raster(cut, categorical=True)
    assert "cut.tif" in str(ei.value) and "truncated" in str(ei.value)
    # cut inside the header: cannot even be opened
    cut.write_bytes(data[:100])
    with pytest.raises(InputFileError):
        read_raster(cut)


def test_write_raster_is_a_valid_cog(tmp_path):
    rng = np.random.default_rng(1)
    grid = GridSpec((700, 600), Affine(30, 0, 500_000, 0, -30, 3_400_000), "EPSG:32650")
    arr = rng.integers(0, 7, grid.shape).astype("int16")
    path = write_raster(arr, tmp_path / "out.tif", grid, nodata=0)
    with rasterio.open(path) as src:
        assert src.driver == "GTiff"
        assert src.profile["tiled"] is True
        assert src.block_shapes[0] == (512, 512)
        structure = src.tags(ns="IMAGE_STRUCTURE")
        assert structure["LAYOUT"] == "COG"
        assert structure["COMPRESSION"] == "ZSTD"
        assert src.nodata == 0 and src.dtypes[0] == "int16"
        assert src.crs.to_epsg() == 32650 and src.transform == grid.transform
        np.testing.assert_array_equal(src.read(1), arr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]  # no temp or sidecar left


def test_write_raster_from_dask_matches_numpy(tmp_path):
    import dask.array as dsa

    grid = GridSpec((700, 600), Affine(30, 0, 500_000, 0, -30, 3_400_000), "EPSG:32650")
    arr = (np.arange(700 * 600, dtype="float32").reshape(grid.shape) % 97) / 7
    arr[0, 0] = np.nan
    a = write_raster(arr, tmp_path / "np.tif", grid)
    b = write_raster(dsa.from_array(arr, chunks=(256, 200)), tmp_path / "dask.tif", grid)
    ra, rb = read_raster(a), read_raster(b)
    np.testing.assert_array_equal(ra.values, rb.values)
    assert np.isnan(rb.values[0, 0]) and np.isnan(rb.rio.nodata)
    with rasterio.open(b) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask.tif", "np.tif"]


def test_write_raster_failure_leaves_nothing(tmp_path):
    import dask
    import dask.array as dsa

    def boom():
        raise RuntimeError("disk full")

    bad = dsa.from_delayed(dask.delayed(boom)(), shape=GRID.shape, dtype="int16")
    with pytest.raises(RuntimeError, match="disk full"):
        write_raster(bad, tmp_path / "out.tif", GRID, nodata=0)
    assert list(tmp_path.iterdir()) == []


def test_read_raster_lazy_chunks(tmp_path):
    arr = np.arange(12, dtype="int16").reshape(3, 4)
    path = write_raster(arr, tmp_path / "a.tif", GRID, nodata=-1)
    da = read_raster(path, chunks=2)
    assert da.chunks is not None
    np.testing.assert_array_equal(da.values, arr)


def test_align_to_nearest_for_classes(tmp_path):
    # a 2x2 map of 200 m cells resampled onto the 100 m grid: each class fills a 2x2 block
    coarse = GridSpec((2, 2), Affine(200, 0, 500_000, 0, -200, 3_400_000), "EPSG:32650")
    fine = GridSpec((4, 4), Affine(100, 0, 500_000, 0, -100, 3_400_000), "EPSG:32650")
    a = read_raster(write_raster(np.array([[1, 2], [3, 4]], "uint8"), tmp_path / "c.tif", coarse, nodata=0))
    like = read_raster(write_raster(np.zeros((4, 4), "uint8"), tmp_path / "f.tif", fine, nodata=0))
    out = align_to(a, like)
    assert grid_of(out) == fine and out.rio.nodata == 0
    np.testing.assert_array_equal(out.values, np.kron([[1, 2], [3, 4]], np.ones((2, 2), int)))


def test_write_raster_shape_must_match_grid(tmp_path):
    with pytest.raises(InputValidationError, match=r"shape \(4, 3\)"):
        write_raster(np.zeros((4, 3), "uint8"), tmp_path / "x.tif", GRID)
    assert list(tmp_path.iterdir()) == []


def test_real_maps_mixed_dtypes_and_nodata(shared_data):
    # Wuhan (PLUS test data): 2003 is uint8 with nodata 15, 2005 int8 with nodata -128, same 30 m grid;
    # about 5.33 million valid cells of classes 1-7 (README). 2013 is held out and not read here.
    a = read_raster(shared_data / "wuhan_plus" / "wh2003_refy.tif", categorical=True)
    b = read_raster(shared_data / "wuhan_plus" / "wh2005_refy.tif", categorical=True)
    assert (a.dtype, a.rio.nodata, b.dtype, b.rio.nodata) == (np.uint8, 15, np.int8, -128)
    g = ensure_aligned(wh2003=a, wh2005=b)
    assert g.shape == (2931, 2931) and g.res == (30.0, 30.0) and g.crs.to_epsg() == 32649
    for da in (a, b):
        v = da.values
        valid = v != da.rio.nodata
        assert 5.30e6 < valid.sum() < 5.35e6
        assert set(np.unique(v[valid]).tolist()) == {1, 2, 3, 4, 5, 6, 7}
    # uint32 population with nodata 2^31: the nodata value survives as an integer
    pop = read_raster(shared_data / "wuhan_plus" / "wh_Pop.tif", categorical=True)
    assert pop.dtype == np.uint32 and pop.rio.nodata == 2**31
    # InVEST Willamette: int16 nodata 128 vs int8 nodata 0, one grid, same valid cells
    cur = read_raster(shared_data / "invest_willamette" / "lulc_current_willamette.tif", categorical=True)
    fut = read_raster(shared_data / "invest_willamette" / "lulc_future_willamette.tif", categorical=True)
    assert (cur.dtype, cur.rio.nodata, fut.dtype, fut.rio.nodata) == (np.int16, 128, np.int8, 0)
    assert ensure_aligned(current=cur, future=fut).crs.to_epsg() == 26910
    assert int((cur.values != 128).sum()) == int((fut.values != 0).sum()) == 1_641_621
