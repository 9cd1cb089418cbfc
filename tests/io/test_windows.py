"""Window reading of aligned rasters (landcarbon.io.windows): windows, block alignment, corrupt blocks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import rasterio
from affine import Affine

from landcarbon.core.errors import GridMismatchError, InputFileError
from landcarbon.io.windows import AlignedRasters, RasterWindowReader, Window, plan_windows, window_size


def _tiled(path, arr, *, block=256, compress="ZSTD", origin=(500_000.0, 3_400_000.0), nodata=0):
    prof = dict(driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1, dtype=str(arr.dtype),
                crs="EPSG:32650", transform=Affine(30, 0, origin[0], 0, -30, origin[1]), tiled=True,
                blockxsize=block, blockysize=block, compress=compress, nodata=nodata)
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(arr, 1)
    return path


def _corrupt_block(path, row, col):
    """Overwrite the compressed bytes of one tile (block row ``row``, column ``col``) with junk."""
    with rasterio.open(path) as src:
        off = int(src.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=1))
        size = int(src.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=1))
    data = bytearray(path.read_bytes())
    data[off:off + size] = b"\xa5" * size
    path.write_bytes(bytes(data))


def test_plan_windows_cover_the_grid_in_raster_order():
    ws = plan_windows((10, 7), 4)
    assert [(w.row, w.col, w.r0, w.c0, w.h, w.w) for w in ws] == [
        (0, 0, 0, 0, 4, 4), (0, 1, 0, 4, 4, 3), (1, 0, 4, 0, 4, 4), (1, 1, 4, 4, 4, 3),
        (2, 0, 8, 0, 2, 4), (2, 1, 8, 4, 2, 3)]
    assert [w.index for w in ws] == list(range(6))
    assert sum(w.h * w.w for w in ws) == 70
    assert [(w.h, w.w) for w in plan_windows((10, 7), (10, 7))] == [(10, 7)]


def test_window_halo_is_clipped_at_the_edges():
    w = Window(0, 0, 0, 0, 4, 4, 3)
    o = w.expand(1, (10, 7))
    assert (o.r0, o.c0, o.h, o.w) == (0, 3, 5, 4)          # top edge clipped, right edge at column 7
    arr = np.arange(70).reshape(10, 7)
    assert np.array_equal(arr[o.slices][w.inside(o)], arr[w.slices])


def test_window_size_follows_the_tiles():
    assert window_size([(256, 256), (512, 512)]) == 512
    assert window_size([(1024, 1024)]) == 1024
    assert window_size([(1, 8000)]) == 512                    # strips do not change it
    assert window_size([(600, 600)], default=512) == 1024     # one window per tile, a multiple of 512


def test_reader_reads_windows_and_pickles(tmp_path):
    arr = (np.arange(600 * 500) % 7 + 1).astype("int16").reshape(600, 500)
    p = _tiled(tmp_path / "a.tif", arr)
    r = RasterWindowReader(p)
    assert (r.shape, r.dtype, r.nodata, r.block_shape) == ((600, 500), np.dtype("int16"), 0, (256, 256))
    assert np.array_equal(r.read(100, 200, 300, 250), arr[100:400, 200:450])
    out = np.empty((256, 256), "int16")
    assert r.read_window(Window(0, 0, 0, 256, 0, 256, 256), out=out) is out
    r2 = pickle.loads(pickle.dumps(r))
    assert np.array_equal(r2.read(0, 0, 5, 5), arr[:5, :5])
    da = r.dataarray(Window(0, 0, 0, 10, 20, 3, 4))
    assert da.shape == (3, 4) and da.rio.nodata == 0 and float(da.x[0]) == 500_000 + 30 * 20.5
    r.close()
    r2.close()


def test_aligned_rasters_refuse_another_grid(tmp_path):
    a = _tiled(tmp_path / "a.tif", np.ones((64, 64), "uint8"))
    b = _tiled(tmp_path / "b.tif", np.ones((64, 64), "uint8"), origin=(500_030.0, 3_400_000.0))
    with AlignedRasters({"a": a, "a2": a}) as ar:
        assert ar.window_size() == 512
        got = ar.read(ar.windows(32)[3], halo=2)
        assert got["a"].shape == (34, 34) and set(ar) == {"a", "a2"} and len(ar) == 2
    with pytest.raises(GridMismatchError):
        AlignedRasters([a, b])


def test_missing_file_and_not_a_raster(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        RasterWindowReader(tmp_path / "none.tif")
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff" * 50)
    with pytest.raises(InputFileError, match="junk.tif"):
        RasterWindowReader(junk)


@pytest.mark.parametrize("compress", ["ZSTD", "DEFLATE", "LZW"])
def test_corrupt_block_in_the_middle_names_file_block_and_fix(tmp_path, compress):
    # 1024 x 1024 cells in 256 x 256 tiles: damage block row 2, column 1 (cells from row 512, column 256);
    # the header and the first and last blocks stay intact, so only reading that block can find it
    rng = np.random.default_rng(0)
    p = _tiled(tmp_path / "middle.tif", rng.integers(1, 9, (1024, 1024)).astype("int16"), compress=compress)
    _corrupt_block(p, 2, 1)
    r = RasterWindowReader(p)
    assert r.read(0, 0, 256, 256).shape == (256, 256)          # intact blocks still read
    assert r.read(768, 768, 256, 256).shape == (256, 256)
    with pytest.raises(InputFileError) as ei:
        r.read(512, 0, 512, 512)                                # a window of 2 x 2 blocks holding the bad one
    msg = str(ei.value)
    assert str(p) in msg
    assert "block row 2, column 1" in msg and "row 512, column 256" in msg
    assert "the window at row 512, column 0" in msg
    assert "re-export" in msg and "re-download" in msg
    assert isinstance(ei.value, OSError)
    r.close()
