"""Emissions (methods.md §3): hand-computed checks, bad input, reference-table pitfalls, 44/12 guard."""

from __future__ import annotations

import io
import re
import tokenize
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.classes import ClassScheme
from landcarbon.core.errors import InputValidationError, MissingClassError, UnitError
from landcarbon.core.units import CO2_PER_C, co2_to_c
from landcarbon.models import coefficients as C
from landcarbon.models import emissions as E
from landcarbon.testing import make_lulc

SRC = Path(__file__).resolve().parents[2] / "src" / "landcarbon"


# -------------------------------------------------------------------------------------------------
# the t C <-> t CO2 ratio lives in core/units.py only

def _code_tokens(path: Path) -> list[str]:
    toks = []
    for t in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if t.type in (tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                      tokenize.DEDENT) or t.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            continue
        toks.append(t.string)
    return toks


_RATIO_NUMBERS = re.compile(r"^(3\.66+7|3\.67|0\.2727+3?|0\.273)$")


def _ratio_hits(path: Path) -> list[str]:
    toks = _code_tokens(path)
    hits = [t for t in toks if _RATIO_NUMBERS.match(t)]
    for i in range(len(toks) - 2):
        a, op, b = toks[i], toks[i + 1], toks[i + 2]
        if op == "/" and {a.rstrip("."), b.rstrip(".")} in ({"44", "12"}, {"44.0", "12.0"}, {"44", "12.0"},
                                                            {"44.0", "12"}):
            hits.append(f"{a}{op}{b}")
        if a == "Fraction" and op == "(" and toks[i + 2] in ("44", "12"):
            hits.append("Fraction(44, 12)")
    return hits


def test_ratio_44_12_only_in_core_units():
    """Scan the code (not comments or strings) of every module for 44/12, 12/44, 3.667, 3.67, 0.2727 …"""
    found = {str(p.relative_to(SRC)): h for p in SRC.rglob("*.py") if (h := _ratio_hits(p))}
    assert set(found) == {"core/units.py"}, found


def test_ratio_scanner_detects_a_planted_ratio(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("a = b * 44 / 12  # fine in a comment: 44/12\ns = '3.667 in a string'\nc = 3.667\n")
    assert _ratio_hits(p) == ["3.667", "44/12"]


# -------------------------------------------------------------------------------------------------
# coefficient sets

def test_cn_common_a_by_group():
    s = C.load_landuse_coefficients("cn_common_A")
    assert s.coefficients == {"cropland": 0.422, "forest": -0.581, "grassland": -0.021, "water": -0.253,
                              "unused": -0.005}
    assert s.energy_method == ("built_up",)          # empty cell = energy method, not 0
    assert C.load_landuse_coefficients("cn_common_B").coefficients["cropland"] == 0.497


def test_guangdong_resigned_and_in_tc():
    s = C.load_landuse_coefficients("guangdong_2018")
    # table prints sink = +: forest 1.064 (sink) -> -1.064; cropland -0.027 (source) -> +0.027;
    # construction -0.164 (source) -> +0.164; wetland 0.164 (sink) -> water -0.164
    assert s.coefficients == {"forest": -1.064, "water": -0.164, "cropland": 0.027, "grassland": -0.055,
                              "built_up": 0.164}
    # the t C values are the printed t CO2/(ha·a) x 12/44 (methods.md §3.2): 3.9, 0.6, 0.1, 0.2, 0.6
    for g, tco2 in {"forest": 3.9, "water": 0.6, "cropland": 0.1, "grassland": 0.2, "built_up": 0.6}.items():
        assert abs(s.coefficients[g]) == pytest.approx(co2_to_c(tco2), abs=5e-4)


def test_unknown_set_lists_sets():
    with pytest.raises(InputValidationError, match="cn_common_A"):
        C.load_landuse_coefficients("cn_common_C")


def test_energy_factors_reproduce_published_columns():
    """(B) and (A) columns of methods.md §3.3 [V/C] from NCV, CC, OF, SC, CF (4-5 significant digits)."""
    ff = C.load_energy_factors()
    for f in ff.values():
        if f.printed_B_kgCO2_per_unit is not None:
            assert f.tco2_per_unit("B") * 1000 == pytest.approx(f.printed_B_kgCO2_per_unit, abs=6e-5)
        if f.printed_A_kgCO2_per_unit is not None:
            assert f.tco2_per_unit("A") * 1000 == pytest.approx(f.printed_A_kgCO2_per_unit, abs=6e-5)
    # gas-field gas has no printed (B) value (empty is not zero); it is derived: 1.9741 kg CO2/m3 [C]
    gf = ff["natural_gas_gasfield"]
    assert gf.printed_B_kgCO2_per_unit is None
    # 35 544 kJ/m3 x 1e-9 TJ/kJ x 15.3 t C/TJ x 0.99 x CO2_PER_C = 1.9741e-3 t CO2/m3
    assert gf.tco2_per_unit("B") == pytest.approx(35544e-9 * 15.3 * 0.99 * CO2_PER_C)
    assert gf.tco2_per_unit("B") * 1000 == pytest.approx(1.9741, abs=5e-5)
    # convention C, raw coal: 20 908e-9 TJ/kg x 94 600 kg CO2/TJ = 1.97790 kg CO2/kg
    assert ff["raw_coal"].tco2_per_unit("C") * 1000 == pytest.approx(1.9779, abs=5e-5)
    with pytest.raises(InputValidationError, match="LPG"):
        ff["lpg"].tco2_per_unit("A")     # no per-tce CF for LPG: refused, not 0


def test_grid_factor_lookup_chain():
    assert C.grid_factor("河北", 2022).value_kgCO2_per_kWh == 0.7252           # province
    g = C.grid_factor("湖北省", 2022)                                           # -> 华中 regional
    assert (g.value_kgCO2_per_kWh, g.region) == (0.5395, "华中")
    assert C.grid_factor("湖北", 2021).value_kgCO2_per_kWh == 0.5568           # -> national 2021
    with pytest.warns(UserWarning, match="nearest earlier year 2023"):
        assert C.grid_factor("湖北", 2024).value_kgCO2_per_kWh == 0.5271
    with pytest.raises(InputValidationError, match="no electricity grid factor"):
        C.grid_factor("湖北", 2019)
    with pytest.raises(InputValidationError, match="not a province"):
        C.grid_factor("Atlantis", 2022)


# -------------------------------------------------------------------------------------------------
# direct method on a map

@pytest.mark.parametrize("chunks", [None, 1])
def test_direct_by_hand(chunks):
    lulc = make_lulc([[1, 1, 2], [3, 0, 5]], cell_size=100, chunks=chunks)   # 1 ha cells, 0 = nodata
    zones = np.array([[1, 1, 2], [2, 0, 2]], dtype=np.int32)                   # zone A = two cropland cells
    if chunks:
        import dask.array as dsa

        zones = dsa.from_array(zones, chunks=1)
    la = E.landuse_areas(lulc, "national6", zones=zones, zone_names=["A", "B"])
    assert la.areas.loc["A", "cropland"] == 2.0
    assert la.areas.loc["B"].to_dict() == {"cropland": 0.0, "forest": 1.0, "grassland": 1.0, "water": 0.0,
                                           "built_up": 1.0, "unused": 0.0}
    coefs = C.load_landuse_coefficients("cn_common_A").with_overrides({"built_up": 0.5})
    res = E.emissions_by_zone(la.areas, coefs, year=2020)
    ez = res["emissions_by_zone"].set_index("zone")
    # A: 2 ha x 0.422 = 0.844 t C source
    assert ez.loc["A", "direct_source_tC"] == pytest.approx(0.844)
    # B: sources 1 ha built-up x 0.5 = 0.5; sinks forest 1 x -0.581 + grass 1 x -0.021 = -0.602
    assert ez.loc["B", "direct_source_tC"] == pytest.approx(0.5)
    assert ez.loc["B", "direct_sink_tC"] == pytest.approx(-0.602)
    assert ez.loc["B", "absorption_tC"] == pytest.approx(0.602)
    assert ez.loc["B", "net_tC"] == pytest.approx(0.5 - 0.602)
    assert ez.loc["B", "emission_tCO2"] == pytest.approx(0.5 * CO2_PER_C)


def test_missing_class_code_is_an_error():
    lulc = make_lulc([[1, 9]], cell_size=100)
    with pytest.raises(MissingClassError, match=r"\[9\]"):
        E.landuse_areas(lulc, "national6")


def test_construction_without_energy_needs_explicit_value():
    areas = pd.DataFrame({"cropland": [1.0], "forest": [0.0], "grassland": [0.0], "water": [0.0],
                          "built_up": [2.0], "unused": [0.0]}, index=pd.Index(["z"], name="zone"))
    with pytest.raises(InputValidationError, match="empty is not zero"):
        E.emissions_by_zone(areas, C.load_landuse_coefficients("cn_common_A"), year=2020)


# -------------------------------------------------------------------------------------------------
# energy method: one zone, two fuels

def _energy(rows):
    return pd.DataFrame(rows, columns=["zone", "year", "fuel", "amount", "unit"])


def test_energy_two_fuels_by_hand():
    en = _energy([("z", 2022, "原煤", 1.0, "万吨"), ("z", 2022, "电力", 1.0, "亿千瓦时")])
    out = E.energy_emissions(en, region="湖北")
    # raw coal: 1 万吨 = 1e7 kg x (20 908e-9 TJ/kg x 26.37 t C/TJ x 0.94 x CO2_PER_C = 1.9002988e-3 t CO2/kg)
    #           = 19 002.988 t CO2
    # electricity: 1 亿千瓦时 = 1e8 kWh x 0.5395 kg CO2/kWh (湖北 -> 华中 2022) / 1000 = 53 950 t CO2
    assert out["emission_tCO2"].tolist() == pytest.approx([19002.988488, 53950.0], rel=1e-9)
    assert out["emission_tC"].sum() == pytest.approx(co2_to_c(19002.988488 + 53950.0))
    a = E.energy_emissions(en.iloc[:1], convention="A")
    # convention A: 1e7 kg x 0.7143 kgce/kg x 1e-3 x 0.7559 t C/tce x CO2_PER_C = 19 797.78 t CO2
    assert a["emission_tCO2"].iloc[0] == pytest.approx(1e7 * 0.7143e-3 * 0.7559 * CO2_PER_C)
    # English names and 亿立方米: natural gas 0.5 亿 m3 = 5e7 m3 x 1.974078e-3 (gas field) = 98 703.9 t CO2
    g = E.energy_emissions(_energy([("z", 2022, "Natural gas", 0.5, "亿立方米")]))
    assert g["emission_tCO2"].iloc[0] == pytest.approx(5e7 * 35544e-9 * 15.3 * 0.99 * CO2_PER_C)
    o = E.energy_emissions(_energy([("z", 2022, "天然气", 0.5, "亿立方米")]), natural_gas="oil_field")
    assert o["emission_tCO2"].iloc[0] == pytest.approx(5e7 * 38931e-9 * 15.3 * 0.99 * CO2_PER_C)


def test_energy_assembled_with_direct():
    areas = pd.DataFrame({"cropland": [10.0], "forest": [20.0], "grassland": [0.0], "water": [0.0],
                          "built_up": [5.0], "unused": [0.0]}, index=pd.Index(["z"], name="zone"))
    en = _energy([("z", 2022, "柴油", 100.0, "t")])
    res = E.emissions_by_zone(areas, C.load_landuse_coefficients("cn_common_A"), year=2022, energy=en,
                              energy_options={"grid_factor_kgCO2_per_kWh": 0.5})
    r = res["emissions_by_zone"].iloc[0]
    # diesel 100 t = 1e5 kg x 3.0959096e-3 = 309.591 t CO2 = 84.434 t C
    diesel_tc = co2_to_c(1e5 * 42652e-9 * 20.2 * 0.98 * CO2_PER_C)
    # direct: 10 x 0.422 = 4.22 source; 20 x -0.581 = -11.62 sink
    assert r["emission_tC"] == pytest.approx(4.22 + diesel_tc)
    assert r["absorption_tC"] == pytest.approx(11.62)
    assert r["emission_tCO2e"] == pytest.approx((4.22 + diesel_tc) * CO2_PER_C)


def test_unknown_fuel_lists_accepted_names():
    with pytest.raises(InputValidationError) as e:
        E.energy_emissions(_energy([("z", 2022, "褐煤", 1, "t"), ("z", 2022, "moonshine", 1, "t")]))
    msg = str(e.value)
    assert "['moonshine', '褐煤']" in msg and "原煤" in msg and "natural gas" in msg


def test_unknown_and_wrong_units():
    with pytest.raises(UnitError, match="not understood"):
        E.energy_emissions(_energy([("z", 2022, "原煤", 1, "barrels")]))
    with pytest.raises(UnitError, match="measured in m3"):
        E.energy_emissions(_energy([("z", 2022, "天然气", 1, "万吨")]))


def test_negative_consumption_refused():
    with pytest.raises(InputValidationError, match="negative amount"):
        E.energy_emissions(_energy([("z", 2022, "原煤", -3, "t")]))


def test_territorial_scope_refuses_electricity():
    with pytest.raises(InputValidationError, match="double count"):
        E.energy_emissions(_energy([("z", 2022, "电力", 1, "kWh")]), scope="territorial")


def test_zone_mismatch_both_ways():
    areas = pd.DataFrame({g: [1.0, 1.0] for g in ("cropland", "forest", "grassland", "water", "built_up",
                                                  "unused")}, index=pd.Index(["A", "B"], name="zone"))
    en = _energy([("A", 2022, "原煤", 1, "t"), ("C", 2022, "原煤", 1, "t")])
    with pytest.raises(InputValidationError) as e:
        E.emissions_by_zone(areas, C.load_landuse_coefficients("cn_common_A"), year=2022, energy=en)
    assert "['C'] that are not in the zones layer" in str(e.value)
    assert "zones ['B'] of the zones layer have no rows" in str(e.value)


def test_map_year_must_be_in_tables_unless_held():
    areas = pd.DataFrame({g: [1.0] for g in ("cropland", "forest", "grassland", "water", "built_up", "unused")},
                         index=pd.Index(["A"], name="zone"))
    en = _energy([("A", 2021, "原煤", 1, "t"), ("A", 2022, "原煤", 2, "t")])
    coefs = C.load_landuse_coefficients("cn_common_A")
    with pytest.raises(InputValidationError, match="hold-landuse"):
        E.emissions_by_zone(areas, coefs, year=2020, energy=en)
    res = E.emissions_by_zone(areas, coefs, year=2020, energy=en, hold_landuse=True)
    assert sorted(res["emissions_by_zone"]["year"]) == [2020, 2021, 2022]
    one = E.emissions_by_zone(areas, coefs, year=2022, energy=en)
    assert len(one["energy_by_fuel"]) == 2            # full table kept; account uses 2022 only
    assert one["emissions_by_zone"]["energy_tC"].iloc[0] == pytest.approx(co2_to_c(2e3 * 1.9002988488e-3))


# -------------------------------------------------------------------------------------------------
# agricultural inputs and non-CO2

def test_agri_inputs_by_hand():
    agri = pd.DataFrame({"zone": ["z", "z", "z"], "year": [2020] * 3, "input": ["化肥", "翻耕", "irrigation"],
                         "amount": [1.0, 100.0, 2.0], "unit": ["t", "ha", "千公顷"]})
    out = E.agri_input_emissions(agri)
    # fertiliser 1 000 kg x 0.8956 = 895.6 kg C; ploughing 100 ha x 3.126 (312.6 per km2) = 312.6 kg C;
    # irrigation 2 000 ha x 266.48 = 532 960 kg C
    assert out["emission_tC"].tolist() == pytest.approx([0.8956, 0.3126, 532.96])
    printed = E.agri_input_emissions(agri.iloc[1:2], ploughing_unit="per_ha_as_printed")
    assert printed["emission_tC"].iloc[0] == pytest.approx(31.26)   # 100 x 312.6 kg C: 100x larger


def test_non_co2_gwp():
    g = pd.DataFrame({"zone": ["z", "z"], "year": [2020, 2020], "gas": ["CH4", "N2O"], "amount": [1.0, 2.0],
                      "unit": ["t", "t"]})
    # AR5: 1 x 28 + 2 x 265 = 558 t CO2e; AR4: 25 + 596 = 621
    assert E.non_co2_emissions(g)["emission_tCO2e"].sum() == pytest.approx(558.0)
    assert E.non_co2_emissions(g, gwp_set="AR4")["emission_tCO2e"].sum() == pytest.approx(621.0)
    with pytest.raises(InputValidationError, match="GWP set"):
        E.non_co2_emissions(g, gwp_set="AR9")


# -------------------------------------------------------------------------------------------------
# real data: Wuhan 2010 (30 m, UTM 49N), classes mapped to the national groups


def test_wuhan_direct_matches_code_counts(shared_data):
    from landcarbon.io import read_raster

    scheme = ClassScheme.from_frame(pd.DataFrame({
        "code": [1, 2, 3, 4, 5, 6, 7],
        "group": ["grassland", "forest", "cropland", "built_up", "unused", "water", "forest"]}), name="wuhan")
    lulc = read_raster(shared_data / "wuhan_plus" / "wh2010_refy.tif", chunks=1024, categorical=True)
    la = E.landuse_areas(lulc, scheme)
    arr = np.asarray(lulc.values)
    nd = lulc.rio.nodata
    counts = np.bincount(arr[arr != nd].astype(np.int64) - arr[arr != nd].min())
    codes = np.arange(len(counts)) + int(arr[arr != nd].min())
    cell_ha = 30 * 30 / 10_000
    by_code = dict(zip(codes.tolist(), (counts * cell_ha).tolist()))
    assert la.areas.loc["all", "forest"] == pytest.approx(by_code.get(2, 0) + by_code.get(7, 0))
    assert la.areas.to_numpy().sum() == pytest.approx(sum(by_code.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = E.emissions_by_zone(la.areas, C.load_landuse_coefficients("cn_common_A").with_overrides(
            {"built_up": 0.0}), year=2010)
    r = res["emissions_by_zone"].iloc[0]
    expect_src = by_code[3] * 0.422
    expect_sink = (by_code[2] + by_code[7]) * -0.581 + by_code[1] * -0.021 + by_code[6] * -0.253 \
        + by_code.get(5, 0) * -0.005
    assert r["direct_source_tC"] == pytest.approx(expect_src)
    assert r["direct_sink_tC"] == pytest.approx(expect_sink)


def test_attribute_region_energy_by_weight():
    en = pd.DataFrame({"year": [2022], "fuel": ["原煤"], "amount": [100.0], "unit": ["t"]})
    out = E.attribute_energy(en, pd.Series({"A": 30.0, "B": 10.0}), weight_name="construction land area")
    # E_z = 100 t x w_z / Σ w: A 75 t, B 25 t
    assert out.set_index("zone")["amount"].to_dict() == {"A": 75.0, "B": 25.0}
    with pytest.raises(InputValidationError, match="non-negative"):
        E.attribute_energy(en, pd.Series({"A": -1.0, "B": 0.0}), weight_name="gdp")
