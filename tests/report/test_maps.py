"""Density map PNG: drawn headless, atomically, with an English fallback when no CJK font exists."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from landcarbon.report import maps
from landcarbon.testing import make_lulc


def _density():
    da = make_lulc([[0, 1, 2], [3, 4, 5]], nodata=None, dtype="float32", crs="EPSG:4326", cell_size=0.05,
                   origin=(110.0, 30.0))
    da = da.copy(data=np.array([[np.nan, 10, 20], [80.5, 163.7, 0]], dtype="float32"))
    zones = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[box(110.0, 29.9, 110.15, 30.0)], crs="EPSG:4326")
    return da, zones


def test_density_map_png(tmp_path):
    da, zones = _density()
    info = maps.density_map(da, tmp_path / "map.png", zones=zones, lang="en", title={"en": "T", "zh": "图"},
                            note="Density set: x")
    assert info["lang"] == "en"
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_zh_falls_back_to_english_without_a_cjk_font(tmp_path, monkeypatch):
    monkeypatch.setattr(maps, "cjk_font", lambda: None)
    da, zones = _density()
    info = maps.density_map(da, tmp_path / "map.png", zones=zones, lang="zh")
    assert info == {"path": str(tmp_path / "map.png"), "lang": "en", "font": None}
    assert maps.label_language("zh") == ("en", None)
    assert maps.label_language("en") == ("en", None)


def test_zh_uses_a_cjk_font_when_present(monkeypatch):
    monkeypatch.setattr(maps, "cjk_font", lambda: "Noto Sans CJK SC")
    assert maps.label_language("zh") == ("zh", "Noto Sans CJK SC")
