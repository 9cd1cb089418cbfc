"""GridSpec equality, alignment checks and cell areas (methods.md §1.3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS

from landcarbon.core.errors import GridMismatchError, InputValidationError
from landcarbon.core.grid import GridSpec, cell_area_ha, ensure_aligned, grid_of, row_areas_ha
from landcarbon.testing import make_lulc


def _geo(y_top: float, rows: int = 1, d: float = 0.05, crs: str = "EPSG:4326", x0: float = 100.0) -> GridSpec:
    return GridSpec((rows, 4), Affine(d, 0, x0, 0, -d, y_top), crs)


# -- GridSpec ---------------------------------------------------------------------------------------------

def test_gridspec_equality_and_tolerance():
    t = Affine(30, 0, 500_000, 0, -30, 3_400_000)
    a = GridSpec((10, 20), t, "EPSG:32650")
    assert a == GridSpec([10, 20], t, CRS.from_epsg(32650))  # list shape and CRS object normalised
    # a shift of 1e-12 of a cell is the same grid; a shift of 1 m is not
    assert a == GridSpec((10, 20), Affine(30, 0, 500_000 + 30e-12, 0, -30, 3_400_000), "EPSG:32650")
    assert a != GridSpec((10, 20), Affine(30, 0, 500_001, 0, -30, 3_400_000), "EPSG:32650")
    assert a != GridSpec((10, 21), t, "EPSG:32650")
    assert a != GridSpec((10, 20), t, "EPSG:32649")
    assert a != GridSpec((10, 20), t, None)
    assert a.res == (30.0, 30.0)
    assert a.bounds == (500_000, 3_400_000 - 300, 500_000 + 600, 3_400_000)
    assert "EPSG:32650" in str(a) and "10x20" in str(a)


def test_grid_of_reads_the_dataarray():
    da = make_lulc([[1, 2], [3, 4]], cell_size=100)
    g = grid_of(da)
    assert g.shape == (2, 2)
    assert g.transform == Affine(100, 0, 500_000, 0, -100, 3_400_000)
    assert g.crs == CRS.from_epsg(32650)


def test_ensure_aligned_names_both_grids_and_the_fix():
    a = make_lulc([[1, 2], [3, 4]], cell_size=100, name="lulc_2010")
    b = make_lulc([[1, 2], [3, 4]], cell_size=100, name="lulc_2020")
    assert ensure_aligned(bas=a, alt=b) == grid_of(a)
    shifted = make_lulc([[1, 2], [3, 4]], cell_size=100, origin=(500_100.0, 3_400_000.0))
    with pytest.raises(GridMismatchError) as ei:
        ensure_aligned(bas=a, alt=shifted)
    msg = str(ei.value)
    assert "alt grid" in msg and "bas grid" in msg
    assert "500100" in msg and "500000" in msg  # both origins are printed
    assert "transform" in msg and "align_to" in msg  # what differs and how to fix it
    bigger = make_lulc([[1, 2, 3], [3, 4, 5]], cell_size=100)
    with pytest.raises(GridMismatchError, match="shape"):
        ensure_aligned(bas=a, alt=bigger)
    other_crs = make_lulc([[1, 2], [3, 4]], cell_size=100, crs="EPSG:32649")
    with pytest.raises(GridMismatchError, match="CRS"):
        ensure_aligned(bas=a, alt=other_crs)
    # GridMismatchError is a ValueError, so callers can catch the builtin
    with pytest.raises(ValueError):
        ensure_aligned(bas=a, alt=bigger)
    # None entries (optional inputs) are skipped
    assert ensure_aligned(bas=a, alt=None) == grid_of(a)


# -- cell areas -------------------------------------------------------------------------------------------

def test_row_area_wgs84_methods_test_value():
    # methods.md §1.3 [C]: WGS 84, row 30.00-30.05 N, dlon 0.05 deg -> 26 732 745.6 m2 = 2 673.27 ha
    area = row_areas_ha(_geo(30.05))
    assert area.shape == (1,)
    assert area[0] * 10_000 == pytest.approx(26_732_745.6, rel=1e-6)
    assert round(area[0], 2) == 2673.27  # the ha figure is printed to 2 decimals
    # agrees with the geodesic polygon area from GeographicLib (methods: 2e-8 relative)
    from pyproj import Geod

    poly, _ = Geod(ellps="WGS84").polygon_area_perimeter([100, 100.05, 100.05, 100], [30, 30, 30.05, 30.05])
    assert area[0] == pytest.approx(abs(poly) / 10_000, rel=1e-7)


def test_row_areas_vector_and_orientation():
    g = _geo(30.05, rows=3)  # rows 30.00-30.05, 29.95-30.00, 29.90-29.95
    rows = row_areas_ha(g)
    assert rows.shape == (3,)
    assert rows[0] * 10_000 == pytest.approx(26_732_745.6, rel=1e-6)
    assert rows[0] < rows[1] < rows[2]  # cells grow towards the equator
    # a south-up grid (positive E) gives the same area for the same band
    south_up = GridSpec((1, 4), Affine(0.05, 0, 100, 0, 0.05, 30.0), "EPSG:4326")
    assert row_areas_ha(south_up)[0] == pytest.approx(rows[0], rel=1e-12)
    assert isinstance(cell_area_ha(g), np.ndarray)


def test_row_area_cgcs2000_reads_the_ellipsoid_from_the_crs():
    wgs = row_areas_ha(_geo(30.05))[0]
    cgcs = row_areas_ha(_geo(30.05, crs="EPSG:4490"))[0]
    # CGCS2000 1/f = 298.257222101 vs WGS 84 298.257223563: same a_e, tiny difference in f
    assert cgcs != wgs
    assert cgcs == pytest.approx(wgs, rel=1e-8)
    # the zone formula by hand with the CGCS2000 constants
    a, f = 6_378_137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def q(phi):
        s = math.sin(phi)
        return (1 - e2) * (s / (1 - e2 * s * s) - 1 / (2 * e) * math.log((1 - e * s) / (1 + e * s)))

    by_hand = a * a / 2 * math.radians(0.05) * (q(math.radians(30.05)) - q(math.radians(30.0))) / 10_000
    assert cgcs == pytest.approx(by_hand, rel=1e-12)
    # a sphere (e = 0) of the same semi-major axis: R^2 dlon (sin phin - sin phis)
    sphere = CRS.from_proj4("+proj=longlat +a=6378137 +b=6378137 +no_defs")
    r = 6_378_137.0
    expect = r * r * math.radians(0.05) * (math.sin(math.radians(30.05)) - math.sin(math.radians(30.0))) / 1e4
    assert row_areas_ha(_geo(30.05, crs=sphere))[0] == pytest.approx(expect, rel=1e-12)


def test_projected_nominal_area():
    # 30 m x 30 m = 900 m2 = 0.09 ha in UTM 50N and in a CGCS2000 3-degree Gauss-Krueger zone
    for crs in ("EPSG:32650", "EPSG:4547"):
        g = GridSpec((3, 2), Affine(30, 0, 500_000, 0, -30, 3_400_000), crs)
        np.testing.assert_allclose(row_areas_ha(g), [0.09, 0.09, 0.09], rtol=1e-15)
        assert cell_area_ha(g) == pytest.approx(0.09)
    # 100 m cells -> exactly 1 ha
    assert cell_area_ha(grid_of(make_lulc([[1]], cell_size=100))) == pytest.approx(1.0)


def test_web_mercator_refused_with_the_fix():
    g = GridSpec((10, 10), Affine(1000, 0, 12_600_000, 0, -1000, 3_500_000), "EPSG:3857")  # ~30 N
    with pytest.raises(InputValidationError) as ei:
        row_areas_ha(g)
    msg = str(ei.value)
    assert "Pseudo-Mercator" in msg
    assert "33" in msg  # sec^2(30 deg) = 1.333: area overstated by ~33 %
    assert "reproject" in msg and "equal-area" in msg


def test_rotated_geographic_grid_refused():
    g = GridSpec((2, 2), Affine(0.05, 0.01, 100, 0, -0.05, 30), "EPSG:4326")
    with pytest.raises(InputValidationError, match="rotated"):
        row_areas_ha(g)


def test_unknown_area_method_refused():
    g = GridSpec((2, 2), Affine(30, 0, 500_000, 0, -30, 3_400_000), "EPSG:32650")
    with pytest.raises(InputValidationError, match="area_method"):
        row_areas_ha(g, area_method="planar")
