"""双评价 (methods.md §10): hand-computed 4x4 maps through each evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.core.errors import GridMismatchError, InputValidationError
from landcarbon.models.evaluate import suitability as su
from landcarbon.testing import make_lulc


def grid(values, nodata=None, dtype="float32", chunks=None):
    return make_lulc(values, cell_size=100, nodata=nodata, dtype=dtype, chunks=chunks)  # 1 ha cells


def test_reference_tables_are_read_not_hard_coded():
    thr = su.load_thresholds()
    row = thr[(thr.evaluation == "agriculture") & (thr.key == "slope")].iloc[0]
    assert row["breaks"] == [2, 6, 15, 25] and row["direction"] == "lower_is_better"
    m = su.load_matrix("agri_land_water")
    assert m.shape == (5, 5) and m[0].tolist() == [1, 1, 1, 2, 5] and m[4].tolist() == [5] * 5
    assert su.load_matrix("agri_base_climate")[1].tolist() == [1, 2, 2, 3, 5]


def test_classify_interval_convention():
    # (lower, upper], lowest closed: slope 2 -> 1, 2.1 -> 2, 6 -> 2, 25 -> 4, 25.1 -> 5
    v = grid([[2, 2.1, 6, 25, 25.1]])
    assert su.classify(v, [2, 6, 15, 25], "lower_is_better").values.tolist() == [[1, 2, 2, 4, 5]]
    # precipitation 1200/800/400/200 (higher better): 1200 -> 2, 1201 -> 1, 200 -> 5, 201 -> 4
    p = grid([[1200, 1201, 200, 201, 800]])
    assert su.classify(p, [1200, 800, 400, 200], "higher_is_better").values.tolist() == [[2, 1, 5, 4, 3]]
    with pytest.raises(InputValidationError, match="not ordered"):
        su.classify(v, [25, 15, 6, 2], "lower_is_better")


def test_agriculture_4x4_by_hand():
    slope = grid([[1, 3, 7, 16], [26, 1, 3, 7], [1, 3, 7, 16], [30, 20, 10, 5]])
    # agri slope breaks 2/6/15/25 -> land levels
    #   [1 2 3 4] [5 1 2 3] [1 2 3 4] [5 4 3 2]
    # precipitation 1000 mm everywhere -> water level 2 (800 < 1000 <= 1200)
    # land x water (column water 2 of agri_land_water: 1 1 2 4 5) -> base
    #   [1 1 2 4] [5 1 1 2] [1 1 2 4] [5 4 2 1]
    temp = grid([[8000] * 4, [8000] * 4, [5000] * 4, [8000] * 4])
    # accumulated temperature 8000 -> climate 1; 5000 -> climate 3 (4000 < 5000 <= 5800)
    # base x climate (agri_base_climate rows base 1..5): column 1 = 1 1 2 3 5; column 3 = 1 2 3 4 5
    #   row 0 (c1): [1 1 1 3]; row 1 (c1): [5 1 1 1]; row 2 (c3): [1 1 2 4]; row 3 (c1): [5 3 1 1]
    res = su.evaluate_suitability(factors={"slope": slope, "annual_precipitation": 1000.0,
                                           "accumulated_temp_0c": temp}, evaluations=("agriculture",))
    assert res.level5["agriculture"].values.tolist() == [[1, 1, 1, 3], [5, 1, 1, 1], [1, 1, 2, 4], [5, 3, 1, 1]]
    # 3 levels [D]: 1-2 -> 1, 3 -> 2, 4-5 -> 3
    assert res.level3["agriculture"].values.tolist() == [[1, 1, 1, 2], [3, 1, 1, 1], [1, 1, 1, 3], [3, 2, 1, 1]]
    missing = res.missing_frame()
    assert "silt_content" in set(missing.factor)
    assert {"environment_level", "salinisation", "disaster", "contiguity_index"} <= set(missing.factor)
    # areas: 1 ha cells -> level 1 has 3 + 3 + 2 + 2 = 10 cells = 10 ha
    areas = su.level_areas(res.level5)
    assert areas.set_index("level").loc[1, "area_ha"] == pytest.approx(10.0)
    assert areas["area_ha"].sum() == pytest.approx(16.0)


def test_agriculture_contiguity_and_missing_matrix_step():
    slope = grid([[1, 3, 7, 16]])  # land [1 2 3 4]
    cont = grid([[0.9, 0.7, 0.3, 0.1]])
    # no water, no climate: matrix steps are skipped (reported), level = land level
    # contiguity: >0.8 -> 1; 0.6-0.8 up 1; 0.2-0.4 down 1; <0.2 -> 5:  [1, 1, 4, 5]
    res = su.evaluate_suitability(factors={"slope": slope, "contiguity_index": cont}, evaluations=("agriculture",))
    assert res.level5["agriculture"].values.tolist() == [[1, 1, 4, 5]]
    m = res.missing_frame()
    assert m[m.factor.str.startswith("water resources")].effect.str.contains("skipped").all()
    # a fill level replaces a missing step explicitly: water 4 -> land x water column 4 = 2 3 4 5 for land 1..4
    res = su.evaluate_suitability(factors={"slope": slope}, fill_levels={"water": 4}, evaluations=("agriculture",))
    assert res.level5["agriculture"].values.tolist() == [[2, 3, 4, 5]]
    assert (res.missing_frame().status == "filled").any()


def test_urban_4x4_by_hand_with_terrain_modifiers():
    slope = grid([[2, 5, 10, 20], [30, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2]])
    elev = grid([[10] * 4, [10] * 4, [4000, 6000, 100, 100], [10] * 4])
    relief = grid([[0] * 4, [0] * 4, [0] * 4, [150, 250, 50, 0]])
    # urban slope breaks 3/8/15/25 -> [1 2 3 4] [5 1 1 1] [1 1 1 1] [1 1 1 1]
    # elevation 3500-5000 down 1 (4000 -> 2), > 5000 lowest (6000 -> 5)
    # relief 100-200 down 1 (150 -> 2), > 200 down 2 (250 -> 3)
    res = su.evaluate_suitability(factors={"slope": slope, "elevation": elev, "relief": relief},
                                  evaluations=("urban",))
    assert res.level5["urban"].values.tolist() == [[1, 2, 3, 4], [5, 1, 1, 1], [2, 5, 1, 1], [2, 3, 1, 1]]
    # geological hazard: cumulative subsidence 150 mm -> level 2 (100 < 150 <= 200); most severe wins
    sub = grid([[150] * 4] * 4)
    res2 = su.evaluate_suitability(factors={"slope": slope, "elevation": elev, "relief": relief,
                                            "cumulative_subsidence": sub}, evaluations=("urban",))
    assert res2.level5["urban"].values.tolist() == [[2, 2, 3, 4], [5, 2, 2, 2], [2, 5, 2, 2], [2, 3, 2, 2]]
    assert any(m["factor"].startswith("location") for m in res2.missing)


def test_ecology_4x4_by_hand_and_exclusion():
    # soil-erosion fragility: factors scored 1/3/5 (5 = most prone), geometric mean of four
    r = grid([[700, 50, 700, 700]] * 4)  # erosivity 100/600: 700 -> 5, 50 -> 1
    rel = grid([[400, 10, 400, 400]] * 4)  # relief 50/300 m: 400 -> 5, 10 -> 1
    soil = grid([[5, 1, 1, 5]] * 4, dtype="uint8")  # given as scores (no shipped thresholds)
    veg = grid([[0.1, 0.9, 0.9, 0.9]] * 4)  # lower is more severe 0.2/0.6: 0.1 -> 5, 0.9 -> 1
    # s: (5*5*5*5)^(1/4)=5 -> 5; 1 -> 1; (5*5*1*1)^(1/4)=2.236 <= 2.33 -> 1; (5*5*5*1)^(1/4)=3.34 -> 3
    # fragility 5/1/1/3 -> importance 1/5/5/3
    svc = grid([[5, 5, 5, 5], [1, 1, 1, 1], [3, 3, 3, 3], [5, 5, 5, 5]], dtype="uint8")
    res = su.evaluate_suitability(factors={
        "soil_erosion.rainfall_erosivity": r, "soil_erosion.relief": rel, "soil_erosion.soil_erodibility": soil,
        "soil_erosion.vegetation_cover": veg, "service_water_conservation": svc,
        "slope": grid([[1] * 4] * 4)}, evaluations=("ecology", "agriculture"))
    # most important wins: min(service, fragility importance)
    assert res.level5["ecology"].values.tolist() == [[1, 5, 5, 3], [1, 1, 1, 1], [1, 3, 3, 3], [1, 5, 5, 3]]
    # ecology 3 levels: 1 -> 1, 3 -> 2, 5 -> 3
    assert res.level3["ecology"].values.tolist()[0] == [1, 3, 3, 2]
    # agriculture is level 1 everywhere; 适宜 cells in 极重要 (ecology 1) move to 3-level 3 (default)
    a3 = res.level3["agriculture"].values
    assert (a3[res.level5["ecology"].values == 1] == 3).all() and (a3[res.level5["ecology"].values != 1] == 1).all()
    lack = " ".join(m["factor"] for m in res.missing)
    assert "rocky_desertification" in lack and "land_desertification" in lack


@pytest.mark.parametrize("chunks", [None, 2])
def test_slope_of_a_plane(chunks):
    # z rises 10 m per 100 m column: slope = atan(0.1) = 5.7106 deg (interior cells)
    z = np.tile(np.arange(6) * 10, (6, 1))
    dem = grid(z, nodata=-9999, dtype="int16", chunks=chunks)
    s = su.slope_degrees(dem).values
    assert np.allclose(s[1:-1, 1:-1], np.degrees(np.arctan(0.1)), atol=1e-4)


def test_relief_window():
    dem = grid([[0, 10, 20], [0, 50, 20], [0, 10, 20]], nodata=-9999, dtype="int16")
    # 3x3 window at the centre: max 50 - min 0 = 50
    assert su.relief(dem, 3).values[1, 1] == pytest.approx(50.0)


def test_factor_on_another_grid_is_refused():
    slope = grid([[1, 2], [3, 4]])
    other = make_lulc([[1.0, 2.0], [3.0, 4.0]], cell_size=30, nodata=None, dtype="float32")
    with pytest.raises(GridMismatchError, match="align_to"):
        su.evaluate_suitability(factors={"slope": slope, "annual_precipitation": other})


def test_carrying_scale_short_board():
    import pandas as pd

    df = pd.DataFrame({"land_ha": [100.0, 50.0], "water_ha": [80.0, np.nan]}, index=["a", "b"])
    cs = su.carrying_scale(df)
    # a: min(100, 80) = 80, water binds; b: water not evaluated -> 50 from land, water reported missing
    assert cs.loc["a", "scale_max_ha"] == 80 and cs.loc["a", "binding_constraint"] == "water_ha"
    assert cs.loc["b", "scale_max_ha"] == 50 and cs.loc["b", "missing_constraints"] == "water_ha"


def test_wuhan_dem_suitability(shared_data):
    from landcarbon.io import read_raster

    d = shared_data / "wuhan_plus"
    dem = read_raster(d / "wh_df_dem.tif", chunks=None)
    lu = read_raster(d / "wh2010_refy.tif", categorical=True, chunks=None)
    res = su.evaluate_suitability(dem, landuse=lu, evaluations=("agriculture", "urban"))
    lv = res.level5["agriculture"].values
    valid = np.asarray(lu.values) != -128
    assert (lv[~valid] == 0).all()
    # Wuhan is mostly plain: most valid cells are agricultural level 1-2 (slope <= 6 deg)
    assert np.isin(lv[valid], [1, 2]).mean() > 0.8
    missing = " ".join(m["factor"] for m in res.missing)
    for f in ("water resources", "climate", "silt_content"):
        assert f in missing


def test_numpy_and_dask_agree():
    from landcarbon.testing import no_compute

    z = (np.add.outer(np.arange(8), np.arange(8)) ** 2).astype(np.int16)
    res = {}
    for chunks in (None, 3):
        dem = grid(z, nodata=-9999, dtype="int16", chunks=chunks)
        if chunks:
            with no_compute():  # the evaluation itself stays lazy
                r = su.evaluate_suitability(dem, factors={"annual_precipitation": 900.0}, relief_window_cells=3,
                                            evaluations=("agriculture", "urban"))
        else:
            r = su.evaluate_suitability(dem, factors={"annual_precipitation": 900.0}, relief_window_cells=3,
                                        evaluations=("agriculture", "urban"))
        res[chunks] = {k: np.asarray(v.values) for k, v in r.level5.items()}
    for k in res[None]:
        np.testing.assert_array_equal(res[None][k], res[3][k])
