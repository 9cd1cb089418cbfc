"""run_simulate reads zones and control lines through landcarbon.io.inputs: zones as a raster of
zone ids or as a vector layer, lines as vector or raster; both spellings give the same simulation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from landcarbon.core.errors import InputValidationError
from landcarbon.core.grid import grid_of
from landcarbon.io import read_raster, write_raster
from landcarbon.models.simulate import LeasParams
from landcarbon.testing import make_lulc
from landcarbon.workflow.simulate import run_simulate

N = 20
FAST = LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1)
X0, Y0 = 500_000.0, 3_400_000.0  # make_lulc's origin, 100 m cells


@pytest.fixture()
def world(tmp_path):
    yy, xx = np.mgrid[0:N, 0:N]
    r = np.hypot(yy - N / 2, xx - N / 2)
    a = np.full((N, N), 1, np.int16)
    a[:, :4] = 3
    a[r < 3] = 2
    b = a.copy()
    b[(r < 5) & (a == 1)] = 2
    g = grid_of(make_lulc(a))
    f = {}
    for name, arr, nd, dt in (("a", a, 0, "int16"), ("b", b, 0, "int16"),
                              ("dem", (xx * 2.0 + yy).astype(np.float32), None, "float32"),
                              ("dist", r.astype(np.float32), None, "float32")):
        f[name] = write_raster(arr, tmp_path / f"{name}.tif", g, nodata=nd, dtype=dt)
    west = np.arange(N)[None, :].repeat(N, axis=0) < N // 2
    codes = np.where(west, 420102, 420111).astype(np.int32)
    f["zones_tif"] = write_raster(codes, tmp_path / "zones.tif", g, nodata=0, dtype="int32")
    halves = [box(X0, Y0 - N * 100, X0 + N * 50, Y0), box(X0 + N * 50, Y0 - N * 100, X0 + N * 100, Y0)]
    gpd.GeoDataFrame({"name": ["江岸区", "洪山区"]}, geometry=halves, crs="EPSG:32650").to_crs("EPSG:4326") \
        .to_file(tmp_path / "zones.gpkg")
    f["zones_gpkg"] = tmp_path / "zones.gpkg"
    # the red line: the northern 5 rows, as a vector and as a raster
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(X0, Y0 - 500, X0 + N * 100, Y0)], crs="EPSG:32650") \
        .to_file(tmp_path / "red.gpkg")
    red = np.zeros((N, N), np.uint8)
    red[:5] = 1
    f["red_tif"] = write_raster(red, tmp_path / "red.tif", g, dtype="uint8")
    f["red_gpkg"] = tmp_path / "red.gpkg"
    rows = []
    for zname, zid, m in (("江岸区", 420102, west), ("洪山区", 420111, ~west)):
        for c in (1, 2, 3):
            cells = int((b[m] == c).sum()) + {1: -6, 2: 6, 3: 0}[c]
            rows.append((zname, zid, c, cells))
    dem = pd.DataFrame(rows, columns=["name", "zone", "code", "cells"])
    dem[["zone", "code", "cells"]].to_csv(tmp_path / "demand_ids.csv", index=False)
    dem[["name", "code", "cells"]].rename(columns={"name": "zone"}).to_csv(tmp_path / "demand_names.csv",
                                                                          index=False)
    f["west"] = west
    f["b_arr"] = b
    return f


def _run(world, tmp_path, out, zones, demand, line, zone_field=None):
    return run_simulate(start=str(world["b"]), calibrate_from=str(world["a"]), calibrate_to=str(world["b"]),
                        drivers=[f"{world['dem']}:dem", str(world["dist"])], demand=str(tmp_path / demand),
                        out=[str(tmp_path / out)], seed=5, zones=str(zones), zone_field=zone_field, lines=[f"eco_redline={line}"],
                        leas_params=FAST, write_potential=False)


def test_zones_and_lines_vector_or_raster_same_map(world, tmp_path):
    r1 = _run(world, tmp_path, "s1", world["zones_tif"], "demand_ids.csv", world["red_tif"])
    r2 = _run(world, tmp_path, "s2", world["zones_gpkg"], "demand_names.csv", world["red_gpkg"], "name")
    m1 = read_raster(r1 / "sim.tif", chunks=None).values
    m2 = read_raster(r2 / "sim.tif", chunks=None).values
    assert np.array_equal(m1, m2)
    b, west = world["b_arr"], world["west"]
    for m in (west, ~west):  # each zone gets its own demand: +6 built-up cells
        assert (m1[m] == 2).sum() == (b[m] == 2).sum() + 6
    assert np.array_equal(m1[:5], b[:5])  # nothing changes inside the red line


def test_line_spec_error_names_the_key(world, tmp_path):
    with pytest.raises(InputValidationError) as ei:
        run_simulate(start=str(world["b"]), calibrate_from=str(world["a"]), calibrate_to=str(world["b"]),
                     drivers=[str(world["dem"])], demand=str(tmp_path / "demand_ids.csv"), out=[str(tmp_path / "x")],
                     seed=1, lines=["redline.gpkg"])
    assert ei.value.issues[0].key == "lines" and "--" not in str(ei.value)
