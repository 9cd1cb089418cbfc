"""Charts of the planning evaluations: suitability and conflict maps and the Pareto front, in the house
style (:mod:`landcarbon.report.style`), in Chinese or English.

Rendered from run-folder files only (rasters and tables through :mod:`landcarbon.io`); each
figure is written atomically as PNG and SVG (``formats``). No model is called.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..core.grid import grid_of
from ..io import read_raster, read_table
from . import style

FORMATS = ("png", "svg")

#: kept for callers that read them; the charts take level names from the suitability model
LEVEL_COLOURS = list(style.LEVEL_COLOURS)
LEVEL_LABELS = {"en": ["1 highly suitable", "2 suitable", "3 moderately", "4 marginal", "5 unsuitable"],
                "zh": ["1 高适宜", "2 较适宜", "3 一般适宜", "4 较不适宜", "5 不适宜"]}


def _evaluation(stem: str) -> tuple[str, str]:
    """("agriculture", "level5") from a file stem such as agriculture_level5."""
    ev, _, scale = stem.partition("_")
    return ev, (scale if scale in ("level5", "level3") else "level5")


def _map_title(stem: str, lang: str, year: int | None, scenario: str | None) -> str:
    words = style.label(stem, lang, model="suitability")
    return style.title_text(words, lang, year=year, scenario=scenario)


def suitability_map_png(raster: str | os.PathLike, png: str | os.PathLike, *, title: str = "",
                        lang: str = "en", year: int | None = None, scenario: str | None = None,
                        evaluation: str | None = None, formats: Sequence[str] = FORMATS) -> Path:
    """A suitability raster (levels 1 best … 5 worst, or 3 levels; 0 = no data) as a map with a
    legend of the levels present, in ``lang``. The title (unless given) names the evaluation
    (农业生产适宜性评价 …) from the file name (``agriculture_level5``) or ``evaluation``, with
    ``year`` and ``scenario``. Returns the PNG path (SVG beside it)."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    lang = style.check_lang(lang)
    stem = Path(raster).stem
    ev, scale = _evaluation(stem)
    ev = evaluation or ev
    da = read_raster(raster, chunks=None)
    grid = grid_of(da)
    a = np.asarray(da.data).astype(float)
    a[(a <= 0) | ~np.isfinite(a)] = np.nan
    names = style.level_names(ev, lang, scale=scale)
    colours = style.level_colours(ev, scale=scale)
    n = max(names)
    cm = ListedColormap([colours.get(i, "#cccccc") for i in range(1, n + 1)]).with_extremes(bad=(0, 0, 0, 0))
    present = [k for k in names if np.any(a == k)]
    t = title or _map_title(f"{ev}_{scale}", lang, year, scenario)
    with style.theme(lang):
        fig, ax = style.new_figure("map")
        x0, y0, x1, y1 = grid.bounds
        ax.imshow(np.ma.masked_invalid(a), extent=(x0, x1, y0, y1), cmap=cm,
                  norm=BoundaryNorm(np.arange(n + 1) + 0.5, n), interpolation="nearest")
        style.map_axes(ax, grid.bounds, grid.crs, lang=lang, ticks=bool(grid.is_geographic))
        style.legend(ax, style.patches(colours, {k: names[k] for k in present}), title=style.text("level", lang),
                     outside=True)
        style.set_title(ax, t, wrap=60)
        saved = style.save_figure(fig, png, formats=formats)
    return saved.png


def conflict_map_png(raster: str | os.PathLike, png: str | os.PathLike, *, title: str | None = None,
                     lang: str = "en", year: int | None = None, scenario: str | None = None,
                     formats: Sequence[str] = FORMATS) -> Path:
    """The control-line conflict raster (bit flags, 0 = none) as a map: one colour per conflict
    check, a dark colour where a cell has several, and a legend with one entry per category present
    (names from the control-line model, in ``lang``). Returns the PNG path (SVG beside it)."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    lang = style.check_lang(lang)
    da = read_raster(raster, chunks=None)
    grid = grid_of(da)
    a = np.asarray(da.data)
    nd = da.rio.nodata if hasattr(da, "rio") else None
    a = np.where(np.isfinite(a), a, 0).astype(np.int64) if a.dtype.kind == "f" else a.astype(np.int64)
    if nd is not None and np.isfinite(nd):
        a = np.where(a == int(nd), 0, a)
    names = style.conflict_names(lang)
    bits = list(names)
    cats = np.full(a.shape, np.nan)
    single = {b: i for i, b in enumerate(bits)}
    n_set = np.zeros(a.shape, np.int64)
    for b in bits:
        n_set += (a & b) > 0
    for b, i in single.items():
        cats[(n_set == 1) & ((a & b) > 0)] = i
    multi = len(bits)
    cats[n_set > 1] = multi
    colours = {i: style.CONFLICT_COLOURS.get(b, style.PALETTE[i % len(style.PALETTE)]) for b, i in single.items()}
    colours[multi] = style.MULTIPLE_CONFLICT_COLOUR
    labels = {single[b]: names[b] for b in bits}
    labels[multi] = style.text("conflict_multiple", lang)
    present = {k: labels[k] for k in sorted(labels) if np.any(cats == k)}
    cm = ListedColormap([colours[k] for k in range(multi + 1)]).with_extremes(bad=(0, 0, 0, 0))
    t = title or style.title_text(style.text("conflicts_title", lang), lang, year=year, scenario=scenario)
    with style.theme(lang):
        fig, ax = style.new_figure("map")
        x0, y0, x1, y1 = grid.bounds
        ax.imshow(np.ma.masked_invalid(cats), extent=(x0, x1, y0, y1), cmap=cm,
                  norm=BoundaryNorm(np.arange(multi + 2) - 0.5, multi + 1), interpolation="nearest")
        style.map_axes(ax, grid.bounds, grid.crs, lang=lang, ticks=bool(grid.is_geographic))
        if present:
            style.legend(ax, style.patches(colours, present), outside=True)
        style.set_title(ax, t, wrap=60)
        saved = style.save_figure(fig, png, formats=formats)
    return saved.png


def pareto_png(front_csv: str | os.PathLike, png: str | os.PathLike, *, x: str | None = None,
               y: str | None = None, units: Mapping[str, str] | None = None, lang: str = "en",
               title: str | None = None, formats: Sequence[str] = FORMATS) -> Path:
    """Pareto front (first two objectives unless named) with the compromise solution highlighted;
    plain numbers with thousands separators on both axes (no 1e10 offset), objective names in
    ``lang`` and units from the optimisation spec (or ``units``). Returns the PNG path."""
    from ..models.optimize.problem import OBJECTIVES

    lang = style.check_lang(lang)
    df = read_table(front_csv)
    objs = [c for c in df.columns if c.startswith("obj_")]
    x = x or objs[0]
    y = y or objs[1]
    u = {k: v[1] for k, v in OBJECTIVES.items()} | dict(units or {})

    def unit_of(col: str) -> str:
        return u.get(col[4:]) or style.units("optimize", col, "")

    with style.theme(lang):
        fig, ax = style.new_figure("chart")
        ax.scatter(df[x], df[y], s=18, c="#4575b4", label=style.text("pareto_solutions", lang), zorder=2)
        ch = df[df["chosen"].astype(str).str.lower() == "true"] if "chosen" in df.columns else df.iloc[:0]
        if len(ch):
            method = str(df["compromise_method"].iloc[0]) if "compromise_method" in df.columns else ""
            ax.scatter(ch[x], ch[y], s=110, marker="*", c="#d73027", zorder=3,
                       label=style.text("compromise", lang, method=method))
        ax.set_xlabel(style.axis_label(style.label(x, lang, model="optimize"), unit_of(x), lang))
        ax.set_ylabel(style.axis_label(style.label(y, lang, model="optimize"), unit_of(y), lang))
        style.plain_axis(ax)
        ax.grid(alpha=0.3)
        style.legend(ax)
        style.set_title(ax, title or style.text("pareto_title", lang))
        saved = style.save_figure(fig, png, formats=formats)
    return saved.png


def render_demo(paths: Mapping[str, Path], *, lang: str = "en", formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """PNGs (and SVGs) for the files returned by ``landcarbon.workflow.evaluate.demo_step``."""
    out = {}
    sm = Path(paths["suitability_map"])
    out["suitability_png"] = suitability_map_png(sm, sm.with_suffix(".png"), lang=lang, formats=formats)
    cm = Path(paths["conflict_map"])
    out["conflict_png"] = conflict_map_png(cm, cm.with_suffix(".png"), lang=lang, formats=formats)
    pf = Path(paths["pareto_table"])
    out["pareto_png"] = pareto_png(pf, pf.with_suffix(".png"), lang=lang, formats=formats)
    return out


def _summary_units(d: Path) -> dict[str, str]:
    # landcarbon.io has no JSON reader yet: summary.json is read here, read-only
    p = d / "summary.json"
    if not p.exists():
        return {}
    return dict(json.loads(p.read_text(encoding="utf-8")).get("units", {}) or {})


def render_run(run_dir: str | os.PathLike, *, lang: str = "en", year: int | None = None,
               scenario: str | None = None, formats: Sequence[str] = FORMATS) -> list[Path]:
    """PNGs (and SVGs) for whatever planning outputs a run folder holds (level5 maps, conflicts,
    Pareto front); returns the PNG paths."""
    d = Path(run_dir)
    made = []
    for tif in sorted(d.glob("*_level5.tif")):
        made.append(suitability_map_png(tif, tif.with_suffix(".png"), lang=lang, year=year, scenario=scenario,
                                        formats=formats))
    if (d / "conflicts.tif").exists():
        made.append(conflict_map_png(d / "conflicts.tif", d / "conflicts.png", lang=lang, year=year,
                                     scenario=scenario, formats=formats))
    if (d / "pareto_front.csv").exists():
        made.append(pareto_png(d / "pareto_front.csv", d / "pareto_front.png", units=_summary_units(d), lang=lang,
                               formats=formats))
    return made
