"""三区三线: statistics, conflicts and the rule table the simulation reads (methods.md §10.6, §8.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.classes import NATIONAL6
from landcarbon.core.errors import GridMismatchError
from landcarbon.models.evaluate import control_lines as cl
from landcarbon.models.simulate import rules as sim_rules
from landcarbon.testing import make_lulc

# national6 codes: 1 cropland, 2 forest, 3 grassland, 4 water, 5 built-up, 6 unused
LU = [[1, 1, 2, 2],
      [1, 1, 2, 2],
      [5, 5, 1, 3],
      [5, 5, 1, 0]]   # 0 = nodata
RED = [[0, 1, 1, 1], [0, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
PBF = [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]]
UB = [[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0], [1, 0, 0, 0]]
SLOPE = [[30, 2, 2, 2], [2, 2, 2, 2], [2, 2, 40, 2], [2, 2, 2, 2]]


def lines():
    return {k: make_lulc(v, nodata=None, dtype="uint8", name=k)
            for k, v in (("eco_redline", RED), ("basic_farmland", PBF), ("urban_boundary", UB))}


def test_conflicts_by_hand():
    lu = make_lulc(LU, nodata=0)  # 1 ha cells
    slope = make_lulc(SLOPE, nodata=None, dtype="float32")
    res = cl.conflicts(lu, lines(), NATIONAL6.group_of(), slope=slope)
    t = res.table.set_index("check")
    # PBF ∩ red line: (0,1), (1,1) -> 2 cells
    assert t.loc["pbf_in_redline", "cells"] == 2
    # cropland in the red line: (0,1), (1,1) -> 2
    assert t.loc["cropland_in_redline", "cells"] == 2
    # built-up (code 5) at (2,0),(2,1),(3,0),(3,1); boundary covers (2,0),(3,0) -> 2 outside
    assert t.loc["builtup_outside_boundary", "cells"] == 2
    # PBF ∩ boundary: (2,2) -> 1; red line ∩ boundary: none
    assert t.loc["pbf_in_boundary", "cells"] == 1 and t.loc["redline_in_boundary", "cells"] == 0
    # PBF on slope > 25: (0,0) 30 deg and (2,2) 40 deg -> 2 cells = 2 ha
    assert t.loc["pbf_on_steep_slope", "area_ha"] == pytest.approx(2.0)
    r = res.raster.values
    assert r[0, 1] == 1 | 2 and r[0, 0] == 32 and r[2, 2] == 8 | 32 and r[2, 1] == 4


def test_conflict_without_slope_is_reported_skipped():
    lu = make_lulc(LU, nodata=0)
    res = cl.conflicts(lu, lines(), NATIONAL6.group_of())
    assert any(s.startswith("pbf_on_steep_slope") for s in res.skipped)


def test_line_stats_by_hand():
    lu = make_lulc(LU, nodata=0)
    st = cl.line_stats(lu, lines(), NATIONAL6.group_of())
    red_in = st[(st.line == "eco_redline") & (st["where"] == "inside")].set_index("group")
    # red line cells: (0,1) crop, (0,2) forest, (0,3) forest, (1,1) crop, (1,2) forest, (1,3) forest
    assert red_in.loc["cropland", "area_ha"] == 2 and red_in.loc["forest", "area_ha"] == 4
    assert st[(st.line == "eco_redline")].area_ha.sum() == 15  # 15 valid cells


def test_rule_table_is_what_the_simulation_reads():
    rt = cl.rule_table()
    assert list(rt.columns) == list(sim_rules.RULE_COLUMNS)
    pd.testing.assert_frame_equal(rt.reset_index(drop=True), sim_rules.check_rules(sim_rules.DEFAULT_RULES)
                                  [list(sim_rules.RULE_COLUMNS)].reset_index(drop=True))
    soft = cl.rule_table(redline="soft", freeze_pbf=True)
    assert ("basic_farmland", "freeze") in set(zip(soft.line, soft.action))
    # compiles against the simulation's own compiler: inside the red line nothing may change
    codes = [1, 2, 5]
    tm = sim_rules.transition_matrix(None, codes)
    masks = {"eco_redline": np.array([True, False]), "basic_farmland": np.array([False, False]),
             "urban_boundary": np.array([False, False])}
    comp = sim_rules.compile_rules(rt, masks, codes, np.array([0, 0]), tm,
                                   groups={1: "cropland", 2: "forest", 5: "built_up"})
    inside = comp.allow[comp.combo[0]]
    assert inside.sum() == 3  # only staying put (diagonal)


def test_raster_line_on_another_grid(tmp_path):
    from landcarbon.core.grid import grid_of
    from landcarbon.io import write_raster
    from landcarbon.workflow.evaluate import load_line

    lu = make_lulc(LU, nodata=0)
    other = make_lulc(RED, nodata=None, dtype="uint8", cell_size=30)
    p = tmp_path / "red.tif"
    write_raster(other.values, p, grid_of(other), dtype="uint8")
    with pytest.raises(GridMismatchError, match="align_to"):
        load_line(p, lu, "eco_redline")


def test_vector_line_in_another_crs_is_reprojected(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from landcarbon.workflow.evaluate import load_line

    lu = make_lulc(LU, nodata=0)  # EPSG:32650, origin (500000, 3400000), 100 m cells
    # the left half (x 500000-500200) as a polygon, written in EPSG:4326
    g = gpd.GeoDataFrame({"n": [1]}, geometry=[box(500000, 3399600, 500200, 3400000)], crs="EPSG:32650")
    g.to_crs("EPSG:4326").to_file(tmp_path / "ub.gpkg")
    m = load_line(tmp_path / "ub.gpkg", lu, "urban_boundary").values
    assert m[:, :2].all() and not m[:, 2:].any()
