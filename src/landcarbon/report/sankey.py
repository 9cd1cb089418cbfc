"""Transition Sankey chart: a PNG (matplotlib, Agg) and a self-contained HTML page (inline SVG).

Left column = classes at t1, right column = classes at t2; a band j -> k has a width proportional
to the area N_jk (methods.md §7.1). The HTML page has no external reference of any kind (no CDN,
no web font): it opens offline, on an intranet, or from a file share. Hovering a band or a class
highlights it and shows its area; every band also carries an SVG <title> tooltip.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_write_text

#: fallback colours for classes without a scheme colour (colour-blind-safe Tableau 10)
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")

TEXT = {
    "en": {"title": "Land-use transitions", "from": "from", "to": "to", "persist": "unchanged",
           "changed": "changed", "hint": "Band width ∝ area. Hover a band or a class.",
           "total": "total", "only_change": "changed cells only"},
    "zh": {"title": "土地利用转移桑基图", "from": "转出", "to": "转入", "persist": "未变化",
           "changed": "变化", "hint": "条带宽度与面积成正比；将鼠标移到条带或地类上查看数值。",
           "total": "合计", "only_change": "仅显示变化部分"},
}


@dataclass(frozen=True)
class _Layout:
    left: list[tuple[float, float]]   # (y0, y1) of each t1 class, in 0..1 from the top
    right: list[tuple[float, float]]
    bands: list[tuple[int, int, float, float, float, float, float]]  # j, k, value, ly0, ly1, ry0, ry1


def _layout(m: np.ndarray, gap: float = 0.02) -> _Layout:
    k = m.shape[0]
    total = float(m.sum())
    if total <= 0:
        raise ValueError("empty transition matrix")
    rows, cols = m.sum(axis=1), m.sum(axis=0)
    n_l = int((rows > 0).sum())
    n_r = int((cols > 0).sum())
    scale_l = (1.0 - gap * max(n_l - 1, 0)) / total
    scale_r = (1.0 - gap * max(n_r - 1, 0)) / total
    left, right = [], []
    y = 0.0
    for j in range(k):
        h = rows[j] * scale_l
        left.append((y, y + h))
        y += h + (gap if rows[j] > 0 else 0.0)
    y = 0.0
    for j in range(k):
        h = cols[j] * scale_r
        right.append((y, y + h))
        y += h + (gap if cols[j] > 0 else 0.0)
    lcur = [a for a, _ in left]
    rcur = [a for a, _ in right]
    bands = []
    for j in range(k):           # bands leave each t1 class in t2-class order ...
        for kk in range(k):
            v = float(m[j, kk])
            if v <= 0:
                continue
            bands.append([j, kk, v, lcur[j], lcur[j] + v * scale_l, 0.0, 0.0])
            lcur[j] += v * scale_l
    for kk in range(k):          # ... and arrive at each t2 class in t1-class order
        for b in bands:
            if b[1] == kk:
                h = b[2] * scale_r
                b[5], b[6] = rcur[kk], rcur[kk] + h
                rcur[kk] += h
    return _Layout(left, right, [tuple(b) for b in bands])  # type: ignore[misc]


def _spread(centres: list[float], gap: float) -> list[float]:
    """Label positions (top to bottom) at least ``gap`` apart, as close to ``centres`` as a forward
    then backward pass allows."""
    out = list(centres)
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    for i in range(len(out) - 2, -1, -1):
        if out[i + 1] > 1.0 and out[i] > out[i + 1] - gap:
            out[i] = out[i + 1] - gap
    return out


def _colours(codes: Sequence[int], colours: Sequence[str] | None) -> list[str]:
    if colours is not None and len(colours) == len(codes):
        return [str(c) for c in colours]
    return [PALETTE[i % len(PALETTE)] for i in range(len(codes))]


def _fmt(v: float, unit: str) -> str:
    if unit == "cells":
        return f"{v:,.0f} cells"
    return f"{v:,.1f} {unit}" if v < 1e5 else f"{v:,.0f} {unit}"


def sankey_png(matrix: np.ndarray, labels: Sequence[str], path: str | os.PathLike, *,
               colours: Sequence[str] | None = None, years: tuple[int, int] | None = None,
               unit: str = "ha", title: str | None = None, lang: str = "en", dpi: int = 150,
               min_share: float = 0.0, fallback_labels: Sequence[str] | None = None,
               scheme: Any = None, codes: Sequence[int] | None = None, scenario: str | None = None,
               formats: Sequence[str] = ("png", "svg")) -> Path:
    """Draw the Sankey chart of a K×K transition matrix (rows = t1, columns = t2) as a PNG (and an
    SVG beside it, ``formats``), in the house style (:mod:`landcarbon.report.style`).

    Bands smaller than ``min_share`` of the total are left out (classes keep their full height).
    With ``scheme`` and ``codes`` (the class code of each row) the labels and colours come from the
    class scheme in ``lang`` instead of ``labels``/``colours``. The title is bold, in the CJK bold
    face for Chinese. Should no installed font cover Chinese, the PNG uses ``fallback_labels``
    (e.g. the English names) when given.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    from . import style

    lang_used, font = _label_language(lang)
    if scheme is not None and codes is not None:
        names, cols_by_code = style.class_names(scheme, lang_used), style.class_colours(scheme)
        labels = [names.get(int(c), str(c)) for c in codes]
        colours = [cols_by_code.get(int(c), PALETTE[i % len(PALETTE)]) for i, c in enumerate(codes)]
    if font is None and any(_has_cjk(str(x)) for x in labels):
        _, font = _label_language("zh")
        if font is None and fallback_labels is not None:
            labels = fallback_labels  # no installed font covers Chinese: draw the English names
    txt = TEXT[lang_used]
    m = np.asarray(matrix, dtype=np.float64)
    lay = _layout(m)
    cols = _colours(range(len(labels)), colours)
    total = m.sum()
    with style.theme(lang_used):
        fig, ax = style.new_figure("sankey")
        x0, x1, w = 0.22, 0.74, 0.03
        for (j, k, v, ly0, ly1, ry0, ry1) in lay.bands:
            if v < min_share * total:
                continue
            c = 0.5 * (x0 + w + x1)
            verts = [(x0 + w, 1 - ly0), (c, 1 - ly0), (c, 1 - ry0), (x1, 1 - ry0), (x1, 1 - ry1),
                     (c, 1 - ry1), (c, 1 - ly1), (x0 + w, 1 - ly1), (x0 + w, 1 - ly0)]
            codes_ = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                      MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
            ax.add_patch(PathPatch(MPath(verts, codes_), facecolor=cols[j], edgecolor="none",
                                   alpha=0.30 if j == k else 0.6))
        for side, spans, x, ha, xt in (("l", lay.left, x0, "right", x0 - 0.01),
                                       ("r", lay.right, x1, "left", x1 + w + 0.01)):
            centres = _spread([(a + b) / 2 for a, b in spans if b - a > 0], 0.032)
            ci = iter(centres)
            for i, (a, b) in enumerate(spans):
                if b - a <= 0:
                    continue
                ax.add_patch(style.plt().Rectangle((x, 1 - b), w, b - a, facecolor=cols[i], edgecolor="white",
                                                   lw=0.5))
                val = m[i].sum() if side == "l" else m[:, i].sum()
                ax.text(xt, 1 - next(ci), f"{labels[i]}  {_fmt(val, unit)}", ha=ha, va="center",
                        fontsize=style.FONT_SIZE["note"] + 0.5)
        ylab = (f"{years[0]}", f"{years[1]}") if years else (txt["from"], txt["to"])
        ax.text(x0 + w / 2, 1.03, ylab[0], ha="center", fontsize=10, weight="bold")
        ax.text(x1 + w / 2, 1.03, ylab[1], ha="center", fontsize=10, weight="bold")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.07)
        ax.axis("off")
        changed = total - np.trace(m)
        head = title or style.title_text(txt["title"], lang_used, scenario=scenario,
                                         extra=f"{years[0]}–{years[1]}" if years else None)
        style.set_title(ax, head)
        ax.text(0.5, -0.02, f"{txt['changed']}: {_fmt(changed, unit)} ({changed / total:.1%}); "
                f"{txt['total']}: {_fmt(total, unit)}", ha="center", va="top", fontsize=8, transform=ax.transData)
        saved = style.save_figure(fig, path, formats=formats, dpi=dpi)
    return saved.png


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _label_language(lang: str) -> tuple[str, str | None]:
    if lang != "zh":
        return "en", None
    try:
        from .maps import label_language
    except ImportError:  # pragma: no cover - maps module absent
        return "en", None
    return label_language(lang)


def sankey_svg(matrix: np.ndarray, labels: Sequence[str], *, colours: Sequence[str] | None = None,
               years: tuple[int, int] | None = None, unit: str = "ha", lang: str = "en",
               width: int = 900, height: int = 620) -> str:
    """The Sankey chart as an inline <svg> element (no external references)."""
    txt = TEXT.get(lang, TEXT["en"])
    m = np.asarray(matrix, dtype=np.float64)
    lay = _layout(m)
    cols = _colours(range(len(labels)), colours)
    total = m.sum()
    top, bottom = 40, 30
    hh = height - top - bottom
    x0, x1, w = 190, width - 190 - 18, 18

    def y(v: float) -> float:
        return top + v * hh

    parts = [f'<svg id="sankey" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{html.escape(txt["title"])}" font-family="sans-serif">']
    ylab = (str(years[0]), str(years[1])) if years else (txt["from"], txt["to"])
    parts.append(f'<text x="{x0 + w / 2}" y="{top - 14}" text-anchor="middle" font-weight="bold">'
                 f'{html.escape(ylab[0])}</text>')
    parts.append(f'<text x="{x1 + w / 2}" y="{top - 14}" text-anchor="middle" font-weight="bold">'
                 f'{html.escape(ylab[1])}</text>')
    c = (x0 + w + x1) / 2
    for (j, k, v, ly0, ly1, ry0, ry1) in lay.bands:
        d = (f"M{x0 + w},{y(ly0):.2f} C{c},{y(ly0):.2f} {c},{y(ry0):.2f} {x1},{y(ry0):.2f} "
             f"L{x1},{y(ry1):.2f} C{c},{y(ry1):.2f} {c},{y(ly1):.2f} {x0 + w},{y(ly1):.2f} Z")
        tip = (f"{labels[j]} → {labels[k]}: {_fmt(v, unit)} ({v / total:.2%})"
               + (f" — {txt['persist']}" if j == k else ""))
        parts.append(f'<path class="band" data-from="{j}" data-to="{k}" d="{d}" fill="{cols[j]}" '
                     f'fill-opacity="{0.3 if j == k else 0.6}"><title>{html.escape(tip)}</title></path>')
    for side, spans, x in (("from", lay.left, x0), ("to", lay.right, x1)):
        ci = iter(_spread([(a + b) / 2 for a, b in spans if b - a > 0], 16 / hh))
        for i, (a, b) in enumerate(spans):
            if b - a <= 0:
                continue
            yc = next(ci)
            val = m[i].sum() if side == "from" else m[:, i].sum()
            tip = f"{labels[i]} ({ylab[0] if side == 'from' else ylab[1]}): {_fmt(val, unit)}"
            parts.append(f'<rect class="node" data-side="{side}" data-class="{i}" x="{x}" y="{y(a):.2f}" '
                         f'width="{w}" height="{max(y(b) - y(a), 0.5):.2f}" fill="{cols[i]}" stroke="#fff">'
                         f'<title>{html.escape(tip)}</title></rect>')
            tx, anchor = (x - 6, "end") if side == "from" else (x + w + 6, "start")
            parts.append(f'<text x="{tx}" y="{y(yc):.2f}" text-anchor="{anchor}" '
                         f'dominant-baseline="middle" font-size="12">{html.escape(str(labels[i]))} '
                         f'<tspan fill="#666" font-size="10">{html.escape(_fmt(val, unit))}</tspan></text>')
    changed = total - np.trace(m)
    parts.append(f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle" font-size="11" fill="#444">'
                 f'{html.escape(txt["changed"])}: {html.escape(_fmt(changed, unit))} ({changed / total:.1%}); '
                 f'{html.escape(txt["total"])}: {html.escape(_fmt(total, unit))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


_SCRIPT = """
(function () {
  var svg = document.getElementById('sankey');
  var bands = svg.querySelectorAll('.band');
  var info = document.getElementById('info');
  function reset() { bands.forEach(function (b) { b.style.opacity = ''; }); info.textContent = info.dataset.hint; }
  function show(test, text) {
    bands.forEach(function (b) { b.style.opacity = test(b) ? '1' : '0.12'; });
    info.textContent = text;
  }
  bands.forEach(function (b) {
    b.addEventListener('mouseenter', function () {
      show(function (x) { return x === b; }, b.querySelector('title').textContent);
    });
    b.addEventListener('mouseleave', reset);
  });
  svg.querySelectorAll('.node').forEach(function (n) {
    n.addEventListener('mouseenter', function () {
      var key = n.dataset.side === 'from' ? 'from' : 'to';
      show(function (x) { return x.dataset[key] === n.dataset['class']; }, n.querySelector('title').textContent);
    });
    n.addEventListener('mouseleave', reset);
  });
})();
"""


def sankey_html(matrix: np.ndarray, labels: Sequence[str], path: str | os.PathLike, *,
                colours: Sequence[str] | None = None, years: tuple[int, int] | None = None,
                unit: str = "ha", title: str | None = None, lang: str = "en",
                table: Any = None) -> Path:
    """Write a self-contained HTML page with the Sankey chart (inline SVG + a few lines of inline JS)
    and, optionally, the transition table below it. Works offline: no external resource."""
    txt = TEXT.get(lang, TEXT["en"])
    svg = sankey_svg(matrix, labels, colours=colours, years=years, unit=unit, lang=lang)
    tbl = ""
    if table is not None:
        tbl = table.to_html(float_format=lambda v: f"{v:,.2f}", border=0, classes="tm")
    head = title or txt["title"]
    data = json.dumps({"labels": list(map(str, labels)), "unit": unit,
                       "matrix": np.asarray(matrix, dtype=float).round(6).tolist(),
                       "years": list(years) if years else None}, ensure_ascii=False).replace("</", "<\\/")
    page = f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(head)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 1.5em auto;
       max-width: 980px; color: #222; }}
h1 {{ font-size: 1.3em; }}
#info {{ min-height: 1.4em; color: #333; background: #f4f4f4; padding: .3em .6em; border-radius: 4px; }}
.band {{ cursor: pointer; transition: opacity .15s; }}
table.tm {{ border-collapse: collapse; font-size: .8em; margin-top: 1em; }}
table.tm td, table.tm th {{ padding: .2em .5em; text-align: right; border-bottom: 1px solid #ddd; }}
</style>
</head>
<body>
<h1>{html.escape(head)}</h1>
<p id="info" data-hint="{html.escape(txt['hint'])}">{html.escape(txt['hint'])}</p>
{svg}
{tbl}
<script type="application/json" id="sankey-data">{data}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""
    return atomic_write_text(path, page)


def render(matrix: np.ndarray, labels: Sequence[str], png: str | os.PathLike | None,
           html_path: str | os.PathLike | None, *, colours: Sequence[str] | None = None,
           years: tuple[int, int] | None = None, unit: str = "ha", lang: str = "en", table: Any = None,
           fallback_labels: Sequence[str] | None = None, formats: Sequence[str] = ("png", "svg")) -> None:
    """Both charts at once (the callable the change workflow takes as ``render_sankey``); the PNG
    gets an SVG beside it unless ``formats=("png",)``."""
    if png is not None:
        sankey_png(matrix, labels, png, colours=colours, years=years, unit=unit, lang=lang,
                   fallback_labels=fallback_labels, formats=formats)
    if html_path is not None:
        sankey_html(matrix, labels, html_path, colours=colours, years=years, unit=unit, lang=lang, table=table)


def render_run(run_dir: str | os.PathLike, *, lang: str | None = None) -> list[Path]:
    """Rebuild sankey.png and sankey.html of a finished ``landcarbon change`` run from its folder
    (transition_matrix_ha.csv and summary.json); no model is called."""
    from ..io import read_table

    d = Path(run_dir)
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    unit = "ha" if (d / "transition_matrix_ha.csv").exists() else "cells"
    tbl = read_table(d / f"transition_matrix_{unit}.csv", index_col=0)
    core = tbl.drop(index="total_t2", errors="ignore").drop(columns="total_t1", errors="ignore")
    years = tuple(summary["years"]) if summary.get("years") else None
    lg = lang or summary.get("lang", "en")
    render(core.to_numpy(dtype=float), [str(c) for c in core.columns], d / "sankey.png", d / "sankey.html",
           colours=summary.get("colours"), years=years, unit=unit, lang=lg, table=tbl)  # type: ignore[arg-type]
    return [d / "sankey.png", d / "sankey.html"]
