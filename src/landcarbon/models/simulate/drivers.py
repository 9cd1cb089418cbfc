"""Driver layers for LEAS (methods.md §8.3): slope from a DEM, distance to features, categorical
drivers, min–max normalisation over the valid raster, nodata holes excluded and reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ...core.errors import InputValidationError
from ...core.grid import GridSpec, ensure_aligned
from ...ops.neighbourhood import _cell_metres
from ...ops.neighbourhood import horn_slope as _horn_slope

#: a categorical driver with more categories than this is ordinal-coded instead of one-hot [D]
MAX_ONEHOT = 64


def slope(dem: xr.DataArray) -> xr.DataArray:
    """Slope in degrees from a DEM in metres (Horn 1981); cell size read from the grid.

    Projected grids use the cell size in metres; geographic grids use the ellipsoidal metre
    length of a degree at each row's latitude. Nodata in the DEM gives NaN.
    """
    return _horn_slope(dem)


def distance_to(mask: xr.DataArray) -> xr.DataArray:
    """Euclidean distance (m) from each cell centre to the nearest cell where ``mask`` is true/non-zero.

    ``mask`` is a rasterised vector layer (roads, rivers, town centres) on the simulation grid,
    e.g. from ``landcarbon.io.rasterize_zones``; nodata counts as "no feature". Cell size from the
    grid (on geographic grids the mean row width is used, so distances are approximate there).
    """
    from scipy import ndimage

    arr = np.asarray(mask.values)
    nd = mask.rio.nodata
    feat = arr != 0
    if nd is not None:
        feat &= arr != nd
    if np.issubdtype(arr.dtype, np.floating):
        feat &= np.isfinite(arr)
    if not feat.any():
        raise InputValidationError(f"distance driver {mask.name!r}: the mask holds no feature cell; "
                                   f"check the rasterised layer (non-zero = feature)")
    dx_row, dy = _cell_metres(mask)
    dist = ndimage.distance_transform_edt(~feat, sampling=(dy, float(np.mean(dx_row)))).astype(np.float32)
    out = mask.copy(data=dist)
    out.name = f"dist_{mask.name or 'feature'}"
    out.attrs = {"units": "m"}
    return out.rio.write_nodata(np.nan, encoded=False)


def valid_mask(da: xr.DataArray, arr: np.ndarray) -> np.ndarray:
    """True where ``arr`` (the values of ``da``, or a window of them) is neither nodata nor NaN."""
    v = np.ones(arr.shape, dtype=bool)
    nd = da.rio.nodata
    if np.issubdtype(arr.dtype, np.floating):
        v &= np.isfinite(arr)
    if nd is not None and not (isinstance(nd, float) and np.isnan(nd)):
        v &= arr != nd
    return v


@dataclass
class DriverStack:
    """Normalised driver features on one grid.

    ``continuous``: name -> float32 array normalised to [0, 1] by the min and max over the valid
    cells (``bounds`` keeps them, so planned layers are normalised the same way). ``categorical``:
    name -> int32 category index (−1 = nodata) with its category codes; encoded one-hot (≤
    MAX_ONEHOT categories) or as the normalised category index. ``valid``: every driver valid.
    ``holes``: per driver, cells that are valid in the map mask but nodata in the driver.
    """

    grid: GridSpec
    continuous: dict[str, np.ndarray]
    bounds: dict[str, tuple[float, float]]
    categorical: dict[str, np.ndarray]
    categories: dict[str, np.ndarray]
    valid: np.ndarray
    holes: dict[str, int] = field(default_factory=dict)
    encoding: str = "onehot"

    @property
    def driver_names(self) -> list[str]:
        return list(self.continuous) + list(self.categorical)

    def _onehot(self, name: str) -> bool:
        return self.encoding == "onehot" and self.categories[name].size <= MAX_ONEHOT

    @property
    def feature_names(self) -> list[str]:
        names = list(self.continuous)
        for n, cats in self.categories.items():
            if self._onehot(n):
                names += [f"{n}={c}" for c in cats]
            else:
                names.append(n)
        return names

    def feature_groups(self) -> list[tuple[str, list[int]]]:
        """(driver name, its feature columns): a one-hot driver spans several columns."""
        out, col = [], 0
        for n in self.continuous:
            out.append((n, [col]))
            col += 1
        for n, cats in self.categories.items():
            w = cats.size if self._onehot(n) else 1
            out.append((n, list(range(col, col + w))))
            col += w
        return out

    def features(self, flat: np.ndarray) -> np.ndarray:
        """Feature matrix (len(flat), n_features) float32 for flat cell indices (valid cells only)."""
        n = flat.size
        cols = []
        for a in self.continuous.values():
            cols.append(a.ravel()[flat][:, None])
        for name, a in self.categorical.items():
            ci = a.ravel()[flat]
            k = self.categories[name].size
            if self._onehot(name):
                oh = np.zeros((n, k), dtype=np.float32)
                oh[np.arange(n), np.clip(ci, 0, k - 1)] = 1.0
                cols.append(oh)
            else:
                cols.append((ci.astype(np.float32) / max(k - 1, 1))[:, None])
        if not cols:
            return np.zeros((n, 0), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(cols, axis=1), dtype=np.float32)

    def window(self, rs: slice, cs: slice) -> DriverStack:
        """The stack cropped to a window (same normalisation)."""
        return DriverStack(self.grid, {k: v[rs, cs] for k, v in self.continuous.items()}, self.bounds,
                           {k: v[rs, cs] for k, v in self.categorical.items()}, self.categories,
                           self.valid[rs, cs], self.holes, self.encoding)

    def with_planned(self, planned: Mapping[str, xr.DataArray]) -> DriverStack:
        """A copy with some continuous layers replaced by planned versions (Tutorial B), normalised
        with the historical min and max so that the trained forests read them on the same scale."""
        cont = dict(self.continuous)
        valid = self.valid.copy()
        for name, da in planned.items():
            if name not in cont:
                raise InputValidationError(f"planned driver {name!r} is not a continuous driver of the "
                                           f"calibration (drivers: {list(self.continuous)})")
            ensure_aligned(map=self.grid, **{f"planned {name}": da})
            arr = np.asarray(da.values)
            v = valid_mask(da, arr)
            lo, hi = self.bounds[name]
            cont[name] = np.where(v, (arr.astype(np.float64) - lo) / (hi - lo), 0).astype(np.float32)
            valid &= v
        return DriverStack(self.grid, cont, self.bounds, self.categorical, self.categories, valid,
                           self.holes, self.encoding)


def prepare_drivers(drivers: Mapping[str, xr.DataArray], mask: np.ndarray, *, grid: GridSpec,
                    categorical: Sequence[str] = (), encoding: str = "onehot",
                    driver_nodata: str = "exclude",
                    fixed_bounds: Mapping[str, tuple[float, float]] | None = None,
                    fixed_categories: Mapping[str, np.ndarray] | None = None) -> DriverStack:
    """Check, normalise and encode drivers on the map grid.

    ``mask``: valid cells of the land-use maps. A driver that is constant over the valid cells is
    an error. Cells inside ``mask`` where a driver is nodata are counted per driver in
    ``holes``; with ``driver_nodata="exclude"`` (default) they keep their start class and are
    left out of training, with ``"error"`` the run stops naming the counts.

    ``fixed_bounds`` (name -> (min, max)) and ``fixed_categories`` (name -> sorted codes) impose a
    normalisation computed elsewhere — the whole region, when one zone window is prepared in the
    out-of-core run — instead of the min/max and codes of the valid cells of these layers.
    """
    if not drivers:
        raise InputValidationError("no driver given; LEAS needs at least one driver layer (e.g. a DEM)")
    if encoding not in ("onehot", "ordinal"):
        raise InputValidationError(f"categorical encoding {encoding!r} is unknown; use 'onehot' or 'ordinal'")
    ensure_aligned(map=grid, **{f"driver {k}": v for k, v in drivers.items()})
    unknown = set(categorical) - set(drivers)
    if unknown:
        raise InputValidationError(f"categorical drivers {sorted(unknown)} are not among the drivers "
                                   f"{list(drivers)}")
    valid = mask.copy()
    cont: dict[str, np.ndarray] = {}
    bounds: dict[str, tuple[float, float]] = {}
    cat: dict[str, np.ndarray] = {}
    cats: dict[str, np.ndarray] = {}
    holes: dict[str, int] = {}
    raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, da in drivers.items():
        arr = np.asarray(da.values)
        v = valid_mask(da, arr)
        holes[name] = int(np.count_nonzero(mask & ~v))
        valid &= v
        raw[name] = (arr, v)
    if driver_nodata == "error" and any(holes.values()):
        bad = ", ".join(f"{k}: {n}" for k, n in holes.items() if n)
        raise InputValidationError(f"drivers have nodata inside the land-use map ({bad} cells); fill the "
                                   f"holes or let landcarbon exclude those cells (driver_nodata='exclude')")
    if not valid.any():
        raise InputValidationError("no cell is valid in the land-use map and in every driver; check the "
                                   "drivers' nodata values and extent")
    for name, (arr, _) in raw.items():
        vals = arr[valid]
        if name in categorical:
            if not np.issubdtype(arr.dtype, np.integer):
                raise InputValidationError(f"categorical driver {name!r} has data type {arr.dtype}; expected "
                                           f"integer category codes")
            fixed = fixed_categories is not None and name in fixed_categories
            codes = np.asarray(fixed_categories[name]) if fixed else np.unique(vals)
            if fixed:
                unknown = np.setdiff1d(np.unique(vals), codes)
                if unknown.size:
                    raise InputValidationError(f"categorical driver {name!r} holds categories "
                                               f"{unknown.tolist()[:10]} unseen over the region")
            idx = np.full(arr.shape, -1, dtype=np.int32)
            idx[valid] = np.searchsorted(codes, vals).astype(np.int32)
            cat[name] = idx
            cats[name] = codes
            continue
        if fixed_bounds is not None and name in fixed_bounds:
            lo, hi = (float(v) for v in fixed_bounds[name])
        else:
            lo, hi = float(vals.min()), float(vals.max())
        if hi <= lo:
            raise InputValidationError(f"driver {name!r} is constant ({lo:g}) over the valid cells; a constant "
                                       f"layer carries no information: drop it")
        norm = np.zeros(arr.shape, dtype=np.float32)
        norm[valid] = ((vals.astype(np.float64) - lo) / (hi - lo)).astype(np.float32)
        cont[name] = norm
        bounds[name] = (lo, hi)
    return DriverStack(grid, cont, bounds, cat, cats, valid, holes, encoding)

