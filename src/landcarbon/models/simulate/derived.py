"""Drivers derived from a land-use map, on request (issue 12, item 3).

- ``dist_class_<code>``: Euclidean distance (m) from each cell centre to the nearest cell of class
  ``code``;
- ``dist_patch_<code>_<ha>ha``: distance (m) to the nearest patch of class ``code`` (8-connected)
  whose area is at least ``patch_min_ha`` hectares (e.g. built-up patches above 10 ha: towns, not
  hamlets);
- ``density_<code>_r<r>``: share of the (2r + 1)² window around each cell (the cell included) that
  is class ``code``; cells outside the map or nodata count as "not ``code``" and the denominator
  stays (2r + 1)² (the CARS convention, methods.md §8.4).

For the LEAS fit they are computed from the first calibration map (the state before the expansion
being learnt) and for prediction from the start map, normalised with the training min and max
(the ``planned`` mechanism of Tutorial B). Computing them from the map the expansion ends on would
leak the answer (every cell that became k lies at distance 0 of k).

All three are vectorised ``scipy.ndimage`` calls on whole arrays (``distance_transform_edt`` with
the cell size as sampling, ``label``, ``uniform_filter``). Chunk safety: a density needs a halo of
r cells per chunk (``dask.array.map_overlap(depth=r)`` gives identical values); a distance needs
the nearest feature, which can lie anywhere, so a chunked run needs a halo as large as the largest
distance that matters (or a cap on the distance); the in-memory simulation computes them on the
whole map.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ...core.errors import InputValidationError, LandcarbonWarning
from ...core.grid import grid_of, row_areas_ha
from ...ops.neighbourhood import _cell_metres
from .drivers import valid_mask


@dataclass(frozen=True)
class DerivedDrivers:
    """Which drivers to derive from the maps.

    class_distance: True = distance to every class; a sequence = to those codes; False = none.
    patch_class / patch_min_ha: class code (e.g. built-up) and the minimum patch area (ha) of
    the patch-distance driver (None = no patch driver). density_radii: window radii in cells
    (r = 1 → 3 × 3, r = 2 → 5 × 5 …) of the class densities; density_classes: their classes (None =
    every class).
    """

    class_distance: bool | Sequence[int] = True
    patch_class: int | None = None
    patch_min_ha: float = 10.0
    density_radii: Sequence[int] = ()
    density_classes: Sequence[int] | None = None

    def check(self) -> None:
        if self.patch_class is not None and not self.patch_min_ha >= 0:
            raise InputValidationError(f"patch_min_ha={self.patch_min_ha}; expected an area >= 0 ha")
        bad = [r for r in self.density_radii if int(r) != r or r < 1]
        if bad:
            raise InputValidationError(f"density radii {bad}; expected whole numbers of cells >= 1")


def _feature_distance(feat: np.ndarray, da: xr.DataArray) -> np.ndarray:
    from scipy import ndimage

    dx_row, dy = _cell_metres(da)
    return ndimage.distance_transform_edt(~feat, sampling=(dy, float(np.mean(dx_row)))).astype(np.float32)


def class_distance(landuse: xr.DataArray, code: int) -> np.ndarray:
    """Distance (m, float32) from every cell centre to the nearest valid cell of class ``code``."""
    arr = np.asarray(landuse.values)
    feat = (arr == code) & valid_mask(landuse, arr)
    if not feat.any():
        raise InputValidationError(f"class {code} does not occur in the map {landuse.name!r}; no distance to it")
    return _feature_distance(feat, landuse)


def patch_distance(landuse: xr.DataArray, code: int, min_ha: float) -> np.ndarray:
    """Distance (m, float32) to the nearest 8-connected patch of class ``code`` of at least ``min_ha``
    hectares (cell areas from the grid; ellipsoidal rows on geographic grids)."""
    from scipy import ndimage

    arr = np.asarray(landuse.values)
    feat = (arr == code) & valid_mask(landuse, arr)
    lab, n = ndimage.label(feat, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        raise InputValidationError(f"class {code} does not occur in the map {landuse.name!r}; no patch distance")
    row_ha = row_areas_ha(grid_of(landuse))
    area = np.bincount(lab.ravel(), weights=np.broadcast_to(row_ha[:, None], lab.shape).ravel(), minlength=n + 1)
    big = area >= float(min_ha) - 1e-9
    big[0] = False
    keep = big[lab]
    if not keep.any():
        raise InputValidationError(f"no patch of class {code} reaches {min_ha:g} ha (largest: {area[1:].max():.2f} "
                                   f"ha); lower patch_min_ha")
    return _feature_distance(keep, landuse)


def class_density(landuse: xr.DataArray, code: int, radius: int) -> np.ndarray:
    """Share (float32, 0–1) of the (2r + 1)² window, the cell included, that is class ``code``;
    outside the map and nodata count as not ``code``."""
    from scipy import ndimage

    arr = np.asarray(landuse.values)
    feat = ((arr == code) & valid_mask(landuse, arr)).astype(np.float64)
    size = 2 * int(radius) + 1
    out = ndimage.uniform_filter(feat, size=size, mode="constant", cval=0.0)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def derived_drivers(landuse: xr.DataArray, spec: DerivedDrivers, *, codes: Sequence[int] | None = None
                    ) -> dict[str, xr.DataArray]:
    """The derived driver layers of one map: name -> float32 DataArray on the map's grid (units in
    ``attrs``: m for distances, 1 for densities). ``codes``: the classes to consider (default: the
    codes present in the map)."""
    spec.check()
    arr = np.asarray(landuse.values)
    present = sorted(int(c) for c in np.unique(arr[valid_mask(landuse, arr)]))
    codes = present if codes is None else [int(c) for c in codes]
    out: dict[str, xr.DataArray] = {}

    def wrap(a: np.ndarray, name: str, units: str) -> xr.DataArray:
        da = xr.DataArray(a, dims=landuse.dims, coords={d: landuse.coords[d] for d in landuse.dims}, name=name,
                          attrs={"units": units})
        if landuse.rio.crs is not None:
            da = da.rio.write_crs(landuse.rio.crs)
        return da.rio.write_transform(landuse.rio.transform()).rio.write_nodata(np.nan, encoded=False)

    if spec.class_distance is not False:
        dist_codes = codes if spec.class_distance is True else [int(c) for c in spec.class_distance]
        for c in dist_codes:
            if c in present:
                out[f"dist_class_{c}"] = wrap(class_distance(landuse, c), f"dist_class_{c}", "m")
    if spec.patch_class is not None:
        name = f"dist_patch_{int(spec.patch_class)}_{spec.patch_min_ha:g}ha"
        out[name] = wrap(patch_distance(landuse, int(spec.patch_class), spec.patch_min_ha), name, "m")
    dens_codes = codes if spec.density_classes is None else [int(c) for c in spec.density_classes]
    for r in spec.density_radii:
        for c in dens_codes:
            name = f"density_{c}_r{int(r)}"
            out[name] = wrap(class_density(landuse, c, int(r)), name, "1")
    return out


def derived_pair(train_map: xr.DataArray | None, start: xr.DataArray, spec: DerivedDrivers, *,
                 codes: Sequence[int]) -> tuple[dict[str, xr.DataArray], dict[str, xr.DataArray]]:
    """(training layers from ``train_map``, prediction layers from ``start``) with the same names.

    A class absent from one of the two maps gets no distance driver (a warning names it): its
    distance is undefined there. Without ``train_map`` the training layers are empty."""
    pred = derived_drivers(start, spec, codes=codes)
    if train_map is None:
        return {}, pred
    train = derived_drivers(train_map, spec, codes=codes)
    dropped = sorted(set(pred) ^ set(train))
    if dropped:
        warnings.warn(f"derived drivers {dropped} are left out: their class is missing from the calibration or the "
                      f"start map", LandcarbonWarning, stacklevel=3)
    common = [k for k in pred if k in train]
    # a layer constant over the map (a class everywhere, a density with no variation) carries nothing
    keep = [k for k in common if float(np.nanmax(train[k].values)) > float(np.nanmin(train[k].values))]
    if len(keep) < len(common):
        warnings.warn(f"derived drivers {sorted(set(common) - set(keep))} are constant on the calibration map and are "
                      f"left out", LandcarbonWarning, stacklevel=3)
    return {k: train[k] for k in keep}, {k: pred[k] for k in keep}
