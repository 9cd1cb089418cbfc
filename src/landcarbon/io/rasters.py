"""Rasters: land-use GeoTIFFs of any integer dtype and nodata in; Cloud-Optimized GeoTIFF out."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil  # noqa: F401  (submodule: rasterio.shutil.copy is not loaded by `import rasterio`)
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.windows import Window

from ..core.errors import InputFileError, InputValidationError
from ..core.grid import GridSpec, grid_of
from .atomic import atomic_path

#: maps with more cells than this are opened as dask arrays by default
AUTO_CHUNK_CELLS = 40_000_000
DEFAULT_CHUNK = 4096


def _check_readable(src: rasterio.DatasetReader, path: Path) -> None:
    """Read the first and last pixel: a truncated TIFF fails on its last block."""
    h, w = src.height, src.width
    if h == 0 or w == 0:
        raise InputFileError(f"raster {path} has no cells ({h}x{w}); expected a non-empty map")
    try:
        src.read(1, window=Window(0, 0, 1, 1))
        src.read(1, window=Window(w - 1, h - 1, 1, 1))
    except RasterioError as err:
        raise InputFileError(
            f"raster {path} is corrupt or truncated ({err}); re-export or re-download the file") from None


def _chunks_for(src: rasterio.DatasetReader, chunks: Any) -> Any:
    if chunks == "auto":
        if src.height * src.width <= AUTO_CHUNK_CELLS:
            return None
        bh, bw = src.block_shapes[0]
        ch = max(bh, (DEFAULT_CHUNK // bh) * bh) if bh < src.height else src.height
        cw = max(bw, (DEFAULT_CHUNK // bw) * bw) if bw < src.width else src.width
        return {"band": 1, "y": min(ch, src.height), "x": min(cw, src.width)}
    if isinstance(chunks, int):
        return {"band": 1, "y": chunks, "x": chunks}
    return chunks


def read_raster(path: str | os.PathLike, *, chunks: Any = "auto", categorical: bool = False,
                name: str | None = None) -> xr.DataArray:
    """Open one band of a GeoTIFF as a 2-D DataArray (y, x), lazily when large.

    Values are kept as stored (no masking): the nodata value is in ``da.rio.nodata``.
    ``categorical=True`` requires an integer dtype (land-use maps, zones, soil types).
    Raises InputFileError for a missing, corrupt or truncated file.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"raster {p} does not exist; check the path")
    try:
        with rasterio.open(p) as src:
            _check_readable(src, p)
            dtype = np.dtype(src.dtypes[0])
            nodata = src.nodata
            ch = _chunks_for(src, chunks)
    except RasterioIOError as err:
        raise InputFileError(f"raster {p} cannot be opened as a GeoTIFF ({err}); check the file") from None
    if categorical and not np.issubdtype(dtype, np.integer):
        raise InputValidationError(
            f"{name or 'land-use map'} {p.name} has data type {dtype}; expected integer class codes. "
            f"Convert it to an integer raster (e.g. gdal_translate -ot Int16), or reclassify continuous "
            f"values to classes first")
    try:
        da = rioxarray.open_rasterio(p, chunks=ch, masked=False, lock=False if ch else None, cache=False)
    except (RasterioError, OSError) as err:
        raise InputFileError(f"raster {p} cannot be read ({err})") from None
    da = da.squeeze("band", drop=True)
    if nodata is not None:
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            if not (info.min <= nodata <= info.max) or float(nodata) != int(nodata):
                nodata = None  # a nodata value the dtype cannot hold marks no pixel
            else:
                nodata = int(nodata)
        da = da.rio.write_nodata(nodata, encoded=False)  # kept in attrs: survives xarray operations
    if nodata is None:
        da.attrs.pop("_FillValue", None)
    da.attrs["source_path"] = str(p)
    da.name = name or p.stem
    return da


def align_to(da: xr.DataArray, like: xr.DataArray, *, categorical: bool = True) -> xr.DataArray:
    """Resample ``da`` onto the grid of ``like`` (nearest neighbour for classes, bilinear otherwise)."""
    from rasterio.enums import Resampling

    method = Resampling.nearest if categorical else Resampling.bilinear
    nodata = da.rio.nodata
    out = da.rio.reproject_match(like, resampling=method, nodata=nodata)
    if nodata is not None:
        out = out.rio.write_nodata(nodata, encoded=False)
    out.attrs["aligned_to"] = str(grid_of(like))
    return out


_COG_OPTS = {"COMPRESS": "ZSTD", "LEVEL": "1", "BLOCKSIZE": "512", "NUM_THREADS": "ALL_CPUS",
             "BIGTIFF": "IF_SAFER"}


def write_raster(data: Any, path: str | os.PathLike, grid: GridSpec, *, nodata: float | int | None = None,
                 dtype: str | None = None, overviews: bool = False, predictor: int | None = None,
                 units: str | None = None) -> Path:
    """Write a 2-D array (numpy or dask) as a Cloud-Optimized GeoTIFF, atomically.

    Float outputs use NaN as nodata. Tiles are written chunk by chunk, so a dask array larger
    than memory is written in bounded memory. ``units`` is written as the band's unit
    (``rasterio.open(path).units[0]``; GDAL ``GetUnitType``), e.g. ``"Mg C/ha"``.
    """
    final = Path(path)
    arr = data.data if isinstance(data, xr.DataArray) else data
    if tuple(arr.shape) != tuple(grid.shape):
        raise InputValidationError(
            f"cannot write {final.name}: the array has shape {tuple(arr.shape)} but the grid is {grid}; "
            f"write a 2-D array of the grid's shape (rows, cols)")
    dt = np.dtype(dtype or arr.dtype)
    if nodata is None and np.issubdtype(dt, np.floating):
        nodata = float("nan")
    opts = dict(_COG_OPTS)
    if predictor is None:
        predictor = 3 if np.issubdtype(dt, np.floating) else 2
    opts["PREDICTOR"] = str(predictor)
    opts["OVERVIEWS"] = "AUTO" if overviews else "NONE"
    profile = dict(driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1, dtype=dt.name,
                   crs=grid.crs, transform=grid.transform, nodata=nodata, tiled=True, blockxsize=512,
                   blockysize=512, compress="ZSTD", zstd_level=1, predictor=predictor, num_threads="ALL_CPUS",
                   bigtiff="IF_SAFER")
    with atomic_path(final) as tmp_cog:
        if hasattr(arr, "dask"):
            import dask.array as dsa

            # a tiled staging GeoTIFF written chunk by chunk, then copied to COG; always removed
            stage = final.with_name(f".{final.stem}.{os.getpid()}.stage.tif")
            try:
                with rasterio.open(stage, "w", **profile) as dst:
                    _set_units(dst, units)
                    dsa.store(arr.astype(dt), _RasterioTarget(dst), lock=True, compute=True)
                rasterio.shutil.copy(stage, tmp_cog, driver="COG", **opts)
            finally:
                stage.unlink(missing_ok=True)
        else:
            from rasterio.io import MemoryFile

            mem_profile = {k: v for k, v in profile.items()
                           if k in ("height", "width", "count", "dtype", "crs", "transform", "nodata")}
            with MemoryFile() as mf, mf.open(driver="MEM", **mem_profile) as mem:
                mem.write(np.asarray(arr, dtype=dt), 1)
                _set_units(mem, units)
                rasterio.shutil.copy(mem, tmp_cog, driver="COG", **opts)
    return final


def _set_units(dst: Any, units: str | None) -> None:
    """The band unit of a dataset open for writing (kept by GDAL's copies to COG)."""
    if units:
        dst.units = (str(units),)


class _RasterioTarget:
    """A ``__setitem__`` target so ``dask.array.store`` writes chunks as windows."""

    def __init__(self, dst: rasterio.io.DatasetWriter):
        self.dst = dst

    def __setitem__(self, key: tuple[slice, slice], value: np.ndarray) -> None:
        ys, xs = key
        win = Window(xs.start, ys.start, xs.stop - xs.start, ys.stop - ys.start)
        self.dst.write(value, 1, window=win)


# -- streaming window output (the windowed engine's writer; window reading lives in io.windows) -------
class TiledWriter:
    """Stream windows into a tiled GeoTIFF (ZSTD level 1, no overviews, header first), atomically.

    The file is written under a temporary name and renamed by :meth:`commit`; :meth:`abort` (or an
    exception inside ``with``) removes it. Writes of one file must come from one thread at a time.
    """

    def __init__(self, path: str | os.PathLike, grid: GridSpec, *, dtype: str = "float32",
                 nodata: float | int | None = None, predictor: int | None = None, block: int = 512,
                 zstd_level: int = 1, threads: int | str = 1, units: str | None = None):
        self.final = Path(path)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.final.with_name(f".{self.final.stem}.{os.getpid()}.{threading.get_ident()}.tmp"
                                        f"{self.final.suffix}")
        dt = np.dtype(dtype)
        if nodata is None and np.issubdtype(dt, np.floating):
            nodata = float("nan")
        if predictor is None:
            predictor = 3 if np.issubdtype(dt, np.floating) else 2
        self.profile = dict(driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1, dtype=dt.name,
                            crs=grid.crs, transform=grid.transform, nodata=nodata, tiled=True,
                            blockxsize=block, blockysize=block, compress="ZSTD", zstd_level=zstd_level,
                            predictor=predictor, num_threads=str(threads), bigtiff="IF_SAFER")
        self.dtype = dt
        self.units = units
        self._dst: Any = None

    def open(self) -> TiledWriter:
        self._dst = rasterio.open(self.tmp, "w", **self.profile)
        _set_units(self._dst, self.units)
        return self

    def write(self, arr: np.ndarray, row0: int, col0: int) -> None:
        h, w = arr.shape
        self._dst.write(np.asarray(arr, dtype=self.dtype), 1, window=Window(col0, row0, w, h))

    def commit(self) -> Path:
        self._dst.close()
        self._dst = None
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        if self._dst is not None:
            try:
                self._dst.close()
            except Exception:  # noqa: BLE001 - the file is discarded anyway
                pass
            self._dst = None
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> TiledWriter:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
