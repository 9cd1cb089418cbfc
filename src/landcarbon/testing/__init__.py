"""Public test helpers: small georeferenced maps and a guard against eager compute."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import xarray as xr
from affine import Affine


def make_lulc(values, *, cell_size: float = 100.0, nodata: int | None = 0, crs: str = "EPSG:32650",
              chunks: int | None = None, origin: tuple[float, float] = (500_000.0, 3_400_000.0),
              dtype: str | None = None, name: str = "lulc") -> xr.DataArray:
    """A north-up land-use DataArray from nested lists; ``cell_size`` in CRS units (100 m = 1 ha)."""
    import rioxarray  # noqa: F401

    arr = np.asarray(values, dtype=dtype or np.int16)
    rows, cols = arr.shape
    x0, y0 = origin
    if crs.upper() in ("EPSG:4326", "EPSG:4490"):
        transform = Affine(cell_size, 0, x0, 0, -cell_size, y0)
    else:
        transform = Affine(cell_size, 0, x0, 0, -cell_size, y0)
    xs = transform.c + transform.a * (np.arange(cols) + 0.5)
    ys = transform.f + transform.e * (np.arange(rows) + 0.5)
    da = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs}, name=name)
    da = da.rio.write_crs(crs).rio.write_transform(transform)
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    if chunks:
        da = da.chunk({"y": chunks, "x": chunks})
    return da


class _NoCompute:
    def __call__(self, dsk, keys, **kwargs):
        raise RuntimeError("dask computed inside a block that must stay lazy")


@contextmanager
def no_compute():
    """Fail if anything inside the block triggers a dask compute."""
    import dask

    with dask.config.set(scheduler=_NoCompute()):
        yield
