"""Land-use areas by zone and national group (methods.md §3.2), lazy on dask: one weighted
bincount per chunk (:func:`landcarbon.ops.zonal.zone_class_sums`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.classes import GROUPS, ClassScheme, get_scheme
from ...core.errors import EmptyInputError, InputValidationError, MissingClassError
from ...core.grid import grid_of, row_areas_ha
from ...kernels import lookup as _lookup


@dataclass
class LanduseAreas:
    """Area per zone and national group (ha) plus what was left out, as plain tables."""

    areas: pd.DataFrame           # index zone, columns GROUPS (ha)
    by_class: pd.DataFrame        # index zone, columns class codes (ha)
    scheme: str
    excluded_cells: dict[str, float]  # valid and nodata cell counts, area inside the zones (ha)
    outside_zones_ha: float = 0.0     # valid area outside every zone (left out of the account), when known


def landuse_areas_lazy(lulc, scheme: ClassScheme | str = "national6", *, zones=None, n_zones: int = 1,
                       area_method: str = "nominal"):
    """Lazy zonal areas of a land-use map: returns (sums, code_counts) where ``sums`` is
    ``zone_class_sums(...)`` of shape (2, n_zones, n_classes) and ``code_counts`` counts every code of the
    map (for the missing-class check). Both are dask arrays when the map is; nothing is computed here.
    """
    from ...ops.zonal import zone_class_sums

    scheme = get_scheme(scheme)
    grid = grid_of(lulc)
    row = row_areas_ha(grid, area_method=area_method)
    nodata = lulc.rio.nodata if hasattr(lulc, "rio") else None
    data = lulc.data if hasattr(lulc, "data") else lulc
    sums = zone_class_sums(data, scheme.codes, row, nodata=nodata, zones=zones, n_zones=n_zones)
    counts = _code_counts(data, nodata)
    return sums, counts


def _code_range(dtype) -> tuple[int, int] | None:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.integer):
        raise InputValidationError(f"land-use map has data type {dt}; expected integer class codes")
    info = np.iinfo(dt)
    if info.max - info.min > 65535:
        return None
    return int(info.min), int(info.max)


def _block_counts(block, nodata, lo, hi):
    has = nodata is not None
    c, outside, nd = _lookup.code_counts(block, nodata if has else 0, has, lo, hi)
    out = np.zeros(hi - lo + 3, dtype=np.int64)
    out[: hi - lo + 1] = c
    out[-2] = outside
    out[-1] = nd
    return out[None, None]


def _code_counts(data, nodata):
    rng = _code_range(data.dtype)
    if rng is None:  # wide integer types: count the distinct codes exactly
        if hasattr(data, "dask"):
            import dask.array as dsa

            return ("unique", dsa.unique(data))
        return ("unique", np.unique(np.asarray(data)))
    lo, hi = rng
    if hasattr(data, "dask"):
        import dask.array as dsa

        parts = dsa.map_blocks(_block_counts, data, nodata, lo, hi, dtype=np.int64,
                               chunks=((1,) * data.numblocks[0], (1,) * data.numblocks[1], (hi - lo + 3,)),
                               new_axis=2)
        return ("counts", lo, parts.sum(axis=(0, 1)))
    return ("counts", lo, _block_counts(np.asarray(data), nodata, lo, hi)[0, 0])


def _present_codes(counts_spec, nodata) -> np.ndarray:
    if counts_spec[0] == "unique":
        u = np.asarray(counts_spec[1])
        return u[u != nodata] if nodata is not None else u
    _, lo, counts = counts_spec
    counts = np.asarray(counts)
    return np.nonzero(counts[:-2])[0] + lo


def finish_areas(sums, counts_spec, scheme: ClassScheme | str, zone_names: Sequence[str] | None,
                 nodata=None) -> LanduseAreas:
    """Turn computed zonal sums into area tables; refuses map codes missing from the scheme (§1.4)."""
    scheme = get_scheme(scheme)
    present = _present_codes(counts_spec, nodata)
    missing = sorted(set(int(c) for c in present) - set(scheme.codes))
    if missing:
        raise MissingClassError(
            f"land-use map: class codes {missing} are not in the class scheme {scheme.name!r} (codes "
            f"{scheme.codes}); choose the matching scheme or give a scheme table (code, group) that maps them to groups", missing)
    sums = np.asarray(sums)
    area = sums[1]  # (n_zones, n_classes) ha
    names = list(zone_names) if zone_names is not None else ["all"]
    by_class = pd.DataFrame(area, index=pd.Index(names, name="zone"), columns=scheme.codes)
    groups = scheme.group_of()
    areas = pd.DataFrame(0.0, index=by_class.index, columns=list(GROUPS))
    for code in scheme.codes:
        areas[groups[code]] += by_class[code]
    excluded: dict[str, float] = {"area_in_zones_ha": float(area.sum())}
    if counts_spec[0] == "counts":
        c = np.asarray(counts_spec[2])
        excluded |= {"valid_cells": int(c[:-2].sum()), "nodata_cells": int(c[-1])}
    if float(area.sum()) <= 0:
        raise EmptyInputError("no land-use cell falls inside the zones (or every cell is nodata); check that the "
                              "map and the zones cover the same region")
    return LanduseAreas(areas, by_class, scheme.name, excluded)


def landuse_areas(lulc, scheme: ClassScheme | str = "national6", *, zones=None,
                  zone_names: Sequence[str] | None = None, area_method: str = "nominal") -> LanduseAreas:
    """Area (ha) per zone and national group of a land-use DataArray (computes; dask-aware)."""
    n = len(zone_names) if zone_names is not None else 1
    sums, counts = landuse_areas_lazy(lulc, scheme, zones=zones, n_zones=n, area_method=area_method)
    if hasattr(sums, "dask") or (counts[0] == "counts" and hasattr(counts[2], "dask")) or hasattr(counts[-1], "dask"):
        import dask

        sums, c_last = dask.compute(sums, counts[-1])
        counts = (*counts[:-1], c_last)
    nodata = lulc.rio.nodata if hasattr(lulc, "rio") else None
    return finish_areas(sums, counts, scheme, zone_names, nodata)


