"""Charts of the planning evaluations: suitability / conflict maps and the Pareto front (PNG).

Rendered from run-folder files only (rasters through :mod:`landcarbon.io`, tables as CSV);
matplotlib with the Agg backend is imported inside the functions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import read_raster

LEVEL_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]
LEVEL_LABELS = {"en": ["1 highly suitable", "2 suitable", "3 moderately", "4 marginal", "5 unsuitable"],
                "zh": ["1 高适宜", "2 较适宜", "3 一般适宜", "4 较不适宜", "5 不适宜"]}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def suitability_map_png(raster: str | os.PathLike, png: str | os.PathLike, *, title: str = "",
                        lang: str = "en") -> Path:
    """A 5-level suitability raster (1 best … 5 worst, 0 nodata) as a PNG with a legend."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    plt = _plt()
    da = read_raster(raster, chunks=None)
    a = np.asarray(da.data).astype(float)
    a[a == 0] = np.nan
    fig, ax = plt.subplots(figsize=(6.5, 6))
    ax.imshow(a, cmap=ListedColormap(LEVEL_COLOURS), vmin=0.5, vmax=5.5, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title or Path(raster).stem)
    labels = LEVEL_LABELS.get(lang, LEVEL_LABELS["en"])
    ax.legend(handles=[Patch(color=c, label=lab) for c, lab in zip(LEVEL_COLOURS, labels)], loc="lower left",
              fontsize=7, framealpha=0.8)
    fig.tight_layout()
    out = Path(png)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def conflict_map_png(raster: str | os.PathLike, png: str | os.PathLike, *, title: str = "control-line conflicts"
                     ) -> Path:
    """The conflict bit-flag raster (any conflict in red) as a PNG."""
    plt = _plt()
    a = np.asarray(read_raster(raster, chunks=None).data)
    fig, ax = plt.subplots(figsize=(6.5, 6))
    ax.imshow(np.where(a > 0, 1.0, np.nan), cmap="autumn", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title)
    fig.tight_layout()
    out = Path(png)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def pareto_png(front_csv: str | os.PathLike, png: str | os.PathLike, *, x: str | None = None,
               y: str | None = None, units: Mapping[str, str] | None = None) -> Path:
    """Pareto front (first two objectives unless named) with the compromise solution highlighted."""
    plt = _plt()
    df = pd.read_csv(front_csv, encoding="utf-8-sig")
    objs = [c for c in df.columns if c.startswith("obj_")]
    x = x or objs[0]
    y = y or objs[1]
    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    ax.scatter(df[x], df[y], s=18, c="#4575b4", label="Pareto solutions")
    ch = df[df["chosen"].astype(str).str.lower() == "true"]
    if len(ch):
        ax.scatter(ch[x], ch[y], s=90, marker="*", c="#d73027",
                   label=f"compromise ({df['compromise_method'].iloc[0]})")
    from ..models.optimize.problem import OBJECTIVES

    u = {k: v[1] for k, v in OBJECTIVES.items()} | dict(units or {})
    ax.set_xlabel(f"{x[4:]} ({u.get(x[4:], '')})")
    ax.set_ylabel(f"{y[4:]} ({u.get(y[4:], '')})")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(png)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def render_demo(paths: Mapping[str, Path]) -> dict[str, Path]:
    """PNGs for the files returned by ``landcarbon.workflow.evaluate.demo_step``."""
    out = {}
    sm = Path(paths["suitability_map"])
    out["suitability_png"] = suitability_map_png(sm, sm.with_suffix(".png"), title="Agricultural production suitability")
    cm = Path(paths["conflict_map"])
    out["conflict_png"] = conflict_map_png(cm, cm.with_suffix(".png"))
    pf = Path(paths["pareto_table"])
    out["pareto_png"] = pareto_png(pf, pf.with_suffix(".png"))
    return out


def render_run(run_dir: str | os.PathLike) -> list[Path]:
    """PNGs for whatever planning outputs a run folder holds (level5 maps, conflicts, Pareto front)."""
    d = Path(run_dir)
    made = []
    for tif in sorted(d.glob("*_level5.tif")):
        made.append(suitability_map_png(tif, tif.with_suffix(".png"), title=tif.stem))
    if (d / "conflicts.tif").exists():
        made.append(conflict_map_png(d / "conflicts.tif", d / "conflicts.png"))
    if (d / "pareto_front.csv").exists():
        import json

        units = {}
        if (d / "summary.json").exists():
            units = json.loads((d / "summary.json").read_text(encoding="utf-8")).get("units", {})
        made.append(pareto_png(d / "pareto_front.csv", d / "pareto_front.png", units=units))
    return made
