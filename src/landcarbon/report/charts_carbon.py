"""Charts of the carbon runs, drawn from a run folder only: peak projection and compensation zoning.

matplotlib is imported lazily with the Agg backend. Every PNG is written atomically into the run folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.errors import InputValidationError
from ..io import atomic_path, read_table

PathLike = str | os.PathLike

_SCEN_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _cjk_font() -> str | None:
    """A font with Chinese glyphs if one is installed (labels fall back to ASCII otherwise)."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in _CJK_FONTS if f in have), None)


def _label(text: str, i: int, cjk: str | None) -> str:
    return text if (cjk or text.isascii()) else f"#{i + 1}"


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")
    return path


def peak_chart(run_dir: PathLike, *, out: PathLike | None = None, lang: str = "en") -> Path:
    """Emissions history (observed, fitted) and each scenario's projection with its 5–95 % band, peak marked."""
    plt = _plt()
    d = Path(run_dir)
    proj = read_table(d / "projection.csv")
    peaks = read_table(d / "peaks.csv")
    fitted = read_table(d / "fitted.csv")
    obs_col = next(c for c in fitted.columns if c.startswith("observed_"))
    unit = obs_col.split("_", 1)[1]
    cjk = _cjk_font()
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk, *plt.rcParams["font.sans-serif"]]
    elif lang == "zh":
        lang = "en"
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(fitted["year"], fitted[obs_col], "k.", label="observed" if lang == "en" else "观测")
    ax.plot(fitted["year"], fitted[f"fitted_{unit}"], "k-", lw=1, label="fitted" if lang == "en" else "拟合")
    for i, (name, g) in enumerate(proj.groupby("scenario", sort=False)):
        c = _SCEN_COLOURS[i % len(_SCEN_COLOURS)]
        ax.plot(g["year"], g[f"emissions_{unit}"], color=c, lw=1.8, label=_label(str(name), i, cjk))
        lo = [x for x in g.columns if x.startswith("p05_")]
        hi = [x for x in g.columns if x.startswith("p95_")]
        if lo and hi:
            ax.fill_between(g["year"], g[lo[0]], g[hi[0]], color=c, alpha=0.15, lw=0)
        pk = peaks[peaks["scenario"].astype(str) == str(name)]
        if len(pk) and pk["status"].iloc[0] != "not peaked":
            ax.plot(pk["peak_year"].iloc[0], pk["peak_value"].iloc[0], "o", color=c, ms=6)
            ax.annotate(f"{int(pk['peak_year'].iloc[0])}", (pk["peak_year"].iloc[0], pk["peak_value"].iloc[0]),
                        textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8, color=c)
    ax.axvline(2030, color="grey", ls="--", lw=0.8)
    ax.axvline(2060, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("year" if lang == "en" else "年份")
    ylab = {"1e4tCO2": "10^4 t CO2/a"}.get(unit, unit)
    ax.set_ylabel(f"CO2 emissions ({ylab})")
    ax.set_title("STIRPAT projection and peak (5-95 % band)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    path = Path(out) if out else d / "peak_chart.png"
    _save(fig, path)
    plt.close(fig)
    return path


def zoning_choropleth(run_dir: PathLike, *, scheme: str = "zone_balance3", out: PathLike | None = None,
                      lang: str = "en") -> Path:
    """Choropleth of the compensation zoning of a balance run (zoning.gpkg), one colour per zone class."""
    from ..io import read_vector
    from ..models.balance import ZONE_COLOURS, ZONES_BALANCE3, ZONES_QUADRANT

    plt = _plt()
    from matplotlib.patches import Patch

    d = Path(run_dir)
    gdf = read_vector(d / "zoning.gpkg")
    if scheme not in gdf.columns:
        raise InputValidationError(f"{scheme} is not a column of {d / 'zoning.gpkg'}")
    names = ZONES_QUADRANT if scheme == "zone_quadrant" else ZONES_BALANCE3
    cjk = _cjk_font()
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk, *plt.rcParams["font.sans-serif"]]
    elif lang == "zh":
        lang = "en"  # no Chinese font installed: English legend, zone numbers as labels
    fig, ax = plt.subplots(figsize=(6.5, 6))
    classes = [c for c in names if c in set(gdf[scheme].astype(str))]
    for c in classes:
        gdf[gdf[scheme].astype(str) == c].plot(ax=ax, color=ZONE_COLOURS[c], edgecolor="#333333", linewidth=0.6)
    for i, (_, r) in enumerate(gdf.iterrows()):
        p = r.geometry.representative_point()
        ax.annotate(_label(str(r["zone"]), i, cjk), (p.x, p.y), ha="center", fontsize=7)
    ax.legend(handles=[Patch(color=ZONE_COLOURS[c], label=c.replace("_", " ") if lang == "en" else names[c])
                       for c in classes], loc="lower left", fontsize=8)
    ax.set_axis_off()
    ax.set_title(f"compensation zoning ({scheme.replace('zone_', '')})"
                 + ("" if cjk or gdf["zone"].astype(str).str.isascii().all() else "; #n = n-th feature of zoning.gpkg"))
    path = Path(out) if out else d / f"zoning_{scheme.replace('zone_', '')}.png"
    _save(fig, path)
    plt.close(fig)
    return path


def render_carbon_charts(out_dir: PathLike, *, lang: str = "en") -> list[Path]:
    """Every chart the emissions/balance/peak runs under ``out_dir`` support (used by the demo)."""
    base = Path(out_dir)
    made = []
    for sub in (base, base / "balance"):
        if (sub / "zoning.gpkg").exists():
            made.append(zoning_choropleth(sub, lang=lang))
            made.append(zoning_choropleth(sub, scheme="zone_quadrant", lang=lang))
    for sub in (base, base / "peak"):
        if (sub / "projection.csv").exists():
            made.append(peak_chart(sub, lang=lang))
    return made


def balance_bars(run_dir: PathLike, *, out: PathLike | None = None) -> Path:
    """Emission vs absorption per zone for the latest year (t CO2e/a)."""
    plt = _plt()
    d = Path(run_dir)
    bal = read_table(d / "balance_by_zone.csv")
    y = bal["year"].max()
    b = bal[bal["year"] == y].sort_values("NCE_tCO2e", ascending=False)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(b) + 1.5))
    cjk = _cjk_font()
    labels = [_label(str(z), i, cjk) for i, z in enumerate(b["zone"])]
    ax.barh(labels, b["emission_tCO2e"], color="#d7301f", label="emission")
    ax.barh(labels, -b["absorption_tCO2"], color="#1a9850", label="absorption")
    ax.set_xlabel("t CO2e/a")
    ax.legend()
    ax.set_title(f"carbon balance {y}")
    path = Path(out) if out else d / "balance_bars.png"
    _save(fig, path)
    plt.close(fig)
    return path

