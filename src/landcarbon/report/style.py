"""One style for every chart and map: sizes, fonts, colours, numbers, legends, titles, map furniture,
zh/en labels and saving (PNG + SVG, atomically).

Used by the report modules, the commands and (later) the dashboard. Chart code asks this module for
words (:func:`text`, :func:`label`, :func:`axis_label`), colours (:func:`cmap`, :func:`zone_colour`,
:func:`level_colours`, :func:`class_colours`) and layout (:func:`new_figure`, :func:`legend`,
:func:`set_title`, :func:`scale_bar`, :func:`north_arrow`, :func:`save_figure`), so the same
figure reads right in Chinese and in English.

Where words come from, first found wins: the model specs (``landcarbon.models.registry``: units
of outputs and columns, ``label_zh``/``label_en`` of inputs, ``doc``/``doc_zh`` of outputs), the
class schemes (``landcarbon.core.classes``: names and colours), the models' own name tables
(zone classes, suitability levels, conflict checks), and last :data:`TERMS` below, the one
catalogue of chart words that the specs do not carry.

matplotlib is imported lazily (Agg backend); importing this module registers the CJK fonts
(:mod:`landcarbon.report.fonts`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from matplotlib import ticker

from . import fonts

PathLike = str | os.PathLike

LANGS = ("zh", "en")

# --------------------------------------------------------------------------------------------------
# sizes, resolution, fonts

#: figure sizes in inches (width, height) by kind
FIGSIZE: dict[str, tuple[float, float]] = {
    "map": (7.5, 6.5),      # one map with a colour bar or a legend on the right
    "wide_map": (9.0, 6.5),  # a wide region (China) with a colour bar
    "chart": (7.5, 4.6),    # lines, scatter
    "bars": (7.5, 4.0),     # horizontal bars; height grows with the number of bars
    "sankey": (9.5, 6.5),
}
#: PNG resolution (dots per inch)
DPI = 150
#: font sizes (points)
FONT_SIZE = {"base": 9.0, "title": 11.5, "label": 9.0, "tick": 8.0, "legend": 8.0, "note": 7.0}
LATIN_FAMILY = "DejaVu Sans"


def check_lang(lang: str | None) -> str:
    """"zh" for any Chinese tag (zh, zh-CN, zh_Hans, cn), else "en"."""
    s = (lang or "en").strip().lower().replace("_", "-")
    return "zh" if s in ("zh", "cn", "chs") or s.startswith("zh-") else "en"


def font_families(lang: str) -> list[str]:
    """The family list text falls back through: the CJK family first for Chinese, after the Latin
    one for English (Chinese names in English charts still render)."""
    cjk = fonts.cjk_family()
    if cjk is None:
        return [LATIN_FAMILY]
    return [cjk, LATIN_FAMILY] if check_lang(lang) == "zh" else [LATIN_FAMILY, cjk]


def rc(lang: str) -> dict[str, Any]:
    """rcParams of the house style for ``lang`` (explicit families, so text keeps its fonts even
    when drawn outside :func:`theme`)."""
    return {
        "font.family": font_families(lang),
        "font.size": FONT_SIZE["base"],
        "axes.titlesize": FONT_SIZE["title"],
        "axes.titleweight": "bold",
        "axes.labelsize": FONT_SIZE["label"],
        "xtick.labelsize": FONT_SIZE["tick"],
        "ytick.labelsize": FONT_SIZE["tick"],
        "legend.fontsize": FONT_SIZE["legend"],
        "legend.title_fontsize": FONT_SIZE["legend"],
        "legend.frameon": True,
        "legend.framealpha": 0.9,
        "legend.edgecolor": "#bbbbbb",
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-99, 99),  # never scientific notation on axes
        "axes.unicode_minus": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "grid.alpha": 0.3,
        "savefig.dpi": DPI,
        "figure.dpi": 100,
        "svg.fonttype": "path",  # self-contained SVG: glyphs as outlines, no font needed to view it
        "pdf.fonttype": 42,
    }


def plt() -> Any:
    """matplotlib.pyplot on the Agg backend (never a window)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as pyplot

    return pyplot


@contextmanager
def theme(lang: str) -> Iterator[None]:
    """The house style for ``lang`` while drawing and saving a figure."""
    with plt().rc_context(rc(lang)):
        yield


def new_figure(kind: str = "chart", *, figsize: tuple[float, float] | None = None, height: float | None = None,
               **kw: Any) -> tuple[Any, Any]:
    """``(fig, ax)`` of the size for ``kind`` with a constrained layout (titles, legends and colour
    bars are never clipped). Call inside :func:`theme`."""
    w, h = figsize or FIGSIZE.get(kind, FIGSIZE["chart"])
    fig, ax = plt().subplots(figsize=(w, height or h), layout="constrained", **kw)
    return fig, ax


class FigurePaths(NamedTuple):
    png: Path
    svg: Path | None
    pdf: Path | None = None


def save_figure(fig: Any, path: PathLike, *, formats: Sequence[str] = ("png", "svg"), dpi: int = DPI,
                close: bool = True) -> FigurePaths:
    """Write ``fig`` as ``path``.png and ``path``.svg (a ``.png``/``.svg`` suffix on ``path`` is
    dropped first), each atomically; return both paths (svg None when not asked for). ``"pdf"`` in
    ``formats`` adds a PDF with the fonts embedded (TrueType/CID, text extractable)."""
    from ..io import atomic_path

    p = Path(path)
    if p.suffix.lower() in (".png", ".svg"):
        p = p.with_suffix("")
    out: dict[str, Path] = {}
    try:
        for fmt in formats:
            final = p.with_name(f"{p.name}.{fmt}")
            with atomic_path(final) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.08, facecolor="white")
            out[fmt] = final
    finally:
        if close:
            plt().close(fig)
    return FigurePaths(out.get("png", p.with_name(p.name + ".png")), out.get("svg"), out.get("pdf"))


# --------------------------------------------------------------------------------------------------
# words

#: chart words the specs and schemes do not carry: key -> (en, zh)
TERMS: dict[str, tuple[str, str]] = {
    "year": ("Year", "年份"),
    "observed": ("observed", "观测值"),
    "fitted": ("fitted", "拟合值"),
    "scenario": ("Scenario", "情景"),
    "band_5_95": ("5–95 % band", "5%–95% 区间"),
    "peak_title": ("CO₂ emissions: STIRPAT projection and peak", "碳排放 STIRPAT 预测与达峰"),
    "peak_target": ("2030 peak target", "2030 年达峰目标"),
    "neutral_target": ("2060 neutrality", "2060 年碳中和"),
    "emissions": ("CO₂ emissions", "碳排放量"),
    "emission": ("Emission", "碳排放"),
    "absorption": ("Absorption", "碳吸收"),
    "net_emission": ("Net emission", "净碳排放"),
    "balance_title": ("Carbon balance by zone", "各分区碳收支"),
    "zoning_balance3": ("Carbon compensation zoning", "碳补偿分区"),
    "zoning_quadrant": ("Carbon balance zoning (ECC × ESC)", "碳平衡分区（经济贡献 × 生态承载）"),
    "zoning_balance3_value": ("Carbon compensation zoning (by value)", "碳补偿分区（按补偿价值）"),
    "zone": ("Zone", "分区"),
    "carbon_density": ("Carbon density", "碳密度"),
    "carbon_change": ("Carbon stock change", "碳储量变化"),
    "landuse": ("Land use", "土地利用"),
    "lon": ("Longitude (°E)", "经度（°E）"),
    "lat": ("Latitude (°N)", "纬度（°N）"),
    "easting": ("Easting (m)", "东坐标（m）"),
    "northing": ("Northing (m)", "北坐标（m）"),
    "north": ("N", "N"),
    "nodata": ("no data", "无数据"),
    "level": ("Level", "等级"),
    "agriculture_level5": ("Agricultural production suitability", "农业生产适宜性评价"),
    "urban_level5": ("Urban construction suitability", "城镇建设适宜性评价"),
    "ecology_level5": ("Ecological protection importance", "生态保护重要性评价"),
    "agriculture_level3": ("Agricultural production suitability (3 levels)", "农业生产适宜性（三级）"),
    "urban_level3": ("Urban construction suitability (3 levels)", "城镇建设适宜性（三级）"),
    "ecology_level3": ("Ecological protection importance (3 levels)", "生态保护重要性（三级）"),
    "conflicts_title": ("Control-line conflicts", "三区三线冲突"),
    "conflict_multiple": ("several conflicts", "多重冲突"),
    "pareto_solutions": ("Pareto solutions", "帕累托最优解"),
    "compromise": ("compromise ({method})", "折中解（{method}）"),
    "pareto_title": ("Land-structure optimisation: Pareto front", "土地利用结构优化：帕累托前沿"),
    "obj_carbon": ("Carbon stock", "碳储量"),
    "obj_emissions": ("Net land-use emission", "土地利用净碳排放"),
    "obj_economy": ("Economic output", "经济产出"),
    "obj_esv": ("Ecosystem service value", "生态系统服务价值"),
    "sankey_title": ("Land-use transitions", "土地利用转移"),
    "changed": ("changed", "变化"),
    "total": ("total", "合计"),
    "from": ("from", "转出"),
    "to": ("to", "转入"),
}

#: scenario keys -> (en, zh), for scenario names the data give as keys
SCENARIO_NAMES: dict[str, tuple[str, str]] = {
    "baseline": ("baseline", "基准情景"), "low_carbon": ("low carbon", "低碳情景"),
    "high_growth": ("high growth", "高速增长情景"), "natural": ("natural development", "自然发展情景"),
    "natural_development": ("natural development", "自然发展情景"),
    "ecological_protection": ("ecological protection", "生态保护情景"),
    "cropland_protection": ("cropland protection", "耕地保护情景"),
    "economic_development": ("economic development", "经济发展情景"),
}


def text(key: str, lang: str, **fmt: Any) -> str:
    """The chart word ``key`` in ``lang`` (:data:`TERMS`); unknown keys come back humanised."""
    en, zh = TERMS.get(key, (key.replace("_", " "), key.replace("_", " ")))
    s = zh if check_lang(lang) == "zh" else en
    return s.format(**fmt) if fmt else s


def scenario_name(name: str, lang: str) -> str:
    """A scenario key in words (``baseline`` -> 基准情景 / baseline); other names as given."""
    hit = SCENARIO_NAMES.get(str(name))
    if hit is None:
        return str(name)
    return hit[1] if check_lang(lang) == "zh" else hit[0]


@cache
def _spec(model: str) -> Any:
    try:
        from ..models import registry

        return registry.spec(model)
    except Exception:  # a model being migrated may not import: fall back to the catalogue
        return None


def _spec_entry(model: str | None, name: str) -> tuple[Any, Any]:
    """(output or input, column) of ``model`` named ``name`` (either may be None)."""
    spec = _spec(model) if model else None
    if spec is None:
        return None, None
    for o in spec.outputs:
        if o.name == name:
            return o, None
    for i in spec.inputs:
        if i.name == name:
            return i, None
    for o in (*spec.outputs, *spec.inputs):
        for c in getattr(o, "columns", ()) or ():
            if c.name == name:
                return o, c
    return None, None


def units(model: str | None, name: str, default: str = "") -> str:
    """The units the spec of ``model`` gives output/input/column ``name`` (``default`` if none)."""
    entry, col = _spec_entry(model, name)
    u = (col.units if col is not None else getattr(entry, "units", None)) if entry is not None else None
    return u or default


def label(name: str, lang: str, *, model: str | None = None) -> str:
    """The words for output/input/column ``name``: :data:`TERMS`, else the spec's label
    (``label_zh``/``label_en``) or description (``doc_zh``/``doc``), else ``name`` humanised."""
    zh = check_lang(lang) == "zh"
    if name in TERMS:
        return text(name, lang)
    entry, col = _spec_entry(model, name)
    for obj in (col, entry):
        if obj is None:
            continue
        s = (getattr(obj, "label_zh", "") or getattr(obj, "doc_zh", "")) if zh else \
            (getattr(obj, "label_en", "") or getattr(obj, "doc", ""))
        if s:
            return str(s)
    return name.replace("_", " ")


_UNIT_PRETTY = (("10^4", "10⁴"), ("10^8", "10⁸"), ("1e4", "10⁴"), ("CO2e", "CO₂e"), ("CO2", "CO₂"),
                ("km2", "km²"), ("m2", "m²"))


def unit_text(u: str | None) -> str:
    """Units as printed (``10^4 t CO2/a`` -> ``10⁴ t CO₂/a``)."""
    s = str(u or "")
    for a, b in _UNIT_PRETTY:
        if a == "CO2" and "CO₂" in s:
            continue
        s = s.replace(a, b)
    return s


def axis_label(words: str, u: str | None, lang: str) -> str:
    """``words (units)``; full-width brackets in Chinese."""
    u = unit_text(u)
    if not u or u in ("-", "1"):
        return words
    return f"{words}（{u}）" if check_lang(lang) == "zh" else f"{words} ({u})"


def title_text(words: str, lang: str, *, year: int | str | None = None, scenario: str | None = None,
               extra: str | None = None) -> str:
    """A title with its year and scenario: ``碳补偿分区（2023 年，基准情景）`` /
    ``Carbon compensation zoning, 2023 (baseline)``."""
    zh = check_lang(lang) == "zh"
    sc = scenario_name(scenario, lang) if scenario else None
    if zh:
        parts = [p for p in (f"{year} 年" if year is not None else None, sc, extra) if p]
        if not parts:
            return words
        if words.endswith("）"):  # one bracket: 碳平衡分区（经济贡献 × 生态承载，2023 年）
            return f"{words[:-1]}，{'，'.join(parts)}）"
        return f"{words}（{'，'.join(parts)}）"
    s = f"{words}, {year}" if year is not None else words
    tail = [p for p in (sc, extra) if p]
    return f"{s} ({'; '.join(tail)})" if tail else s


def set_title(ax: Any, title: str, *, wrap: int | None = None) -> Any:
    """A bold title, wrapped to ``wrap`` characters (CJK characters count double)."""
    return ax.set_title(_wrap(title, wrap) if wrap else title, fontweight="bold", fontsize=FONT_SIZE["title"])


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _wrap(s: str, width: int) -> str:
    if _width(s) <= width:
        return s
    out, line = [], ""
    for ch in s:
        line += ch
        if _width(line) >= width and (ch in " ，,；;）)" or ord(ch) > 0x2E80):
            out.append(line.rstrip())
            line = ""
    if line.strip():
        out.append(line.strip())
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# colours

#: scenario colours (colour-blind-safe Dark2)
SCENARIO_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
#: suitability levels 1 (best) … 5 (worst)
LEVEL_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
#: ecological importance 1 (most important) … 5
IMPORTANCE_COLOURS = ("#00441b", "#238b45", "#74c476", "#c7e9c0", "#f7fcf5")
#: control-line conflict checks by bit, and the colour of cells with several
CONFLICT_COLOURS = {1: "#7b3294", 2: "#e66101", 4: "#d7191c", 8: "#fdb863", 16: "#0571b0", 32: "#8c510a"}
MULTIPLE_CONFLICT_COLOUR = "#222222"
#: the fallback qualitative palette (Tableau 10)
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
_CMAPS = {"density": "YlGn", "stock": "YlGn", "change": "BrBG", "score": "viridis", "emission": "YlOrRd"}


def cmap(kind: str) -> Any:
    """The colour ramp for ``kind``: density/stock (YlGn), change (BrBG, diverging: loss brown,
    gain green), score, emission; no-data cells transparent."""
    from matplotlib import colormaps

    return colormaps[_CMAPS.get(kind, kind)].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))


def change_norm(values: Any, *, limit: float | None = None) -> Any:
    """A norm centred on 0 for a change map, symmetric to the 99th percentile of |values|."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    if limit is None:
        a = np.abs(np.asarray(values, dtype=float))
        a = a[np.isfinite(a)]
        limit = float(np.percentile(a, 99)) if a.size else 1.0
    limit = max(float(limit), 1e-9)
    return TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)


def scenario_colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def zone_colour(zone_class: str) -> str:
    """The colour of a balance-zoning class (``payment``, ``low_carbon_maintenance`` …)."""
    from ..models.balance import ZONE_COLOURS

    return ZONE_COLOURS.get(zone_class, "#cccccc")


def zone_class_name(zone_class: str, lang: str) -> str:
    """A balance-zoning class in words (支付区 / payment zone)."""
    from ..models.balance import ZONES_BALANCE3, ZONES_QUADRANT

    if check_lang(lang) == "zh":
        return {**ZONES_BALANCE3, **ZONES_QUADRANT}.get(zone_class, zone_class)
    en = {"payment": "payment zone", "balance": "balanced zone", "receiving": "receiving zone",
          "no_emission": "no emission"}
    return en.get(zone_class, zone_class.replace("_", " "))


def zoning_classes(scheme: str) -> list[str]:
    """The classes of balance scheme ``zone_balance3`` / ``zone_quadrant``, in legend order."""
    from ..models.balance import ZONES_BALANCE3, ZONES_QUADRANT

    return list(ZONES_QUADRANT if scheme == "zone_quadrant" else ZONES_BALANCE3)


def level_names(evaluation: str, lang: str, *, scale: str = "level5") -> dict[int, str]:
    """Level -> words of a suitability evaluation (agriculture, urban, ecology), from the model."""
    try:
        from ..models.evaluate.suitability import LEVEL3_NAMES, LEVEL5_NAMES

        names = (LEVEL3_NAMES if scale == "level3" else LEVEL5_NAMES)[evaluation]
    except Exception:  # unknown evaluation: the numbers alone
        n = 3 if scale == "level3" else 5
        return {i: f"{text('level', lang)} {i}" for i in range(1, n + 1)}
    zh = check_lang(lang) == "zh"
    return {int(k): f"{k} {v[0] if zh else v[1]}" for k, v in names.items()}


def level_colours(evaluation: str, *, scale: str = "level5") -> dict[int, str]:
    ramp = IMPORTANCE_COLOURS if evaluation == "ecology" else LEVEL_COLOURS
    if scale == "level3":
        return {1: ramp[0], 2: ramp[2], 3: ramp[4]}
    return {i + 1: c for i, c in enumerate(ramp)}


def conflict_names(lang: str) -> dict[int, str]:
    """Conflict bit -> words, from the control-line model's check table."""
    from ..models.evaluate.control_lines import CONFLICTS

    zh = check_lang(lang) == "zh"
    out = {}
    for bit, key, desc in CONFLICTS:
        cut = next((i for i, ch in enumerate(desc) if ch.isascii() and ch.isalpha()), len(desc))
        z, e = desc[:cut].strip(), desc[cut:].strip()
        out[bit] = (z or key) if zh else (e or key.replace("_", " "))
    return out


def class_names(scheme: Any, lang: str) -> dict[int, str]:
    """Class code -> name in ``lang``, from a class scheme (name or :class:`ClassScheme`)."""
    from ..core.classes import get_scheme

    s = get_scheme(scheme)
    return {c.code: c.name(check_lang(lang)) for c in s.classes}


def class_colours(scheme: Any) -> dict[int, str]:
    from ..core.classes import get_scheme

    return {c.code: c.colour for c in get_scheme(scheme).classes}


# --------------------------------------------------------------------------------------------------
# numbers


def fmt_number(v: float, digits: int | None = None) -> str:
    """Thousands separators, no scientific notation: 12,345,678 / 1,234.5 / 0.0123; a true minus."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 0.1 else 4
    s = f"{v:,.{digits}f}"
    return s.replace("-", "−") if s.startswith("-") else s


class PlainFormatter(ticker.Formatter):
    """A tick formatter with thousands separators, decimals from the tick spacing, no offset and no
    scientific notation (``ax.xaxis.set_major_formatter(PlainFormatter())``)."""

    decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        steps = [abs(b - a) for a, b in zip(locs[:-1], locs[1:]) if b != a]
        step = min(steps) if steps else 1.0
        self.decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if 0 < step < 1 else 0

    def __call__(self, x: float, pos: int | None = None) -> str:
        return fmt_number(0.0 if abs(x) < 1e-12 else x, self.decimals)

    def get_offset(self) -> str:
        return ""


def plain_axis(ax: Any, axis: str = "both") -> None:
    """No offset text, no 1e10, thousands separators on the ``x``/``y``/``both`` axes."""
    for name in ("x", "y"):
        if axis in (name, "both"):
            getattr(ax, f"{name}axis").set_major_formatter(PlainFormatter())


# --------------------------------------------------------------------------------------------------
# legends and map furniture


def legend(ax: Any, handles: Sequence[Any] | None = None, *, title: str | None = None, outside: bool = False,
           loc: str = "best", ncol: int = 1) -> Any:
    """The house legend; ``outside`` puts it right of the axes (maps: never over the data)."""
    kw: dict[str, Any] = {"title": title, "ncol": ncol, "fontsize": FONT_SIZE["legend"]}
    if handles is not None:
        kw["handles"] = list(handles)
    if outside:
        kw.update(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    else:
        kw["loc"] = loc
    return ax.legend(**kw)


def patches(colours: Mapping[Any, str], names: Mapping[Any, str], *, wrap: int = 30) -> list[Any]:
    """Legend patches, one per key of ``names`` (in its order); labels wrapped to ``wrap`` columns
    (a CJK character counts two) so a legend beside a map never squeezes it."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=colours[k], edgecolor="#666666", linewidth=0.4, label=_wrap_words(str(names[k]), wrap))
            for k in names]


def _wrap_words(s: str, width: int) -> str:
    if _width(s) <= width:
        return s
    if " " not in s:
        return _wrap(s, width)
    lines, line = [], ""
    for w in s.split(" "):
        if line and _width(line) + 1 + _width(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return "\n".join(lines)


def metres_per_unit(crs: Any, lat: float | None = None) -> float | None:
    """Metres per map unit along x: the axis unit of a projected CRS; for a geographic CRS the length
    of one degree of longitude at latitude ``lat`` (the map's centre). None without a CRS."""
    if crs is None:
        return None
    from pyproj import CRS, Geod

    c = CRS.from_user_input(crs)
    if c.is_geographic:
        la = float(lat or 0.0)
        ellps = c.ellipsoid
        geod = Geod(a=ellps.semi_major_metre, rf=ellps.inverse_flattening) if ellps else Geod(ellps="WGS84")
        _, _, d = geod.inv(0.0, la, 1.0, la)
        return float(d)
    try:
        return float(c.axis_info[0].unit_conversion_factor)
    except (IndexError, AttributeError):
        return 1.0


def _nice(x: float) -> float:
    e = math.floor(math.log10(x))
    f = x / 10**e
    return (1 if f < 2 else 2 if f < 5 else 5) * 10**e


def scale_bar(ax: Any, crs: Any, *, lang: str = "en", fraction: float = 0.2, loc: str = "lower right") -> float | None:
    """A scale bar about ``fraction`` of the map width; metres (km) for a projected CRS, the
    scale at the centre latitude for a geographic one. Returns its length in metres (None without
    a CRS)."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    mpu = metres_per_unit(crs, (y0 + y1) / 2)
    if not mpu:
        return None
    length_m = _nice(abs(x1 - x0) * mpu * fraction)
    lab = f"{fmt_number(length_m / 1000, 0)} km" if length_m >= 1000 else f"{length_m:g} m"
    bar = AnchoredSizeBar(ax.transData, length_m / mpu, lab, loc, pad=0.4, borderpad=0.6, sep=3, frameon=True,
                          size_vertical=abs(y1 - y0) * 0.006, color="#222222",
                          fontproperties={"size": FONT_SIZE["note"] + 0.5})
    bar.patch.set(alpha=0.8, edgecolor="#bbbbbb", facecolor="white")
    ax.add_artist(bar)
    return length_m


def north_arrow(ax: Any, *, lang: str = "en", x: float = 0.95, y: float = 0.97, size: float = 0.08) -> Any:
    """A north arrow in the upper right corner (axes fraction): "N" above an upward arrow, with a
    white halo so it reads over the data."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    ax.annotate("", xy=(x, y - 0.035), xytext=(x, y - 0.035 - size), xycoords="axes fraction",
                textcoords="axes fraction",
                arrowprops={"arrowstyle": "-|>,head_width=0.4,head_length=0.8", "color": "#222222", "lw": 1.4,
                            "path_effects": halo})
    return ax.text(x, y, text("north", lang), transform=ax.transAxes, ha="center", va="top",
                   fontsize=FONT_SIZE["label"] + 1, fontweight="bold", path_effects=halo)


def map_axes(ax: Any, bounds: tuple[float, float, float, float], crs: Any, *, lang: str,
             furniture: bool = True, ticks: bool = True) -> None:
    """Extent, aspect (1/cos φ for degrees), axis labels, scale bar and north arrow of a map."""
    import numpy as np

    x0, y0, x1, y1 = bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    geographic = False
    if crs is not None:
        from pyproj import CRS

        geographic = CRS.from_user_input(crs).is_geographic
    if geographic:
        ax.set_aspect(1.0 / np.cos(np.radians((y0 + y1) / 2)))
        ax.set_xlabel(text("lon", lang))
        ax.set_ylabel(text("lat", lang))
    else:
        ax.set_aspect("equal")
        if ticks and crs is not None:
            ax.set_xlabel(text("easting", lang))
            ax.set_ylabel(text("northing", lang))
            plain_axis(ax)
    if not ticks:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        for s in ax.spines.values():
            s.set_visible(True)
            s.set_color("#999999")
            s.set_linewidth(0.6)
    else:
        ax.tick_params(labelsize=FONT_SIZE["tick"] - 0.5)
        ax.spines["top"].set_visible(True)
        ax.spines["right"].set_visible(True)
    if furniture and crs is not None:
        scale_bar(ax, crs, lang=lang)
        north_arrow(ax, lang=lang)


def note(ax: Any, words: str, *, loc: str = "lower left") -> Any:
    """Small print (sources, citations) in a box in a corner of the axes."""
    x, ha = (0.01, "left") if "left" in loc else (0.99, "right")
    y, va = (0.01, "bottom") if "lower" in loc else (0.99, "top")
    return ax.annotate(words, xy=(x, y), xycoords="axes fraction", fontsize=FONT_SIZE["note"], ha=ha, va=va,
                       color="#333333", bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbbbbb",
                                              "alpha": 0.85})


__all__ = [
    "DPI", "FIGSIZE", "FONT_SIZE", "FigurePaths", "LANGS", "PlainFormatter", "TERMS", "axis_label", "change_norm",
    "check_lang", "class_colours", "class_names", "cmap", "conflict_names", "fmt_number", "font_families",
    "label", "legend", "level_colours", "level_names", "map_axes", "metres_per_unit", "new_figure", "north_arrow",
    "note", "patches", "plain_axis", "plt", "rc", "save_figure", "scale_bar", "scenario_colour", "scenario_name",
    "set_title", "text", "theme", "title_text", "units", "zone_class_name", "zone_colour", "zoning_classes",
]
