"""Class schemes, national groups and crosswalks."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from landcarbon.core.classes import (
    CLCD,
    GLOBELAND30,
    GROUP_COLOURS,
    GROUP_NAMES_EN,
    GROUP_NAMES_ZH,
    GROUPS,
    MODIS_IGBP,
    NATIONAL6,
    ClassInfo,
    ClassScheme,
    Crosswalk,
    crosswalk_from_frame,
    get_scheme,
    to_national6,
)
from landcarbon.core.errors import InputValidationError, MissingClassError

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def test_six_groups_with_names_and_colours():
    assert GROUPS == ("cropland", "forest", "grassland", "water", "built_up", "unused")
    assert [GROUP_NAMES_ZH[g] for g in GROUPS] == ["耕地", "林地", "草地", "水域", "建设用地", "未利用地"]
    assert GROUP_NAMES_EN["built_up"] == "Built-up land"
    assert all(HEX.match(GROUP_COLOURS[g]) for g in GROUPS)
    assert NATIONAL6.codes == [1, 2, 3, 4, 5, 6]
    assert [NATIONAL6[i].group for i in range(1, 7)] == list(GROUPS)
    assert NATIONAL6[5].name("zh") == "建设用地" and NATIONAL6[5].name("en") == "Built-up land"


@pytest.mark.parametrize("scheme,codes", [
    (CLCD, list(range(1, 10))),
    (GLOBELAND30, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
    (MODIS_IGBP, list(range(0, 17))),
])
def test_builtin_schemes(scheme, codes):
    assert scheme.codes == codes
    assert scheme.citation
    for c in scheme.classes:
        assert c.group in GROUPS and HEX.match(c.colour) and c.name_zh and c.name_en
    assert get_scheme(scheme.name) is scheme
    assert get_scheme(scheme.name.upper()) is scheme
    # every group that matters for carbon is reachable from each scheme
    assert {"cropland", "forest", "grassland", "water", "built_up", "unused"} <= set(scheme.group_of().values())


def test_known_codes():
    assert CLCD[8].key == "impervious" and CLCD[8].group == "built_up"
    assert GLOBELAND30[80].group == "built_up" and GLOBELAND30[10].group == "cropland"
    assert MODIS_IGBP[13].group == "built_up" and MODIS_IGBP[0].group == "water"
    assert MODIS_IGBP[16].name_en == "Barren"


def test_crosswalk_onto_national6():
    cw = to_national6(MODIS_IGBP)
    assert isinstance(cw, Crosswalk) and cw.source == "modis_igbp" and cw.target == "national6"
    # water 0 -> 4, forests 1-5 -> 2, croplands 12 -> 1, urban 13 -> 5, barren 16 -> 6
    assert cw.mapping[0] == 4
    assert {cw.mapping[c] for c in (1, 2, 3, 4, 5)} == {2}
    assert cw.mapping[12] == 1 and cw.mapping[14] == 1
    assert cw.mapping[13] == 5 and cw.mapping[16] == 6 and cw.mapping[10] == 3
    assert to_national6(CLCD).mapping == {1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 6, 8: 5, 9: 4}
    cw.check([0, 12, 16])
    with pytest.raises(MissingClassError) as ei:
        cw.check([0, 17, 254])
    assert ei.value.missing == [17, 254]


def test_missing_codes_are_errors():
    with pytest.raises(MissingClassError) as ei:
        CLCD.check_codes([1, 2, 10, 11], what="lulc_2020")
    assert ei.value.missing == [10, 11]
    assert "lulc_2020" in str(ei.value) and "clcd" in str(ei.value)
    with pytest.raises(KeyError):  # MissingClassError is a KeyError
        CLCD[42]
    assert 9 in CLCD and 10 not in CLCD


def test_unknown_scheme_names_the_builtins():
    with pytest.raises(InputValidationError, match="clcd"):
        get_scheme("corine")
    assert get_scheme(CLCD) is CLCD


def test_user_scheme_from_frame():
    df = pd.DataFrame({
        "code": [11, 21, 51, 65],
        "key": ["paddy", "forest", "urban", "sand"],
        "name_zh": ["水田", "有林地", "城镇用地", "沙地"],
        "name_en": ["Paddy", "Forest", "Urban", "Sand"],
        "group": ["耕地", "forest", "construction", "未利用地"],  # zh names and aliases accepted
    })
    s = ClassScheme.from_frame(df, name="cas_lucc2", citation="CAS-LUCC second level")
    assert s.codes == [11, 21, 51, 65]
    assert [s[c].group for c in s.codes] == ["cropland", "forest", "built_up", "unused"]
    assert s[11].name_zh == "水田"
    assert s[51].colour == GROUP_COLOURS["built_up"]  # no colour column -> the group's colour
    assert to_national6(s).mapping == {11: 1, 21: 2, 51: 5, 65: 6}
    assert s.to_frame()["code"].tolist() == [11, 21, 51, 65]


def test_user_scheme_errors():
    with pytest.raises(InputValidationError, match="group"):
        ClassScheme.from_frame(pd.DataFrame({"code": [1]}))
    with pytest.raises(InputValidationError, match="orchard"):
        ClassScheme.from_frame(pd.DataFrame({"code": [1], "group": ["orchard"]}))
    with pytest.raises(InputValidationError, match="twice"):
        ClassScheme("dup", (ClassInfo(1, "a", "甲", "A", "#000000", "forest"),
                            ClassInfo(1, "b", "乙", "B", "#000000", "water")))


def test_crosswalk_from_frame():
    cw = crosswalk_from_frame(pd.DataFrame({"from": [11, 12, 21], "to": [1, 1, 2]}), "cas", "national6")
    assert cw.mapping == {11: 1, 12: 1, 21: 2}
    cw2 = crosswalk_from_frame(pd.DataFrame({"Source": [1], "Target": [4]}))
    assert cw2.mapping == {1: 4}
    with pytest.raises(InputValidationError, match="'from' and 'to'"):
        crosswalk_from_frame(pd.DataFrame({"a": [1], "b": [2]}))


def test_user_scheme_empty_cells_and_english_group_names():
    # empty cells fall back (colour -> the group's colour, names -> the key); group names in English
    # display form ("Built-up land", "Forest") are accepted like the keys
    df = pd.DataFrame({"code": [1, 2, 3], "key": ["a", "b", None],
                       "name_zh": ["甲", None, "丙"], "name_en": ["A", "B", ""],
                       "colour": ["#010203", None, float("nan")],
                       "group": ["Forest", "Built-up land", " WATER "]})
    s = ClassScheme.from_frame(df)
    assert [s[c].group for c in (1, 2, 3)] == ["forest", "built_up", "water"]
    assert s[1].colour == "#010203"
    assert s[2].colour == GROUP_COLOURS["built_up"] and s[3].colour == GROUP_COLOURS["water"]
    assert s[2].name_zh == "b" and s[3].key == "class_3" and s[3].name_en == "class_3"
