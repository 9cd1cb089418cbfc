"""Charts of the carbon runs, drawn from a run folder only: peak projection, compensation zoning and
the balance by zone, in the house style (:mod:`landcarbon.report.style`), in Chinese or English.

Files are read through :mod:`landcarbon.io`; each figure is written atomically as PNG and SVG
(``formats``) into the run folder. No model is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import InputValidationError
from ..io import read_table
from . import fonts, style

PathLike = str | os.PathLike
FORMATS = ("png", "svg")


def _zone_label(name: Any, i: int, lang: str, zone_names: Mapping[str, str] | None) -> str:
    """A zone's name as drawn: ``zone_names[name]`` when given, else the name itself (Chinese names
    need the CJK font, shipped as a dependency; without any font covering them: ``#n``)."""
    s = str(name)
    if zone_names and s in zone_names:
        s = str(zone_names[s])
    if s.isascii() or fonts.cjk_family() is not None:
        return s
    return f"#{i + 1}"


def _year_axis(ax: Any, axis: str = "x") -> None:
    from matplotlib import ticker

    a = getattr(ax, f"{axis}axis")
    a.set_major_locator(ticker.MaxNLocator(integer=True))
    a.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.0f}"))


def peak_chart(run_dir: PathLike, *, out: PathLike | None = None, lang: str = "en", title: str | None = None,
               formats: Sequence[str] = FORMATS) -> Path:
    """Emissions history (observed, fitted) and each scenario's projection with its 5–95 % band, peak
    marked, the 2030 and 2060 lines; returns the PNG path (SVG beside it)."""
    lang = style.check_lang(lang)
    d = Path(run_dir)
    proj = read_table(d / "projection.csv")
    peaks = read_table(d / "peaks.csv")
    fitted = read_table(d / "fitted.csv")
    obs_col = next(c for c in fitted.columns if c.startswith("observed_"))
    unit = obs_col.split("_", 1)[1]
    u = style.units("peak", f"emissions_{unit}", unit)
    with style.theme(lang):
        fig, ax = style.new_figure("chart")
        ax.plot(fitted["year"], fitted[obs_col], "k.", ms=4, label=style.text("observed", lang))
        ax.plot(fitted["year"], fitted[f"fitted_{unit}"], "k-", lw=1, label=style.text("fitted", lang))
        band = False
        for i, (name, g) in enumerate(proj.groupby("scenario", sort=False)):
            c = style.scenario_colour(i)
            ax.plot(g["year"], g[f"emissions_{unit}"], color=c, lw=1.8, label=style.scenario_name(str(name), lang))
            lo = [x for x in g.columns if x.startswith("p05_")]
            hi = [x for x in g.columns if x.startswith("p95_")]
            if lo and hi:
                ax.fill_between(g["year"], g[lo[0]], g[hi[0]], color=c, alpha=0.15, lw=0)
                band = True
            pk = peaks[peaks["scenario"].astype(str) == str(name)]
            if len(pk) and pk["status"].iloc[0] != "not peaked":
                py, pv = pk["peak_year"].iloc[0], pk["peak_value"].iloc[0]
                ax.plot(py, pv, "o", color=c, ms=5)
                ax.annotate(f"{int(py)}", (py, pv), textcoords="offset points", xytext=(0, 6), ha="center",
                            fontsize=style.FONT_SIZE["note"] + 0.5, color=c)
        ax.axvline(2030, color="grey", ls="--", lw=0.8, label=style.text("peak_target", lang))
        if proj["year"].max() >= 2055:
            ax.axvline(2060, color="grey", ls=":", lw=0.8, label=style.text("neutral_target", lang))
        handles = None
        if band:
            from matplotlib.patches import Patch

            handles, _ = ax.get_legend_handles_labels()
            handles.append(Patch(color="grey", alpha=0.25, label=style.text("band_5_95", lang)))
        ax.set_xlabel(style.text("year", lang))
        ax.set_ylabel(style.axis_label(style.text("emissions", lang), u, lang))
        _year_axis(ax)
        style.plain_axis(ax, "y")
        ax.grid(alpha=0.3)
        style.set_title(ax, title or style.text("peak_title", lang))
        style.legend(ax, handles, outside=True)
        saved = style.save_figure(fig, Path(out) if out else d / "peak_chart.png", formats=formats)
    return saved.png


def _zoning_frame(d: Path, scheme: str, year: int | None) -> tuple[Any, int | None]:
    from ..io import read_vector

    gdf = read_vector(d / "zoning.gpkg")
    if scheme not in gdf.columns:
        raise InputValidationError(f"{scheme} is not a column of {d / 'zoning.gpkg'}; the zoning columns are "
                                   f"{[c for c in gdf.columns if c.startswith('zone_')]}")
    if "year" in gdf.columns and gdf["year"].notna().any():
        years = sorted({int(y) for y in gdf["year"].dropna()})
        if year is None:
            year = years[-1]
        elif int(year) not in years:
            raise InputValidationError(f"zoning.gpkg has no year {year}; it has {years}")
        gdf = gdf[gdf["year"].astype("Int64") == int(year)]
    return gdf, year


def zoning_choropleth(run_dir: PathLike, *, scheme: str = "zone_balance3", out: PathLike | None = None,
                      lang: str = "en", year: int | None = None, zone_names: Mapping[str, str] | None = None,
                      title: str | None = None, formats: Sequence[str] = FORMATS) -> Path:
    """Choropleth of the compensation zoning of a balance run (zoning.gpkg), one colour per zone class,
    zone names on the map, a legend of the classes in ``lang``, scale bar, north arrow, and the year
    in the title (``year``: default the latest in zoning.gpkg). ``zone_names`` maps the zone names
    of the data to the names to draw (e.g. English names). Returns the PNG path (SVG beside it)."""
    lang = style.check_lang(lang)
    d = Path(run_dir)
    gdf, year = _zoning_frame(d, scheme, year)
    present = set(gdf[scheme].astype(str))
    classes = [c for c in style.zoning_classes(scheme) if c in present]
    classes += sorted(present - set(classes))
    with style.theme(lang):
        fig, ax = style.new_figure("map")
        for c in classes:
            gdf[gdf[scheme].astype(str) == c].plot(ax=ax, color=style.zone_colour(c), edgecolor="#333333",
                                                   linewidth=0.6)
        from matplotlib import patheffects

        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for i, (_, r) in enumerate(gdf.iterrows()):
            p = r.geometry.representative_point()
            ax.annotate(_zone_label(r["zone"], i, lang, zone_names), (p.x, p.y), ha="center", va="center",
                        fontsize=style.FONT_SIZE["label"], path_effects=halo)
        x0, y0, x1, y1 = gdf.total_bounds
        pad = 0.03 * max(x1 - x0, y1 - y0)
        style.map_axes(ax, (x0 - pad, y0 - pad, x1 + pad, y1 + pad), gdf.crs, lang=lang, ticks=False)
        colours = {c: style.zone_colour(c) for c in classes}
        style.legend(ax, style.patches(colours, {c: style.zone_class_name(c, lang) for c in classes}), outside=True)
        key = scheme.replace("zone_", "zoning_")
        style.set_title(ax, title or style.title_text(style.text(key, lang), lang, year=year), wrap=60)
        path = Path(out) if out else d / f"zoning_{scheme.replace('zone_', '')}.png"
        saved = style.save_figure(fig, path, formats=formats)
    return saved.png


def balance_bars(run_dir: PathLike, *, out: PathLike | None = None, lang: str = "en", year: int | None = None,
                 zone_names: Mapping[str, str] | None = None, title: str | None = None,
                 formats: Sequence[str] = FORMATS) -> Path:
    """Emission (right) and absorption (left) per zone with the net emission marked, for ``year``
    (default the latest), zones by name, in t CO2e/a. Returns the PNG path (SVG beside it)."""
    lang = style.check_lang(lang)
    d = Path(run_dir)
    bal = read_table(d / "balance_by_zone.csv")
    y = int(bal["year"].max()) if year is None else int(year)
    b = bal[bal["year"] == y].sort_values("NCE_tCO2e", ascending=True)
    if not len(b):
        raise InputValidationError(f"balance_by_zone.csv has no year {y}; it has {sorted(set(bal['year']))}")
    u = style.units("balance", "emission_tCO2e", "t CO2e/a")
    labels = [_zone_label(z, i, lang, zone_names) for i, z in enumerate(b["zone"])]
    with style.theme(lang):
        fig, ax = style.new_figure("bars", height=0.42 * len(b) + 1.8)
        pos = range(len(b))
        ax.barh(pos, b["emission_tCO2e"], color="#d7301f", label=style.text("emission", lang))
        ax.barh(pos, -b["absorption_tCO2"], color="#1a9850", label=style.text("absorption", lang))
        ax.plot(b["NCE_tCO2e"], pos, "k|", ms=12, mew=1.6, label=style.text("net_emission", lang))
        ax.set_yticks(list(pos), labels)
        ax.axvline(0, color="#333333", lw=0.6)
        ax.set_xlabel(style.axis_label(style.text("emission", lang) + " / " + style.text("absorption", lang), u, lang))
        style.plain_axis(ax, "x")
        ax.grid(axis="x", alpha=0.3)
        style.legend(ax, outside=True)
        style.set_title(ax, title or style.title_text(style.text("balance_title", lang), lang, year=y))
        saved = style.save_figure(fig, Path(out) if out else d / "balance_bars.png", formats=formats)
    return saved.png


def render_carbon_charts(out_dir: PathLike, *, lang: str = "en", zone_names: Mapping[str, str] | None = None,
                         bars: bool = False, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Every chart the emissions/balance/peak runs under ``out_dir`` support (used by the demo): the
    two zoning maps and the peak chart; with ``bars`` also the balance bars. Returns the PNG paths
    (each has its SVG beside it)."""
    base = Path(out_dir)
    made = []
    for sub in (base, base / "balance"):
        if (sub / "zoning.gpkg").exists():
            made.append(zoning_choropleth(sub, lang=lang, zone_names=zone_names, formats=formats))
            made.append(zoning_choropleth(sub, scheme="zone_quadrant", lang=lang, zone_names=zone_names,
                                          formats=formats))
        if bars and (sub / "balance_by_zone.csv").exists():
            made.append(balance_bars(sub, lang=lang, zone_names=zone_names, formats=formats))
    for sub in (base, base / "peak"):
        if (sub / "projection.csv").exists():
            made.append(peak_chart(sub, lang=lang, formats=formats))
    return made
