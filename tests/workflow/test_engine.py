"""The windowed engine (landcarbon.workflow.engine) and its users: order, halo, progress, sources, the
zonal pass of emissions, and a corrupt block in the middle of a map through `stock`."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from landcarbon.core.classes import get_scheme
from landcarbon.core.errors import InputFileError
from landcarbon.core.grid import grid_of
from landcarbon.io import read_raster, write_raster
from landcarbon.io.windows import AlignedRasters, RasterWindowReader, plan_windows
from landcarbon.models import emissions as _em
from landcarbon.testing import make_lulc
from landcarbon.workflow import engine
from landcarbon.workflow.emissions import zonal_areas
from landcarbon.workflow.stock import run_stock

sys.path.insert(0, str(Path(__file__).parents[1] / "io"))
from test_windows import _corrupt_block, _tiled  # noqa: E402

POOLS = pd.DataFrame({"lucode": [1, 2, 3], "c_above": [15, 5, 14], "c_below": [10, 3, 10], "c_soil": [60, 20, 60],
                      "c_dead": [1, 0, 1]})


@pytest.mark.parametrize("threads", [1, 3])
def test_results_come_in_window_order_with_progress(threads):
    arr = np.arange(37 * 23, dtype=np.int64).reshape(37, 23)
    calls = []
    ws = plan_windows(arr.shape, 8)
    got = list(engine.map_windows(lambda b: (b.window.index, int(b["a"].sum())), ws, sources={"a": arr},
                                  threads=threads, progress=lambda d, t: calls.append((d, t))))
    assert [w.index for w, _ in got] == list(range(len(ws)))
    assert [r[0] for _, r in got] == list(range(len(ws)))
    assert sum(r[1] for _, r in got) == int(arr.sum())
    assert calls == [(i + 1, len(ws)) for i in range(len(ws))]
    total = engine.run_windows(lambda b: float(b["a"].sum()), ws, sources={"a": arr}, reduce=lambda x, y: x + y,
                               threads=threads)
    assert total == float(arr.sum())


def test_halo_reads_the_neighbours_and_clips_at_edges():
    arr = np.arange(20 * 20).reshape(20, 20)

    def kernel(b):
        core = b.core("a")
        assert np.array_equal(core, arr[b.window.slices])
        o = b.outer["a"]
        assert np.array_equal(b["a"], arr[o.slices])
        return (o.h, o.w)

    out = dict((w.index, r) for w, r in engine.map_windows(kernel, plan_windows(arr.shape, 10), sources={"a": arr},
                                                           halo={"a": 2}, threads=2))
    assert out == {0: (12, 12), 1: (12, 12), 2: (12, 12), 3: (12, 12)}


def test_kernel_error_propagates():
    def kernel(b):
        if b.window.index == 2:
            raise ValueError("bad window")
        return 1

    with pytest.raises(ValueError, match="bad window"):
        engine.run_windows(kernel, plan_windows((30, 30), 10), shape=(30, 30), reduce=lambda x, y: x + y,
                           threads=2)


def test_sources_dask_function_and_lazy_file(tmp_path):
    da = make_lulc(np.arange(1, 65, dtype="int16").reshape(8, 8) % 5 + 1, nodata=0)
    p = write_raster(da, tmp_path / "a.tif", grid_of(da), nodata=0, dtype="int16")
    lazy = read_raster(p, chunks=None)                              # values still in the file
    assert isinstance(engine.as_source(lazy), RasterWindowReader)
    changed = lazy.copy(data=np.full((8, 8), 3, "int16"))            # in memory: used as given
    assert isinstance(engine.as_source(changed), engine.ArraySource)
    dsk = da.chunk({"y": 3, "x": 3})
    zones = engine.FunctionSource(lambda w: np.full(w.shape, w.index), (8, 8), np.int64)
    res = engine.run_windows(lambda b: int(b["f"].sum() + b["d"].sum() + b["c"].sum() + b["z"].sum()),
                             plan_windows((8, 8), 4), sources={"f": lazy, "d": dsk, "c": changed, "z": zones},
                             reduce=lambda x, y: x + y, threads=2)
    assert res == 2 * int(da.values.sum()) + 3 * 64 + 16 * (0 + 1 + 2 + 3)
    with AlignedRasters({"a": p, "b": p}) as ar:                     # several aligned files as the sources
        both = engine.run_windows(lambda b: int(b["a"].sum() - b["b"].sum()) + 1, ar.windows(3), sources=ar,
                                  reduce=lambda x, y: x + y, threads=2)
    assert both == 9                                                 # 3 x 3 windows of an 8 x 8 grid


@pytest.mark.parametrize("dtype,geographic", [("int16", False), ("int32", True)])
def test_zonal_areas_equal_the_in_memory_model(tmp_path, dtype, geographic):
    # national6 codes 1..6 with nodata 0 and a zone layer of 3 zones plus cells outside every zone
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 7, size=(90, 70)).astype(dtype)
    kw = dict(cell_size=0.01, crs="EPSG:4326", origin=(110.0, 31.0)) if geographic else dict(cell_size=30)
    da = make_lulc(arr, nodata=0, dtype=dtype, **kw)
    p = write_raster(da, tmp_path / "lu.tif", grid_of(da), nodata=0, dtype=dtype)
    z = np.zeros(arr.shape, np.int32)
    z[:40, :30], z[40:, :50], z[:40, 40:] = 1, 2, 3
    sch = get_scheme("national6")
    ref = _em.landuse_areas(read_raster(p, chunks=None), sch, zones=z, zone_names=["a", "b", "c"])
    with RasterWindowReader(p) as r:
        got = zonal_areas(r, sch, zones=z, zone_names=["a", "b", "c"], window=32, threads=2)
    pd.testing.assert_frame_equal(got.areas, ref.areas, rtol=1e-12)
    pd.testing.assert_frame_equal(got.by_class, ref.by_class, rtol=1e-12)
    assert got.excluded_cells == pytest.approx(ref.excluded_cells)


def test_stock_names_a_corrupt_block_in_the_middle_of_a_map(tmp_path):
    rng = np.random.default_rng(1)
    a = _tiled(tmp_path / "a_2020.tif", rng.integers(1, 4, (1024, 1024)).astype("int16"))
    b = _tiled(tmp_path / "b_2030.tif", rng.integers(1, 4, (1024, 1024)).astype("int16"))
    _corrupt_block(b, 1, 2)                      # header, first and last block intact: only the pass finds it
    with rasterio.open(b) as src:                 # the map still opens
        assert src.shape == (1024, 1024)
    out = tmp_path / "run"
    with pytest.raises(InputFileError) as ei:
        run_stock([a, b], pools=POOLS, out=out, price=10, price_unit="CNY/t C", threads=2)
    msg = str(ei.value)
    assert "b_2030.tif" in msg and "block row 1, column 2" in msg and "re-download" in msg
    assert not out.exists()
