"""Transition Sankey: layout by hand, PNG, self-contained HTML, rebuild from a run folder."""

from __future__ import annotations

import re

import numpy as np
import pytest

from landcarbon.report import sankey


def test_layout_by_hand():
    # N = [[2, 1], [0, 1]] (total 4), no gap: t1 heights 3/4 and 1/4, t2 heights 2/4 and 2/4
    lay = sankey._layout(np.array([[2.0, 1.0], [0.0, 1.0]]), gap=0.0)
    assert lay.left == [(0.0, 0.75), (0.75, 1.0)]
    assert lay.right == [(0.0, 0.5), (0.5, 1.0)]
    # bands leave class 0 in t2 order (0->0 then 0->1) and arrive at class 1 in t1 order (0->1 then 1->1)
    assert [b[:3] for b in lay.bands] == [(0, 0, 2.0), (0, 1, 1.0), (1, 1, 1.0)]
    assert lay.bands[1][3:] == pytest.approx((0.5, 0.75, 0.5, 0.75))
    assert lay.bands[2][3:] == pytest.approx((0.75, 1.0, 0.75, 1.0))


def test_spread_labels():
    assert sankey._spread([0.1, 0.11, 0.5], 0.05) == pytest.approx([0.1, 0.15, 0.5])


def test_png_and_html(tmp_path):
    m = np.array([[50.0, 5.0, 0.0], [2.0, 30.0, 1.0], [0.0, 0.0, 12.0]])
    labels = ["耕地 Cropland", "Forest", "Built-up <urban>"]
    png = sankey.sankey_png(m, labels, tmp_path / "s.png", years=(2005, 2010))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = sankey.sankey_html(m, labels, tmp_path / "s.html", years=(2005, 2010), lang="zh").read_text("utf-8")
    assert page.count('class="band"') == 6  # one band per non-zero cell of m
    assert "Built-up &lt;urban&gt;" in page and "耕地 Cropland" in page
    assert "土地利用转移桑基图" in page
    assert not re.search(r"https?://|<link|src=|@import|url\(", page)  # works offline


def test_render_run_rebuilds_from_folder(tmp_path):
    import json

    import pandas as pd

    tbl = pd.DataFrame([[3, 2, 5], [1, 4, 5], [4, 6, 10]], index=pd.Index(["A", "B", "total_t2"], name="from"),
                       columns=["A", "B", "total_t1"])
    tbl.to_csv(tmp_path / "transition_matrix_ha.csv", encoding="utf-8-sig")
    (tmp_path / "summary.json").write_text(json.dumps({"years": [2000, 2010], "colours": ["#ff0000", "#00ff00"]}))
    out = sankey.render_run(tmp_path)
    assert all(p.exists() for p in out)
    assert 'fill="#ff0000"' in (tmp_path / "sankey.html").read_text("utf-8")
