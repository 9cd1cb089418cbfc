"""The one grid descriptor, alignment checks and cell areas (methods.md §1.3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS

from .errors import GridMismatchError, InputValidationError
from .units import M2_PER_HA

#: areal scale factor departing from 1 by more than this refuses nominal area [D]
MAX_AREAL_DISTORTION = 0.01


@dataclass(frozen=True)
class GridSpec:
    """Shape (rows, cols), affine transform and CRS of a raster grid.

    The CRS and transform on a DataArray (rioxarray conventions) are the one source of truth;
    ``GridSpec`` summarises them so grids can be compared and described.
    """

    shape: tuple[int, int]
    transform: Affine
    crs: CRS | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", (int(self.shape[0]), int(self.shape[1])))
        if self.crs is not None and not isinstance(self.crs, CRS):
            object.__setattr__(self, "crs", CRS.from_user_input(self.crs))

    # equality: same shape, transform (to 1e-9 of a cell) and CRS
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GridSpec):
            return NotImplemented
        if self.shape != other.shape:
            return False
        tol = 1e-9 * max(abs(self.transform.a), abs(self.transform.e), 1e-12)
        if not all(abs(a - b) <= tol * max(1.0, abs(a)) for a, b in zip(self.transform[:6], other.transform[:6])):
            return False
        if (self.crs is None) != (other.crs is None):
            return False
        return self.crs is None or self.crs == other.crs

    def __hash__(self) -> int:
        return hash((self.shape, tuple(round(v, 6) for v in self.transform[:6])))

    @property
    def res(self) -> tuple[float, float]:
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        rows, cols = self.shape
        xs = [t.c, t.c + t.a * cols]
        ys = [t.f, t.f + t.e * rows]
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def is_geographic(self) -> bool:
        return bool(self.crs is not None and self.crs.is_geographic)

    def describe(self) -> str:
        crs = "no CRS" if self.crs is None else (self.crs.to_string() if self.crs.to_epsg() is None
                                                 else f"EPSG:{self.crs.to_epsg()}")
        rx, ry = self.res
        x0, y0 = self.transform.c, self.transform.f
        return f"{self.shape[0]}x{self.shape[1]} cells of {rx:g}x{ry:g} at ({x0:g}, {y0:g}) in {crs}"

    def __str__(self) -> str:
        return self.describe()


def grid_of(da: Any) -> GridSpec:
    """The GridSpec of a rioxarray DataArray (CRS and transform from ``da.rio``)."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    rows, cols = da.shape[-2], da.shape[-1]
    try:
        transform = da.rio.transform(recalc=False)
    except Exception:  # pragma: no cover - rioxarray raises several kinds for missing coords
        transform = Affine.identity()
    return GridSpec((rows, cols), transform, da.rio.crs)


def ensure_aligned(**das: Any) -> GridSpec:
    """Check that every named DataArray (or GridSpec) shares one grid; return it.

    Raises GridMismatchError naming both grids and the fix.
    """
    items = [(k, v if isinstance(v, GridSpec) else grid_of(v)) for k, v in das.items() if v is not None]
    if not items:
        raise ValueError("ensure_aligned() needs at least one grid")
    (ref_name, ref), *rest = items
    for name, g in rest:
        if g != ref:
            what = []
            if g.shape != ref.shape:
                what.append("shape")
            if g.crs != ref.crs:
                what.append("CRS")
            if g.shape == ref.shape and g.crs == ref.crs:
                what.append("transform (origin or cell size)")
            raise GridMismatchError(
                f"{name} grid ({g}) differs from {ref_name} grid ({ref}) in {' and '.join(what)}; "
                f"resample {name} onto the {ref_name} grid (landcarbon.io.align_to(), nearest neighbour "
                f"for classes) or pass --align to do it on request"
            )
    return ref


def _q(phi: np.ndarray, e: float) -> np.ndarray:
    s = np.sin(phi)
    if e == 0:
        return 2 * s
    return (1 - e * e) * (s / (1 - e * e * s * s) - (1 / (2 * e)) * np.log((1 - e * s) / (1 + e * s)))


def row_areas_ha(grid: GridSpec, *, area_method: str = "nominal") -> np.ndarray:
    """Area of one cell in each row (ha), a float64 vector of length ``rows``.

    Projected CRS: nominal |A·E − B·D| × u² (identical for every row), refused where the areal
    scale factor departs from 1 by more than 1 % (e.g. Web Mercator). Geographic CRS: the
    ellipsoidal zone-segment area of each row (methods.md §1.3), ellipsoid read from the CRS.
    """
    t = grid.transform
    rows = grid.shape[0]
    crs = grid.crs
    if crs is not None and crs.is_geographic:
        if t.b != 0 or t.d != 0:
            raise InputValidationError(
                "rotated geographic grids are not supported; warp the map to a north-up grid first")
        ell = crs.ellipsoid
        a_e = ell.semi_major_metre
        inv_f = ell.inverse_flattening
        f = 0.0 if not inv_f else 1.0 / inv_f
        e = math.sqrt(f * (2 - f))
        edges = t.f + t.e * np.arange(rows + 1, dtype=np.float64)
        phi = np.radians(np.clip(edges, -90.0, 90.0))
        qv = _q(phi, e)
        dlam = math.radians(abs(t.a))
        return np.abs(qv[:-1] - qv[1:]) * (a_e * a_e / 2.0) * dlam / M2_PER_HA
    if area_method not in ("nominal", "geodesic"):
        raise InputValidationError(f"area_method {area_method!r} is unknown; expected 'nominal' or 'geodesic'")
    u = 1.0
    if crs is not None:
        try:
            u = float(crs.axis_info[0].unit_conversion_factor)
        except (IndexError, AttributeError):
            u = 1.0
        _check_distortion(grid)
    area = abs(t.a * t.e - t.b * t.d) * u * u / M2_PER_HA
    return np.full(rows, area, dtype=np.float64)


def _check_distortion(grid: GridSpec) -> None:
    from pyproj import Proj

    crs = grid.crs
    if crs is None or crs.is_geographic:
        return
    try:
        from pyproj import Transformer

        proj = Proj(crs)
        x0, y0, x1, y1 = grid.bounds
        xs = np.array([x0, x1, x0, x1, (x0 + x1) / 2])
        ys = np.array([y0, y0, y1, y1, (y0 + y1) / 2])
        # Proj.get_factors takes geographic coordinates, not projected ones
        lon, lat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform(xs, ys)
        factors = proj.get_factors(lon, lat)
        scale = np.asarray(factors.areal_scale, dtype=float)
    except Exception:  # CRS without an inverse, or factors unavailable: nothing to check
        return
    scale = scale[np.isfinite(scale)]
    if scale.size and np.max(np.abs(scale - 1.0)) > MAX_AREAL_DISTORTION:
        raise InputValidationError(
            f"the map's CRS ({crs.name}) distorts area by up to {np.max(np.abs(scale - 1)) * 100:.1f} % over "
            f"its extent, so nominal cell areas would be wrong; reproject the map to an equal-area, UTM or "
            f"Gauss-Krüger CRS (or to geographic coordinates, where cell areas are ellipsoidal)"
        )


def cell_area_ha(grid: GridSpec) -> float | np.ndarray:
    """Cell area in ha: a float for projected grids, a per-row vector for geographic ones."""
    rows = row_areas_ha(grid)
    if grid.is_geographic:
        return rows
    return float(rows[0]) if rows.size else 0.0
