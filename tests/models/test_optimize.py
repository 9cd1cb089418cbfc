"""Land-structure optimisation (methods.md §12): LP optimum, infeasibility, NSGA-II front, demand table."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.core.errors import InfeasibleError, InputValidationError
from landcarbon.models.optimize import build_problem, demand_table, solve_lp, solve_nsga2
from landcarbon.models.optimize.nsga import choose, knee_point, repair_sum, topsis

pytest.importorskip("highspy")


def small_problem(**cons):
    return build_problem({"cropland": 60, "forest": 20, "built_up": 20},
                         carbon_density={"cropland": 80, "forest": 160, "built_up": 40},
                         economy={"cropland": 1, "forest": 0, "built_up": 10}, constraints=cons)


def test_lp_known_optimum():
    p = small_problem(cropland_min_ha=50, built_up_min_ha=20)
    r = solve_lp(p, "carbon")
    # max 80 c + 160 f + 40 b, c + f + b = 100, c >= 50, b >= 20 -> c = 50, f = 30, b = 20
    # carbon = 4000 + 4800 + 800 = 9600 Mg C
    assert r.x.to_dict() == pytest.approx({"cropland": 50, "forest": 30, "built_up": 20})
    assert r.values["carbon"] == pytest.approx(9600)
    e = solve_lp(p, "economy")  # economy: built-up as large as allowed: b = 50, c = 50, f = 0
    assert e.x["built_up"] == pytest.approx(50) and e.values["economy"] == pytest.approx(550)


def test_infeasible_lower_bounds_name_the_pair():
    p = small_problem(cropland_min_ha=70, forest_min_ha=40)
    with pytest.raises(InfeasibleError, match=r"70\.0 ha.*\+.*40\.0 ha.* = 110\.0 ha > total area 100\.0 ha"):
        solve_lp(p, "carbon")


def test_infeasible_bound_against_bound():
    p = small_problem(built_up_min_ha=30, built_up_max_ha=25)
    with pytest.raises(InfeasibleError, match=r"built_up.*30\.0 ha.*exceeds.*25\.0 ha"):
        solve_lp(p, "carbon")


def test_infeasible_rows_diagnosed_by_highs_elastic_model():
    p = small_problem(cropland_min_ha=50, forest_min_ha=30,
                      extra=[{"name": "cropland + forest <= 70 ha", "coeffs": {"cropland": 1, "forest": 1}, "hi": 70}])
    # pre-check passes (50 + 30 <= 100) but the row conflicts with both lower bounds by 10 ha
    with pytest.raises(InfeasibleError, match=r"cropland \+ forest <= 70 ha' misses by 10\.0 ha"):
        solve_lp(p, "carbon")


def test_weighted_sum_and_weights_check():
    p = small_problem(cropland_min_ha=50, built_up_min_ha=20)
    r = solve_lp(p, {"carbon": 0.5, "economy": 0.5})
    assert r.x.sum() == pytest.approx(100)
    with pytest.raises(InputValidationError, match="sum to 0.8"):
        solve_lp(p, {"carbon": 0.5, "economy": 0.3})


def test_nsga2_known_front_and_reproducible():
    pytest.importorskip("pymoo")
    # 3 classes, S = 10, f1 = 3a + b (max), f2 = b + 3c (max). On the front b = 0 and f1 + f2 = 30
    # (for fixed f1 the best f2 is 30 - f1, reached with a = f1/3, b = 0).
    p = build_problem({"a": 5, "b": 3, "c": 2}, carbon_density={"a": 3, "b": 1, "c": 0},
                      economy={"a": 0, "b": 1, "c": 3}, constraints={"unused_max_current": False})
    r1 = solve_nsga2(p, seed=7, pop_size=24, n_gen=40)
    f = r1.f.to_numpy()
    assert len(f) >= 10
    # 40 generations of 24: every solution within 5 % of the true front, on average within 2.5 %
    assert np.all(f.sum(axis=1) > 28.5) and f.sum(axis=1).mean() > 29.25 and np.all(f.sum(axis=1) <= 30 + 1e-6)
    assert f[:, 0].max() - f[:, 0].min() > 20  # the front is spread, not one point
    assert np.allclose(r1.x.sum(axis=1), 10)
    r2 = solve_nsga2(p, seed=7, pop_size=24, n_gen=40)
    assert np.array_equal(r1.f.to_numpy(), r2.f.to_numpy()) and r1.chosen == r2.chosen
    with pytest.raises(InputValidationError, match="seed"):
        solve_nsga2(p, seed=None)


def test_compromise_rules_by_hand():
    f = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])
    # TOPSIS, vector-normalised, equal weights: C = 0.5, 0.5, 0.6 -> the balanced point
    assert topsis(f, ["max", "max"]).tolist() == pytest.approx([0.5, 0.5, 0.6], abs=1e-9)
    assert choose(f, ["max", "max"], "topsis") == 2
    assert knee_point(f, ["max", "max"]) == 2
    assert choose(f, ["max", "max"], "ideal") == 2


def test_repair_keeps_total_and_bounds():
    x = repair_sum(np.array([[5.0, 5.0, 5.0]]), np.zeros(3), np.array([4.0, 10, 10]), 10.0)
    assert x.sum() == pytest.approx(10) and x[0, 0] <= 4


def test_demand_table_largest_remainder():
    # cropland -> code 3; forest -> codes 2 and 7 split by current cells 30 : 10 (0.75 / 0.25)
    # step 1, groups (1 ha cells, 20 valid): cropland 10.05, forest 9.95 -> floors 10 + 9, the last cell to
    # the largest remainder (forest .95) -> 10, 10
    # step 2, forest's 10 cells over codes 2, 7: 7.5, 2.5 -> floors 7 + 2, tie .5/.5 -> lower index (code 2) -> 8, 2
    d = demand_table({"cropland": 10.05, "forest": 9.95}, class_groups={3: "cropland", 2: "forest", 7: "forest"},
                     current_cells={3: 5, 2: 30, 7: 10}, valid_cells=20, cell_area_ha=1.0)
    assert d.set_index("code")["cells"].to_dict() == {2: 8, 3: 10, 7: 2}
    assert d["cells"].sum() == 20 and d["cells"].dtype.kind == "i"


def test_bounds_snapped_to_cells_keep_the_quota():
    from landcarbon.models.optimize.problem import snap_to_cells

    # quota 0.95 x 3 cells of 0.09 ha = 0.2565 ha -> at least 3 whole cells (0.27 ha) after snapping
    p = build_problem({"cropland": 0.27, "forest": 0.09}, carbon_density={"cropland": 1, "forest": 2},
                      constraints={"cropland_min_ha": 0.2565})
    snap_to_cells(p, 0.09)
    r = solve_lp(p, "carbon")
    assert r.x["cropland"] == pytest.approx(0.27)


def test_by_zone_lp_by_hand():
    import pandas as pd

    from landcarbon.models.optimize.problem import build_problem_by_zone

    cur = pd.DataFrame({"cropland": [60, 30], "forest": [20, 50], "built_up": [20, 20]}, index=["A", "B"])
    p = build_problem_by_zone(cur, carbon_density={"cropland": 80, "forest": 160, "built_up": 40},
                              constraints={"cropland_min_ha": 80, "built_up_min_ha": 45, "max_change": 0.5})
    r = solve_lp(p, "carbon")
    x = r.x
    # zone totals stay 100 each; class totals: cropland >= 80 and built-up >= 45 bind, forest = 200 - 125 = 75
    # carbon = 80 x 80 + 75 x 160 + 45 x 40 = 6400 + 12000 + 1800 = 20 200 Mg C
    assert r.values["carbon"] == pytest.approx(20200)
    assert x[["A:cropland", "A:forest", "A:built_up"]].sum() == pytest.approx(100)
    assert x[["A:cropland", "B:cropland"]].sum() == pytest.approx(80)
    assert x[["A:built_up", "B:built_up"]].sum() == pytest.approx(45)
    # max_change 0.5 bounds every zone's class: A forest <= 30, B forest <= 75
    assert x["A:forest"] <= 30 + 1e-9 and x["B:forest"] <= 75 + 1e-9
    with pytest.raises(InfeasibleError, match="zone B area 100.0 ha"):
        solve_lp(build_problem_by_zone(cur, carbon_density={"cropland": 1, "forest": 1, "built_up": 1},
                                       zone_constraints={"B": {"cropland_min_ha": 60, "forest_min_ha": 50}}),
                 "carbon")


def test_wuhan_2030_structure(shared_data, tmp_path):
    import pandas as pd

    from landcarbon.io import read_raster
    from landcarbon.workflow.optimize import run_optimize

    d = shared_data / "wuhan_plus"
    scheme = tmp_path / "wuhan_scheme.csv"
    pd.DataFrame({"code": [1, 2, 3, 4, 5, 6, 7],
                  "group": ["grassland", "forest", "cropland", "built_up", "unused", "water", "forest"]}
                 ).to_csv(scheme, index=False)
    a = read_raster(d / "wh2010_refy.tif", categorical=True, chunks=None).values
    crop, forest = int((a == 3).sum()), int(((a == 2) | (a == 7)).sum())
    valid = int((a != -128).sum())
    s = run_optimize(tmp_path / "opt", landuse=d / "wh2010_refy.tif", scheme=scheme, config={
        "objectives": ["carbon"], "method": "lp",
        "constraints": {"cropland_min_ha": 0.95 * crop * 0.09, "forest_min_ha": forest * 0.09, "max_change": 0.3}})
    dem = pd.read_csv(tmp_path / "opt" / "demand.csv", encoding="utf-8-sig").set_index("code")["cells"]
    assert dem.sum() == valid == s["valid_cells"]
    assert dem[3] >= 0.95 * crop and dem[2] + dem[7] >= forest  # the bounds hold in whole cells
    assert s["objectives_demand_table"]["carbon"] > s["objectives_current"]["carbon"]
