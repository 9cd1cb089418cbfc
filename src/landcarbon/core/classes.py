"""Class schemes (code → key, zh/en name, colour, national group) and crosswalks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .errors import InputValidationError, MissingClassError

#: the six national first-level groups (GB/T 21010 / CAS-LUCC first level), in CAS order
GROUPS: tuple[str, ...] = ("cropland", "forest", "grassland", "water", "built_up", "unused")
GROUP_NAMES_ZH: dict[str, str] = {
    "cropland": "耕地", "forest": "林地", "grassland": "草地",
    "water": "水域", "built_up": "建设用地", "unused": "未利用地",
}
GROUP_NAMES_EN: dict[str, str] = {
    "cropland": "Cropland", "forest": "Forest", "grassland": "Grassland",
    "water": "Water", "built_up": "Built-up land", "unused": "Unused land",
}
GROUP_COLOURS: dict[str, str] = {
    "cropland": "#f2d16b", "forest": "#2e8b3a", "grassland": "#a3d36b",
    "water": "#3a7dd8", "built_up": "#d7301f", "unused": "#bdb7a8",
}


@dataclass(frozen=True)
class ClassInfo:
    code: int
    key: str
    name_zh: str
    name_en: str
    colour: str
    group: str

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class ClassScheme:
    """What each class code of a land-use map means."""

    name: str
    classes: tuple[ClassInfo, ...]
    citation: str = ""
    _by_code: dict[int, ClassInfo] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code: dict[int, ClassInfo] = {}
        for c in self.classes:
            if c.code in by_code:
                raise InputValidationError(f"class scheme {self.name!r}: code {c.code} appears twice")
            if c.group not in GROUPS:
                raise InputValidationError(
                    f"class scheme {self.name!r}: code {c.code} has group {c.group!r}; expected one of {GROUPS}")
            by_code[c.code] = c
        object.__setattr__(self, "_by_code", by_code)

    @property
    def codes(self) -> list[int]:
        return [c.code for c in self.classes]

    def __getitem__(self, code: int) -> ClassInfo:
        try:
            return self._by_code[int(code)]
        except KeyError:
            raise MissingClassError(
                f"class code {code} is not in the scheme {self.name!r} (codes: {self.codes})", [code]
            ) from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def check_codes(self, codes: Iterable[int], what: str = "map") -> None:
        missing = sorted({int(c) for c in codes} - set(self._by_code))
        if missing:
            raise MissingClassError(
                f"{what}: class codes {', '.join(map(str, missing))} are not in the class scheme {self.name!r} "
                f"(codes {self.codes}); choose the matching scheme or add them in a scheme CSV", missing)

    def group_of(self) -> dict[int, str]:
        return {c.code: c.group for c in self.classes}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.classes])

    @classmethod
    def from_frame(cls, df: pd.DataFrame, name: str = "user", citation: str = "") -> ClassScheme:
        cols = {c.lower().strip(): c for c in df.columns}
        need = ["code", "group"]
        miss = [c for c in need if c not in cols]
        if miss:
            raise InputValidationError(
                f"class scheme table lacks columns {miss}; expected code, key, name_zh, name_en, colour, group")
        def cell(r, col: str, default: str) -> str:  # an absent column or an empty cell gives the default
            if col not in cols or pd.isna(r[cols[col]]) or not str(r[cols[col]]).strip():
                return default
            return str(r[cols[col]]).strip()

        out = []
        for _, r in df.iterrows():
            code = int(r[cols["code"]])
            key = cell(r, "key", f"class_{code}")
            group = str(r[cols["group"]]).strip()
            group = _GROUP_ALIASES.get(group, _GROUP_ALIASES.get(group.lower(), group))
            out.append(ClassInfo(
                code=code, key=key,
                name_zh=cell(r, "name_zh", key),
                name_en=cell(r, "name_en", key),
                colour=cell(r, "colour", GROUP_COLOURS.get(group, "#999999")),
                group=group))
        return cls(name=name, classes=tuple(out), citation=citation)


_GROUP_ALIASES = {v: k for k, v in GROUP_NAMES_ZH.items()} | {
    "built-up": "built_up", "builtup": "built_up", "construction": "built_up", "urban": "built_up"} | {
    v.lower(): k for k, v in GROUP_NAMES_EN.items()} | {g.lower(): g for g in GROUPS}


def _scheme(name: str, rows: list[tuple[int, str, str, str, str, str]], citation: str) -> ClassScheme:
    return ClassScheme(name, tuple(ClassInfo(*r) for r in rows), citation)


NATIONAL6 = _scheme("national6", [
    (i + 1, g, GROUP_NAMES_ZH[g], GROUP_NAMES_EN[g], GROUP_COLOURS[g], g) for i, g in enumerate(GROUPS)
], "GB/T 21010-2017 first-level groups, CAS-LUCC order (1 cropland … 6 unused)")

CLCD = _scheme("clcd", [
    (1, "cropland", "耕地", "Cropland", "#fae39d", "cropland"),
    (2, "forest", "林地", "Forest", "#446f33", "forest"),
    (3, "shrub", "灌木", "Shrub", "#33a02c", "forest"),
    (4, "grassland", "草地", "Grassland", "#abd37b", "grassland"),
    (5, "water", "水域", "Water", "#1e69b4", "water"),
    (6, "snow_ice", "冰雪", "Snow/Ice", "#a6cee3", "water"),
    (7, "barren", "裸地", "Barren", "#cfbda3", "unused"),
    (8, "impervious", "不透水面", "Impervious", "#e24290", "built_up"),
    (9, "wetland", "湿地", "Wetland", "#289be8", "water"),
], "Yang & Huang 2021 Earth Syst. Sci. Data 13:3907-3925 (CLCD)")

GLOBELAND30 = _scheme("globeland30", [
    (10, "cultivated", "耕地", "Cultivated land", "#f9f3c1", "cropland"),
    (20, "forest", "森林", "Forest", "#147749", "forest"),
    (30, "grassland", "草地", "Grassland", "#a9d05f", "grassland"),
    (40, "shrubland", "灌木地", "Shrubland", "#3eb370", "forest"),
    (50, "wetland", "湿地", "Wetland", "#7ecef4", "water"),
    (60, "water", "水体", "Water bodies", "#00449a", "water"),
    (70, "tundra", "苔原", "Tundra", "#647a5c", "unused"),
    (80, "artificial", "人造地表", "Artificial surfaces", "#932f14", "built_up"),
    (90, "bareland", "裸地", "Bareland", "#cacaca", "unused"),
    (100, "snow_ice", "冰川和永久积雪", "Permanent snow and ice", "#d3edfb", "water"),
], "Chen et al. 2015 ISPRS J. Photogramm. Remote Sens. 103:7-27 (GlobeLand30)")

MODIS_IGBP = _scheme("modis_igbp", [
    (0, "water", "水体", "Water bodies", "#1c0dff", "water"),
    (1, "enf", "常绿针叶林", "Evergreen needleleaf forest", "#05450a", "forest"),
    (2, "ebf", "常绿阔叶林", "Evergreen broadleaf forest", "#086a10", "forest"),
    (3, "dnf", "落叶针叶林", "Deciduous needleleaf forest", "#54a708", "forest"),
    (4, "dbf", "落叶阔叶林", "Deciduous broadleaf forest", "#78d203", "forest"),
    (5, "mixed_forest", "混交林", "Mixed forest", "#009900", "forest"),
    (6, "closed_shrub", "郁闭灌丛", "Closed shrublands", "#c6b044", "forest"),
    (7, "open_shrub", "稀疏灌丛", "Open shrublands", "#dcd159", "grassland"),
    (8, "woody_savanna", "木本稀树草原", "Woody savannas", "#dade48", "forest"),
    (9, "savanna", "稀树草原", "Savannas", "#fbff13", "grassland"),
    (10, "grassland", "草地", "Grasslands", "#b6ff05", "grassland"),
    (11, "wetland", "永久湿地", "Permanent wetlands", "#27ff87", "water"),
    (12, "cropland", "农田", "Croplands", "#c24f44", "cropland"),
    (13, "urban", "城市和建成区", "Urban and built-up lands", "#a5a5a5", "built_up"),
    (14, "crop_mosaic", "农田/自然植被镶嵌", "Cropland/natural vegetation mosaics", "#ff6d4c", "cropland"),
    (15, "snow_ice", "冰雪", "Permanent snow and ice", "#69fff8", "water"),
    (16, "barren", "裸地", "Barren", "#f9ffa4", "unused"),
], "Friedl & Sulla-Menashe 2019, MCD12 User Guide v6 (IGBP legend, Type 1)")

BUILTIN_SCHEMES: dict[str, ClassScheme] = {
    s.name: s for s in (NATIONAL6, CLCD, GLOBELAND30, MODIS_IGBP)
}


def get_scheme(name: str | ClassScheme) -> ClassScheme:
    if isinstance(name, ClassScheme):
        return name
    try:
        return BUILTIN_SCHEMES[name.lower()]
    except KeyError:
        raise InputValidationError(
            f"class scheme {name!r} is unknown; built-in schemes are {sorted(BUILTIN_SCHEMES)} "
            f"(or load your own with landcarbon.io.read_scheme(path))") from None


@dataclass(frozen=True)
class Crosswalk:
    """A mapping of every code of one scheme onto a code of another."""

    source: str
    target: str
    mapping: Mapping[int, int]

    def check(self, codes: Iterable[int]) -> None:
        missing = sorted({int(c) for c in codes} - set(self.mapping))
        if missing:
            raise MissingClassError(
                f"crosswalk {self.source}->{self.target} has no target for codes {missing}; add rows for them",
                missing)


def to_national6(scheme: ClassScheme) -> Crosswalk:
    """The crosswalk of a scheme onto the six national groups (through each class's group)."""
    idx = {g: i + 1 for i, g in enumerate(GROUPS)}
    return Crosswalk(scheme.name, "national6", {c.code: idx[c.group] for c in scheme.classes})


def crosswalk_from_frame(df: pd.DataFrame, source: str = "user", target: str = "user") -> Crosswalk:
    cols = {c.lower().strip(): c for c in df.columns}
    src = next((cols[c] for c in ("from", "source", "from_code", "src") if c in cols), None)
    dst = next((cols[c] for c in ("to", "target", "to_code", "dst") if c in cols), None)
    if src is None or dst is None:
        raise InputValidationError(
            f"crosswalk table has columns {list(df.columns)}; expected 'from' and 'to' (class codes)")
    mapping = {int(a): int(b) for a, b in zip(df[src], df[dst])}
    return Crosswalk(source, target, mapping)
