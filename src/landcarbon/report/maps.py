"""Static maps (PNG) with matplotlib's Agg backend, imported lazily.

Chinese labels need a CJK font. landcarbon never downloads fonts: when ``lang="zh"`` is asked for
and no installed font covers Chinese, the map falls back to English labels and says so
(:func:`cjk_font` returns None); tables keep their Chinese names either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.grid import grid_of
from ..io import atomic_path

#: font families that cover Chinese, tried in order
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback")

LABELS = {
    "en": {"title": "Carbon density", "units": "Mg C/ha", "lon": "Longitude (°E)", "lat": "Latitude (°N)",
           "set": "Density set"},
    "zh": {"title": "碳密度", "units": "Mg C/ha（吨碳/公顷）", "lon": "经度（°E）", "lat": "纬度（°N）",
           "set": "碳密度参数集"},
}


def cjk_font() -> str | None:
    """The name of an installed font family that covers Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in installed:
            return fam
    for f in font_manager.fontManager.ttflist:  # any other font whose name says CJK
        if any(k in f.name for k in ("CJK", "Hei", "Song", "Kai", "Ming")):
            return f.name
    return None


def label_language(lang: str) -> tuple[str, str | None]:
    """The language the map labels can be drawn in and the font to use: ("zh", font) when a CJK
    font is installed, else ("en", None)."""
    if lang == "zh":
        font = cjk_font()
        if font is not None:
            return "zh", font
    return "en", None


def density_map(density: Any, path: str | os.PathLike, *, zones: Any = None, lang: str = "en",
                title: str | Mapping[str, str] | None = None, note: str | Mapping[str, str] | None = None, vmax: float | None = None,
                dpi: int = 150) -> dict[str, Any]:
    """Draw a carbon-density raster (Mg C/ha, NaN = no data) with zone outlines as a PNG, atomically.

    ``density``: a 2-D DataArray with CRS and transform (rioxarray); ``zones``: a GeoDataFrame of
    outlines (reprojected to the raster's CRS). Returns ``{"path", "lang", "font"}`` where ``lang``
    is the language actually used for the labels. ``title`` and ``note`` (small print in the lower
    left corner, e.g. the density set and its citation) may be mappings {"zh": …, "en": …}: the
    entry for the language used is drawn.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import colormaps

    used, font = label_language(lang)
    lab = LABELS[used]
    grid = grid_of(density)
    x0, y0, x1, y1 = grid.bounds
    arr = np.asarray(density.values, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    top = vmax if vmax is not None else (float(np.nanpercentile(finite, 99.5)) if finite.size else 1.0)
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(9, 7.2), layout="constrained")
        try:
            cmap = colormaps["YlGn"].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))  # no data: transparent
            im = ax.imshow(np.ma.masked_invalid(arr), extent=(x0, x1, y0, y1), origin="upper", cmap=cmap,
                           vmin=0.0, vmax=max(top, 1e-9), interpolation="nearest")
            if zones is not None and len(zones):
                z = zones.to_crs(grid.crs) if grid.crs is not None and zones.crs != grid.crs else zones
                z.boundary.plot(ax=ax, color="#404040", linewidth=0.4)
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
            if grid.is_geographic:
                ax.set_xlabel(lab["lon"])
                ax.set_ylabel(lab["lat"])
                ax.set_aspect(1.0 / np.cos(np.radians((y0 + y1) / 2)))
            else:
                ax.set_aspect("equal")
            if isinstance(title, Mapping):
                title = title.get(used) or title.get("en")
            ax.set_title(title or lab["title"])
            cb = fig.colorbar(im, ax=ax, shrink=0.8)
            cb.set_label(f"{lab['title']} ({lab['units']})" if used == "en" else f"{lab['title']}（{lab['units']}）")
            if isinstance(note, Mapping):
                note = note.get(used) or note.get("en")
            if note:
                ax.annotate(note, xy=(0.01, 0.01), xycoords="axes fraction", fontsize=7, ha="left",
                            va="bottom", color="#333333",
                            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbbbbb", "alpha": 0.85})
            final = Path(path)
            with atomic_path(final) as tmp:
                fig.savefig(tmp, dpi=dpi, format="png")
        finally:
            plt.close(fig)
    return {"path": str(final), "lang": used, "font": font}
