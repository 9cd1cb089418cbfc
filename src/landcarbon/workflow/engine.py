"""The windowed engine: every map-sized computation of a run, window by window, in bounded memory.

    windows (io.windows.plan_windows) → read each window of every source (with an optional halo)
    → kernel(block) on a thread pool (or a Dask distributed cluster) → results in window order
    → consume (write maps) and reduce (sum accounts) → progress(done, total)

Carbon stock (``workflow.stock``), zonal land-use areas (``workflow.emissions``) and the scan and
assembly of the out-of-core simulation (``workflow.simulate_zoned``) run on it. A kernel is a plain
function of one :class:`Block` (the window and its arrays); it runs on a worker thread, so it
should release the GIL (numba ``nogil`` kernels, numpy) and must not keep references to its input
arrays when ``reuse_inputs`` is set. Results come back in window order whatever the scheduling, so
reductions are deterministic (local threads and a distributed cluster give the same sums).

Memory is bounded by the windows in flight: at most ``threads + 1`` (local) or twice the cluster's
threads (distributed) windows are read or computed at a time, and :class:`MapWriters` keeps at most
a few windows of pending writes per output.

Sources (:func:`as_source`): an ``io.windows.RasterWindowReader`` (files, read by the worker that
needs the window), a numpy array, a dask array, an xarray DataArray (in memory, dask, or lazily
backed by its GeoTIFF, then read through ``io.windows``), or a function ``window -> array``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..io import rasters as _rasters
from ..io.windows import RasterWindowReader, Window, plan_windows

ProgressFn = Callable[[int, int], None]


def default_threads() -> int:
    """Worker threads of a local run: the machine's cores (at most 32)."""
    return max(1, min(os.cpu_count() or 1, 32))


# -- sources --------------------------------------------------------------------------------------
class ArraySource:
    """Windows of an array: numpy, dask, or a DataArray (sliced lazily when it is lazily loaded)."""

    def __init__(self, data: Any, *, nodata: Any = None, name: str = "", da: Any = None):
        self.data = data
        self.nodata = nodata
        self.name = name
        self.da = da
        self.shape = tuple(int(v) for v in data.shape)
        self.dtype = np.dtype(data.dtype)

    def read_window(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        if hasattr(self.data, "dims"):                      # a lazily loaded DataArray: read the window only
            return np.asarray(self.data.isel(y=slice(window.r0, window.r1), x=slice(window.c0, window.c1)).values)
        block = self.data[window.r0:window.r1, window.c0:window.c1]
        if hasattr(block, "dask"):
            block = block.compute(scheduler="sync")
        return np.asarray(block)

    def dataarray(self, window: Window, *, name: str | None = None) -> Any:
        """The window as an in-memory DataArray (needs the source to be a DataArray)."""
        if self.da is None:
            raise TypeError(f"source {self.name!r} is a plain array; a DataArray window needs a DataArray")
        sub = self.da.isel(y=slice(window.r0, window.r1), x=slice(window.c0, window.c1))
        return sub.copy(data=np.asarray(sub.values))


class FunctionSource:
    """Windows computed by ``fn(window) -> array`` (a zone tiling, a constant layer)."""

    def __init__(self, fn: Callable[[Window], np.ndarray], shape: tuple[int, int], dtype: Any, *,
                 nodata: Any = None, name: str = ""):
        self.fn = fn
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.nodata = nodata
        self.name = name

    def read_window(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        return self.fn(window)


class _Fixed:
    """One pre-read window (what a distributed task receives for an in-memory source)."""

    def __init__(self, arr: np.ndarray, window: Window):
        self.arr = arr
        self.window = window

    def read_window(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        return self.arr


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a == b or (np.isnan(a) and np.isnan(b)))


def _lazy(da: Any) -> bool:
    """True when a DataArray's values are neither in memory nor dask (read from its file on access)."""
    var = da.variable
    return not getattr(var, "_in_memory", True) and not hasattr(var._data, "dask")


def as_source(x: Any, *, name: str = "") -> Any:
    """Wrap ``x`` as a window source (see the module docstring)."""
    if hasattr(x, "read_window"):
        return x
    if callable(x):
        raise TypeError("a function source needs its shape and dtype: use FunctionSource(fn, shape, dtype)")
    if hasattr(x, "dims") and hasattr(x, "rio"):          # an xarray DataArray
        nm = name or str(x.name)
        if _lazy(x):
            path = x.attrs.get("source_path")
            if path:                                    # unchanged since read_raster: read it through io.windows
                from ..core.grid import grid_of

                reader = RasterWindowReader(path, name=nm)
                if reader.grid == grid_of(x) and reader.dtype == np.dtype(x.dtype) and _same(reader.nodata,
                                                                                             x.rio.nodata):
                    return reader
                reader.close()
            return ArraySource(x, nodata=x.rio.nodata, name=nm, da=x)
        return ArraySource(x.data, nodata=x.rio.nodata, name=nm, da=x)
    return ArraySource(x, name=name)


def grid_like(grid: Any, chunk: int | None = None) -> Any:
    """A DataArray of zeros on ``grid`` (coordinates, CRS, transform), lazily: dask with ``chunk``-cell
    blocks, else a read-only broadcast view (no memory). What ``io.inputs.load_zones`` burns zones onto
    when the maps are read window by window and no DataArray of them exists."""
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr

    rows, cols = (int(v) for v in grid.shape)
    t = grid.transform
    if chunk:
        import dask.array as dsa

        data: Any = dsa.zeros((rows, cols), dtype=np.uint8, chunks=(int(chunk), int(chunk)))
    else:
        data = np.broadcast_to(np.uint8(0), (rows, cols))
    da = xr.DataArray(data, dims=("y", "x"), coords={"y": t.f + t.e * (np.arange(rows) + 0.5),
                                                      "x": t.c + t.a * (np.arange(cols) + 0.5)})
    if grid.crs is not None:
        da = da.rio.write_crs(grid.crs)
    return da.rio.write_transform(t)


# -- blocks and kernels ---------------------------------------------------------------------------
_TLS = threading.local()


def scratch(key: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A reusable array of the calling thread (contents undefined): page faults of fresh
    allocations cost more than the work on them in fast kernels."""
    cache = getattr(_TLS, "bufs", None)
    if cache is None:
        cache = _TLS.bufs = {}
    dt = np.dtype(dtype)
    b = cache.get(key)
    if b is None or b.shape != tuple(shape) or b.dtype != dt:
        b = cache[key] = np.empty(shape, dt)
    return b


@dataclass
class Block:
    """What a kernel sees: the window, and each source's array of it (grown by the source's halo)."""

    window: Window
    arrays: dict[str, np.ndarray]
    outer: dict[str, Window] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def inner(self, name: str) -> tuple[slice, slice]:
        """Slices of ``arrays[name]`` that hold the window itself (without the halo)."""
        return self.window.inside(self.outer.get(name, self.window))

    def core(self, name: str) -> np.ndarray:
        return self.arrays[name][self.inner(name)]


def _halo_of(halo: int | Mapping[str, int], name: str) -> int:
    return int(halo.get(name, 0)) if isinstance(halo, Mapping) else int(halo)


def read_block(sources: Mapping[str, Any], window: Window, shape: tuple[int, int], *,
               halo: int | Mapping[str, int] = 0, reuse: bool = False, full: tuple[int, int] | None = None) -> Block:
    """Read ``window`` of every source (grown by its halo, clipped at the grid's edges)."""
    arrays: dict[str, np.ndarray] = {}
    outer: dict[str, Window] = {}
    for name, src in sources.items():
        win = window.expand(_halo_of(halo, name), shape)
        out = None
        if reuse and full is not None and (win.h, win.w) == full and isinstance(src, RasterWindowReader):
            out = scratch(("in", name), full, src.dtype)
        arrays[name] = src.read_window(win, out=out)
        outer[name] = win
    return Block(window, arrays, outer)


def _run_one(kernel: Callable[[Block], Any], sources: Mapping[str, Any], window: Window, shape: tuple[int, int],
             halo: int | Mapping[str, int], reuse: bool, full: tuple[int, int] | None) -> Any:
    return kernel(read_block(sources, window, shape, halo=halo, reuse=reuse, full=full))


# -- the loop -------------------------------------------------------------------------------------
def map_windows(kernel: Callable[[Block], Any], windows: Sequence[Window], *, sources: Mapping[str, Any] | None = None,
                shape: tuple[int, int] | None = None, halo: int | Mapping[str, int] = 0, threads: int | None = None,
                client: Any = None, progress: ProgressFn | None = None, reuse_inputs: bool = False,
                max_inflight: int | None = None) -> Iterator[tuple[Window, Any]]:
    """``(window, kernel(block))`` for every window, in window order, computing ahead on ``threads``
    worker threads (or on a Dask distributed ``client``) with at most ``max_inflight`` windows in
    flight. ``progress(done, total)`` is called as each result is handed over."""
    given = dict(sources or {})
    srcs = {n: as_source(s, name=n) for n, s in given.items()}
    opened = [s for n, s in srcs.items() if s is not given[n] and isinstance(s, RasterWindowReader)]
    if shape is None:
        if not srcs:
            raise ValueError("map_windows needs the grid shape when there is no source")
        shape = next(iter(srcs.values())).shape
    shape = (int(shape[0]), int(shape[1]))
    try:
        if client is not None:
            yield from _distributed(kernel, windows, srcs, shape, halo, client, progress, max_inflight)
        else:
            yield from _local(kernel, windows, srcs, shape, halo, threads, progress, reuse_inputs, max_inflight)
    finally:
        for r in opened:
            r.close()


class _Ticker:
    def __init__(self, total: int, progress: ProgressFn | None):
        self.done, self.total, self.progress = 0, total, progress

    def __call__(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _local(kernel, windows, srcs, shape, halo, threads, progress, reuse, max_inflight):
    tick = _Ticker(len(windows), progress)
    full = (max((w.h for w in windows), default=0), max((w.w for w in windows), default=0))
    n = threads or default_threads()
    if n <= 1:
        for w in windows:
            r = _run_one(kernel, srcs, w, shape, halo, reuse, full)
            tick()
            yield w, r
        return
    cap = max_inflight or n + 1
    with ThreadPoolExecutor(n, thread_name_prefix="window") as pool:
        inflight: deque = deque()
        try:
            for w in windows:
                inflight.append((pool.submit(_run_one, kernel, srcs, w, shape, halo, reuse, full), w))
                if len(inflight) >= cap:
                    f, fw = inflight.popleft()
                    r = f.result()
                    tick()
                    yield fw, r
            while inflight:
                f, fw = inflight.popleft()
                r = f.result()
                tick()
                yield fw, r
        finally:
            for f, _ in inflight:
                f.cancel()


def _distributed(kernel, windows, srcs, shape, halo, client, progress, max_inflight):
    tick = _Ticker(len(windows), progress)
    n_workers = max(1, sum(client.nthreads().values()))
    cap = max_inflight or 2 * n_workers
    kfut = client.scatter(kernel, broadcast=True, hash=False)
    inflight: deque = deque()
    for w in windows:
        task_src = {}
        for n, s in srcs.items():
            if isinstance(s, RasterWindowReader):
                task_src[n] = s
            else:                      # in-memory or dask data is cut here and shipped with the task
                ww = w.expand(_halo_of(halo, n), shape)
                task_src[n] = _Fixed(s.read_window(ww), ww)
        inflight.append((client.submit(_run_one, kfut, task_src, w, shape, halo, False, None, pure=False), w))
        if len(inflight) >= cap:
            f, fw = inflight.popleft()
            r = f.result()
            tick()
            yield fw, r
    while inflight:
        f, fw = inflight.popleft()
        r = f.result()
        tick()
        yield fw, r


_NOTHING = object()


def run_windows(kernel: Callable[[Block], Any], windows: Sequence[Window], *, sources: Mapping[str, Any] | None = None,
                reduce: Callable[[Any, Any], Any] | None = None, initial: Any = _NOTHING,
                consume: Callable[[Window, Any], None] | None = None, gdal_cache_mb: int | None = None,
                **kw: Any) -> Any:
    """Run ``kernel`` over ``windows`` (see :func:`map_windows` for the keywords): each result goes to
    ``consume(window, result)`` and is folded by ``acc = reduce(acc, result)`` in window order (the
    first result starts the fold unless ``initial`` is given). Returns the fold (None without
    ``reduce``). ``gdal_cache_mb`` caps GDAL's block cache during the run."""
    acc = initial
    env: Any = nullcontext()
    if gdal_cache_mb is not None:
        import rasterio

        env = rasterio.Env(GDAL_CACHEMAX=int(gdal_cache_mb) * 1024 * 1024, GDAL_NUM_THREADS=1)
    with env:
        for w, r in map_windows(kernel, windows, sources=sources, **kw):
            if consume is not None:
                consume(w, r)
            if reduce is not None:
                acc = r if acc is _NOTHING else reduce(acc, r)
    return None if acc is _NOTHING else acc


# -- output -----------------------------------------------------------------------------------------
class MapWriters:
    """One tiled GeoTIFF writer and one writer thread per output map; each map's windows are written
    in the order given, several maps compress in parallel, and pending writes stay bounded."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[_rasters.TiledWriter, ThreadPoolExecutor]] = {}
        self.pending: deque[Future] = deque()

    def add(self, key: str, writer: _rasters.TiledWriter) -> None:
        writer.open()
        self.items[key] = (writer, ThreadPoolExecutor(1, thread_name_prefix=f"write-{key}"))

    def write(self, key: str, arr: np.ndarray, r0: int, c0: int) -> Future:
        w, ex = self.items[key]
        fut = ex.submit(w.write, arr, r0, c0)
        self.pending.append(fut)
        return fut

    def drain(self, keep: int | None = None) -> None:
        """Wait until at most ``keep`` writes are pending (default: two windows per output)."""
        keep = 2 * max(1, len(self.items)) if keep is None else keep
        while len(self.pending) > keep:
            self.pending.popleft().result()

    def commit(self) -> None:
        self.drain(0)
        errs = []
        futs = [ex.submit(w.commit) for w, ex in self.items.values()]
        for f in futs:
            try:
                f.result()
            except Exception as err:  # noqa: BLE001
                errs.append(err)
        for _, ex in self.items.values():
            ex.shutdown()
        if errs:
            raise errs[0]

    def abort(self) -> None:
        for w, ex in self.items.values():
            ex.shutdown(wait=True, cancel_futures=True)
            w.abort()

    def __enter__(self) -> MapWriters:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class BufferPool:
    """Reusable output arrays, one set per window in flight; a set comes back when its writes are done."""

    def __init__(self, n_sets: int, shapes: Mapping[str, tuple[tuple[int, ...], Any]]):
        self._q: queue.Queue = queue.Queue()
        for _ in range(n_sets):
            self._q.put({k: np.empty(shape, dtype) for k, (shape, dtype) in shapes.items()})

    def get(self) -> dict[str, np.ndarray]:
        return self._q.get()

    def put(self, bufs: dict[str, np.ndarray]) -> None:
        self._q.put(bufs)

    def release_when_done(self, futs: Sequence[Future], bufs: dict[str, np.ndarray]) -> None:
        """Return ``bufs`` once every future in ``futs`` (the writes of its window) has finished."""
        if not futs:
            self.put(bufs)
            return
        left = [len(futs)]
        lock = threading.Lock()

        def done(_f: Future) -> None:
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                self.put(bufs)

        for f in futs:
            f.add_done_callback(done)


__all__ = ["ArraySource", "Block", "BufferPool", "FunctionSource", "MapWriters", "ProgressFn", "Window", "as_source",
           "default_threads", "grid_like", "map_windows", "plan_windows", "read_block", "run_windows", "scratch"]
