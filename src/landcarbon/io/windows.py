"""Window reading of aligned rasters: the I/O half of the windowed engine (``workflow.engine``).

A map-sized computation reads its inputs window by window: every input raster, the same window
of each, in windows aligned to the GeoTIFF blocks (a window is a whole number of tiles, so a tile
is decoded once). :class:`RasterWindowReader` reads windows of one raster from several threads
(one GDAL handle per thread); :class:`AlignedRasters` opens several rasters on one grid;
:func:`plan_windows` cuts a grid into :class:`Window` s and :func:`window_size` picks their edge
from the inputs' blocks.

A block that cannot be decoded, anywhere in the file (not only in its header), raises
:class:`~landcarbon.core.errors.InputFileError` naming the file, the block (its row and column in
the block grid and its cell offsets) and the window being read, and saying how to fix it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.windows import Window as _RioWindow

from ..core.errors import InputFileError
from ..core.grid import GridSpec, ensure_aligned

#: default window edge (cells): one 512 x 512 output tile; input tiles of 256 or 512 fit in it evenly
DEFAULT_WINDOW = 512


@dataclass(frozen=True)
class Window:
    """One window of a grid: its place in the window grid (``row``, ``col``; ``index`` in raster
    order) and its cells (rows ``r0`` … ``r0 + h − 1``, columns ``c0`` … ``c0 + w − 1``)."""

    index: int
    row: int
    col: int
    r0: int
    c0: int
    h: int
    w: int

    @property
    def r1(self) -> int:
        return self.r0 + self.h

    @property
    def c1(self) -> int:
        return self.c0 + self.w

    @property
    def shape(self) -> tuple[int, int]:
        return (self.h, self.w)

    @property
    def slices(self) -> tuple[slice, slice]:
        return (slice(self.r0, self.r1), slice(self.c0, self.c1))

    def expand(self, halo: int, shape: tuple[int, int]) -> Window:
        """The window grown by ``halo`` cells on every side, clipped to a grid of ``shape``."""
        if halo <= 0:
            return self
        r0, c0 = max(0, self.r0 - halo), max(0, self.c0 - halo)
        r1, c1 = min(shape[0], self.r1 + halo), min(shape[1], self.c1 + halo)
        return Window(self.index, self.row, self.col, r0, c0, r1 - r0, c1 - c0)

    def inside(self, outer: Window) -> tuple[slice, slice]:
        """Slices of this window within the array of ``outer`` (a window that contains it)."""
        return (slice(self.r0 - outer.r0, self.r1 - outer.r0), slice(self.c0 - outer.c0, self.c1 - outer.c0))

    def describe(self) -> str:
        return f"the window at row {self.r0}, column {self.c0} ({self.h} x {self.w} cells)"


def plan_windows(shape: tuple[int, int], size: int | tuple[int, int]) -> list[Window]:
    """Windows of ``size`` cells (edge, or (rows, cols)) covering a grid of ``shape``, in raster order."""
    rows, cols = (int(shape[0]), int(shape[1]))
    sh, sw = (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))
    if sh < 1 or sw < 1:
        raise ValueError(f"window size {size} must be positive")
    out = []
    for bi, r0 in enumerate(range(0, rows, sh)):
        for bj, c0 in enumerate(range(0, cols, sw)):
            out.append(Window(len(out), bi, bj, r0, c0, min(sh, rows - r0), min(sw, cols - c0)))
    return out


def window_size(block_shapes: Sequence[tuple[int, int]], default: int = DEFAULT_WINDOW) -> int:
    """A window edge aligned to the inputs' blocks: ``default`` (a multiple of the usual 256/512
    tiles), or, when an input has larger square tiles, one window per tile rounded up to a multiple
    of ``default``. Strips (one row or the full width) do not change it."""
    size = int(default)
    tiled = [b for b in block_shapes if 1 < b[0] == b[1]]
    if tiled:
        edge = max(b[0] for b in tiled)
        if edge > size:
            size = -(-edge // default) * default
    return size


def _normal_nodata(nodata: Any, dtype: np.dtype) -> Any:
    """The nodata value as read_raster reports it: an integer for integer maps, None when the dtype
    cannot hold it (such a value marks no cell)."""
    if nodata is None:
        return None
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if not (info.min <= nodata <= info.max) or float(nodata) != int(nodata):
            return None
        return int(nodata)
    return nodata


def _gdal_message(err: BaseException) -> str:
    """The most telling message of a rasterio error (the GDAL cause when there is one)."""
    parts = []
    e: BaseException | None = err
    while e is not None and len(parts) < 4:
        msg = str(e).strip().rstrip(".")
        if msg and "See previous exception" not in msg and not any(msg in q for q in parts):
            parts.append(msg)
        e = e.__cause__ or e.__context__
    return "; ".join(parts) or type(err).__name__


class RasterWindowReader:
    """Windows of band 1 of one raster, read from any number of threads (one GDAL handle each).

    The header (shape, dtype, nodata, blocks, grid) is read once when the reader is made; a file
    that is missing or not a raster raises InputFileError then. Picklable (only the path travels),
    so Dask workers read their own windows.
    """

    def __init__(self, path: str | os.PathLike, *, name: str | None = None):
        self.path = str(path)
        self.name = name or Path(self.path).stem
        p = Path(self.path)
        if not p.exists():
            raise InputFileError(f"raster {p} does not exist; check the path")
        try:
            with rasterio.open(p) as src:
                self.shape = (int(src.height), int(src.width))
                self.dtype = np.dtype(src.dtypes[0])
                self.nodata = _normal_nodata(src.nodata, self.dtype)
                self.block_shape = tuple(int(v) for v in src.block_shapes[0])
                self.grid = GridSpec(self.shape, src.transform, src.crs)
        except RasterioIOError as err:
            raise InputFileError(f"raster {p} cannot be opened as a GeoTIFF ({_gdal_message(err)}); check the "
                                 f"file, or re-export it") from None
        self._local = threading.local()
        self._handles: list[Any] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], name=state["name"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"RasterWindowReader({self.path!r})"

    def _src(self) -> Any:
        src = getattr(self._local, "src", None)
        if src is None:
            src = rasterio.open(self.path)
            self._local.src = src
            with self._lock:
                self._handles.append(src)
        return src

    def read(self, r0: int, c0: int, h: int, w: int, out: np.ndarray | None = None) -> np.ndarray:
        """Cells rows ``r0`` … ``r0 + h − 1``, columns ``c0`` … ``c0 + w − 1`` as a 2-D array; ``out``
        (shape (h, w), the raster's dtype) is filled and returned instead of a new array."""
        win = _RioWindow(c0, r0, w, h)
        try:
            if out is not None:
                return self._src().read(1, window=win, out=out)
            return self._src().read(1, window=win)
        except RasterioError as err:
            raise self._block_error(r0, c0, h, w, err) from None

    def read_window(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        return self.read(window.r0, window.c0, window.h, window.w, out=out)

    def dataarray(self, window: Window, *, name: str | None = None) -> Any:
        """One window as an in-memory DataArray (y, x) with its coordinates, CRS and nodata."""
        import rioxarray  # noqa: F401  (registers .rio)
        import xarray as xr

        arr = self.read_window(window)
        t = self.grid.transform * self.grid.transform.translation(window.c0, window.r0)
        xs = t.c + t.a * (np.arange(window.w) + 0.5)
        ys = t.f + t.e * (np.arange(window.h) + 0.5)
        da = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs}, name=name or self.name)
        if self.grid.crs is not None:
            da = da.rio.write_crs(self.grid.crs)
        da = da.rio.write_transform(t).rio.write_nodata(self.nodata, encoded=False)
        if self.nodata is None:
            da.attrs.pop("_FillValue", None)
        return da

    def _block_error(self, r0: int, c0: int, h: int, w: int, err: BaseException) -> InputFileError:
        """Find the block(s) of the window that cannot be decoded (error path only) and name them."""
        bh, bw = self.block_shape
        rows, cols = self.shape
        bad = []
        try:
            with rasterio.open(self.path) as src:
                for bi in range(r0 // bh, (r0 + h - 1) // bh + 1):
                    for bj in range(c0 // bw, (c0 + w - 1) // bw + 1):
                        br0, bc0 = bi * bh, bj * bw
                        try:
                            src.read(1, window=_RioWindow(bc0, br0, min(bw, cols - bc0), min(bh, rows - br0)))
                        except RasterioError:
                            bad.append((bi, bj, br0, bc0))
                        if len(bad) >= 4:
                            break
                    if len(bad) >= 4:
                        break
        except RasterioError:  # pragma: no cover - the header opened a moment ago
            bad = []
        nb = (-(-rows // bh), -(-cols // bw))
        where = Window(0, 0, 0, r0, c0, h, w).describe()
        if bad:
            blocks = "; ".join(f"block row {bi}, column {bj} (starting at row {br0}, column {bc0})"
                               for bi, bj, br0, bc0 in bad)
            what = f"{blocks} of its {nb[0]} x {nb[1]} blocks of {bh} x {bw} cells cannot be decoded"
        else:
            what = f"a block of {bh} x {bw} cells cannot be read"
        return InputFileError(
            f"raster {self.path} is corrupt or truncated inside: {what} (GDAL: {_gdal_message(err)}), found while "
            f"reading {where}; re-export the file from the original data or re-download it")

    def close(self) -> None:
        with self._lock:
            for src in self._handles:
                src.close()
            self._handles.clear()
        self._local = threading.local()

    def __enter__(self) -> RasterWindowReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AlignedRasters(Mapping[str, RasterWindowReader]):
    """Several rasters on one grid, read window by window: a mapping name → RasterWindowReader, so it
    can be given as the ``sources`` of the windowed engine as it is.

    Raises GridMismatchError naming both grids when a raster is on another grid.
    """

    def __init__(self, paths: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike], *,
                 check_grid: bool = True):
        items = paths.items() if isinstance(paths, Mapping) else ((Path(p).stem, p) for p in paths)
        self.readers: dict[str, RasterWindowReader] = {}
        for name, p in items:
            self.readers[str(name)] = RasterWindowReader(p, name=str(name))
        if not self.readers:
            raise ValueError("AlignedRasters needs at least one raster")
        if check_grid:
            ensure_aligned(**{n: r.grid for n, r in self.readers.items()})

    @property
    def grid(self) -> GridSpec:
        return next(iter(self.readers.values())).grid

    @property
    def shape(self) -> tuple[int, int]:
        return self.grid.shape

    def __getitem__(self, name: str) -> RasterWindowReader:
        return self.readers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.readers)

    def __len__(self) -> int:
        return len(self.readers)

    def window_size(self, default: int = DEFAULT_WINDOW) -> int:
        return window_size([r.block_shape for r in self.readers.values()], default)

    def windows(self, size: int | None = None) -> list[Window]:
        return plan_windows(self.shape, size or self.window_size())

    def read(self, window: Window, *, halo: int = 0) -> dict[str, np.ndarray]:
        """The window (grown by ``halo`` cells, clipped at the edges) of every raster."""
        outer = window.expand(halo, self.shape)
        return {n: r.read_window(outer) for n, r in self.readers.items()}

    def close(self) -> None:
        for r in self.readers.values():
            r.close()

    def __enter__(self) -> AlignedRasters:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["DEFAULT_WINDOW", "AlignedRasters", "RasterWindowReader", "Window", "plan_windows", "window_size"]
