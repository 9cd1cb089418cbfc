"""Static raster maps (PNG, optionally SVG) in the house style (:mod:`landcarbon.report.style`).

Carbon density (sequential ramp), carbon change (diverging ramp centred on 0) and land use (the
class scheme's colours and names), each with zone outlines, a scale bar (metres for a projected
CRS, the scale at the centre latitude for degrees), a north arrow, and a title with year and
scenario. Chinese labels use the CJK font that :mod:`landcarbon.report.fonts` registers (shipped
as a dependency); on a machine where no font covers Chinese at all, ``lang="zh"`` falls back to
English labels and says so (:func:`cjk_font` returns None).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.grid import grid_of
from . import style

#: font families that cover Chinese, tried in order (system fonts; see report.fonts)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback")

#: kept for callers that read it; the words come from style.TERMS and the units from the spec
LABELS = {
    "en": {"title": "Carbon density", "units": "Mg C/ha", "lon": "Longitude (°E)", "lat": "Latitude (°N)",
           "set": "Density set"},
    "zh": {"title": "碳密度", "units": "Mg C/ha（吨碳/公顷）", "lon": "经度（°E）", "lat": "纬度（°N）",
           "set": "碳密度参数集"},
}


def cjk_font() -> str | None:
    """The name of a font family that covers Chinese (the packaged Noto Sans CJK unless a system
    family is preferred), or None."""
    from . import fonts

    return fonts.cjk_family()


def label_language(lang: str) -> tuple[str, str | None]:
    """The language the map labels can be drawn in and the font to use: ("zh", font) when a CJK
    font is available, else ("en", None)."""
    if style.check_lang(lang) == "zh":
        font = cjk_font()
        if font is not None:
            return "zh", font
    return "en", None


def _pick(v: str | Mapping[str, str] | None, lang: str) -> str | None:
    if isinstance(v, Mapping):
        return v.get(lang) or v.get("en")
    return v


def _raster_map(arr: np.ndarray, grid: Any, path: str | os.PathLike, *, lang: str, title: str,
                zones: Any = None, note: str | None = None, cmap: Any = None, norm: Any = None,
                colorbar: str | None = None, handles: Sequence[Any] | None = None, legend_title: str | None = None,
                formats: Sequence[str], dpi: int, kind: str = "map") -> style.FigurePaths:
    x0, y0, x1, y1 = grid.bounds
    w, h = style.FIGSIZE[kind]
    aspect = (y1 - y0) / max(x1 - x0, 1e-12)
    if grid.is_geographic:
        aspect /= np.cos(np.radians((y0 + y1) / 2))
    with style.theme(lang):
        # the axes take the map's shape; the figure's height follows so no band is left empty
        fig, ax = style.new_figure(kind, figsize=(w, min(max(w * 0.78 * aspect + 0.9, 3.2), 9.5)))
        im = ax.imshow(arr, extent=(x0, x1, y0, y1), origin="upper", cmap=cmap, norm=norm, interpolation="nearest")
        if zones is not None and len(zones):
            z = zones.to_crs(grid.crs) if grid.crs is not None and zones.crs is not None and zones.crs != grid.crs \
                else zones
            z.boundary.plot(ax=ax, color="#404040", linewidth=0.4)
        style.map_axes(ax, (x0, y0, x1, y1), grid.crs, lang=lang, ticks=bool(grid.is_geographic))
        style.set_title(ax, title, wrap=70)
        if colorbar is not None:
            cb = fig.colorbar(im, ax=ax, shrink=0.75, pad=0.02, aspect=30)
            cb.set_label(colorbar)
            cb.ax.yaxis.set_major_formatter(style.PlainFormatter())
        if handles:
            style.legend(ax, handles, title=legend_title, outside=True)
        if note:
            style.note(ax, note)
        return style.save_figure(fig, path, formats=formats, dpi=dpi)


def density_map(density: Any, path: str | os.PathLike, *, zones: Any = None, lang: str = "en",
                title: str | Mapping[str, str] | None = None, note: str | Mapping[str, str] | None = None,
                vmax: float | None = None, dpi: int = style.DPI, year: int | None = None,
                scenario: str | None = None, formats: Sequence[str] = ("png",)) -> dict[str, Any]:
    """Draw a carbon-density raster (Mg C/ha, NaN = no data) with zone outlines, atomically.

    ``density``: a 2-D DataArray with CRS and transform (rioxarray); ``zones``: a GeoDataFrame of
    outlines (reprojected to the raster's CRS). Returns ``{"path", "lang", "font"}`` (and ``"svg"``
    when one was written) where
    ``lang`` is the language actually used for the labels. ``title`` and ``note`` (small print in the
    lower left corner, e.g. the density set and its citation) may be mappings {"zh": …, "en": …}:
    the entry for the language used is drawn. Without a title: "碳密度（2019 年）" from ``year`` and
    ``scenario``. ``formats`` defaults to PNG only (``path`` names the PNG); pass
    ``formats=("png", "svg")`` for the SVG beside it.
    """
    used, font = label_language(lang)
    grid = grid_of(density)
    arr = np.asarray(density.values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    top = vmax if vmax is not None else (float(np.nanpercentile(finite, 99.5)) if finite.size else 1.0)
    from matplotlib.colors import Normalize

    u = style.units("carbon_stock", "c_density", "Mg C/ha")
    t = _pick(title, used) or style.title_text(style.text("carbon_density", used), used, year=year, scenario=scenario)
    out = _raster_map(np.ma.masked_invalid(arr), grid, path, lang=used, title=t, zones=zones, note=_pick(note, used),
                      cmap=style.cmap("density"), norm=Normalize(0.0, max(top, 1e-9)),
                      colorbar=style.axis_label(style.text("carbon_density", used), u, used),
                      formats=formats, dpi=dpi, kind="wide_map" if grid.is_geographic else "map")
    info = {"path": str(out.png), "lang": used, "font": font}
    if out.svg is not None:
        info["svg"] = str(out.svg)
    return info


def change_map(change: Any, path: str | os.PathLike, *, zones: Any = None, lang: str = "en",
               title: str | Mapping[str, str] | None = None, units: str = "Mg C/ha", limit: float | None = None,
               years: tuple[int, int] | None = None, scenario: str | None = None, note: str | None = None,
               dpi: int = style.DPI, formats: Sequence[str] = ("png", "svg")) -> style.FigurePaths:
    """A carbon-change raster (t2 − t1; NaN = no data) on a diverging ramp centred on 0 (loss brown,
    gain green), symmetric to ``limit`` (default the 99th percentile of |change|)."""
    used, _ = label_language(lang)
    grid = grid_of(change)
    arr = np.asarray(change.values, dtype=np.float64)
    words = style.text("carbon_change", used)
    extra = f"{years[0]}–{years[1]}" if years else None
    t = _pick(title, used) or style.title_text(words, used, scenario=scenario, extra=extra)
    return _raster_map(np.ma.masked_invalid(arr), grid, path, lang=used, title=t, zones=zones, note=note,
                       cmap=style.cmap("change"), norm=style.change_norm(arr, limit=limit),
                       colorbar=style.axis_label(words, units, used), formats=formats, dpi=dpi)


def landuse_map(landuse: Any, path: str | os.PathLike, *, scheme: Any = "national6", zones: Any = None,
                lang: str = "en", title: str | Mapping[str, str] | None = None, year: int | None = None,
                scenario: str | None = None, nodata: int | None = None, note: str | None = None,
                dpi: int = style.DPI, formats: Sequence[str] = ("png", "svg")) -> style.FigurePaths:
    """A land-use map in the class scheme's colours, with a legend of the classes present (names in
    ``lang``), zone outlines, scale bar, north arrow and a title with year and scenario."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    used, _ = label_language(lang)
    grid = grid_of(landuse)
    a = np.asarray(landuse.values)
    nd = nodata if nodata is not None else landuse.rio.nodata if hasattr(landuse, "rio") else None
    names, colours = style.class_names(scheme, used), style.class_colours(scheme)
    valid = np.isin(a, list(names)) & (a != nd if nd is not None else True)
    present = [c for c in names if np.any(a[valid] == c)]
    codes = sorted(names)
    idx = np.full(a.shape, np.nan)
    for i, c in enumerate(codes):
        idx[valid & (a == c)] = i
    cm = ListedColormap([colours[c] for c in codes]).with_extremes(bad=(0, 0, 0, 0))
    norm = BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes))
    t = _pick(title, used) or style.title_text(style.text("landuse", used), used, year=year, scenario=scenario)
    return _raster_map(np.ma.masked_invalid(idx), grid, path, lang=used, title=t, zones=zones, note=note, cmap=cm,
                       norm=norm, handles=style.patches(colours, {c: names[c] for c in present}), formats=formats,
                       dpi=dpi)
