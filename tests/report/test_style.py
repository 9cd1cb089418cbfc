"""The style module: saving, numbers, titles, ramps, map furniture, labels from specs and schemes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from landcarbon.report import style


def test_save_figure_writes_png_and_svg_atomically(tmp_path):
    with style.theme("zh"):
        fig, ax = style.new_figure()
        ax.plot([0, 1], [0, 1])
        out = style.save_figure(fig, tmp_path / "图" / "line.png")
    assert out.png == tmp_path / "图" / "line.png" and out.svg == tmp_path / "图" / "line.svg"
    assert out.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in out.svg.read_bytes()[:500]
    assert sorted(p.name for p in (tmp_path / "图").iterdir()) == ["line.png", "line.svg"]
    fig, ax = style.new_figure()
    ax.plot([0, 1], [0, 1])
    only = style.save_figure(fig, tmp_path / "one", formats=("png",))
    assert only.svg is None and (tmp_path / "one.png").exists() and not (tmp_path / "one.svg").exists()


def test_plain_axis_has_no_offset_and_thousands_separators():
    with style.theme("en"):
        fig, ax = style.new_figure()
        ax.plot([1.2e10, 1.2e10 + 5e6], [0.001, 0.002])
        style.plain_axis(ax)
        fig.canvas.draw()
        assert ax.xaxis.get_offset_text().get_text() == ""
        assert ax.yaxis.get_offset_text().get_text() == ""
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert all("e" not in s and "," in s for s in labels), labels
        style.plt().close(fig)


def test_numbers_titles_and_units():
    assert style.fmt_number(12345678.9) == "12,345,679"
    assert style.fmt_number(-1234.5, 1) == "−1,234.5"
    assert style.fmt_number(0.01234) == "0.0123"
    assert style.title_text("碳补偿分区", "zh", year=2023, scenario="baseline") == "碳补偿分区（2023 年，基准情景）"
    assert style.title_text("Carbon compensation zoning", "en", year=2023) == "Carbon compensation zoning, 2023"
    assert style.title_text("碳平衡分区（四象限）", "zh", year=2023) == "碳平衡分区（四象限，2023 年）"
    assert style.axis_label("碳排放量", "10^4 t CO2/a", "zh") == "碳排放量（10⁴ t CO₂/a）"
    assert style.axis_label("Emission", "t CO2e/a", "en") == "Emission (t CO₂e/a)"
    assert style.check_lang("zh-CN") == "zh" and style.check_lang("EN") == "en"


def test_labels_come_from_specs_and_schemes():
    assert style.units("balance", "emission_tCO2e") == "t CO2e/a"  # a column unit of the balance spec
    assert style.units("peak", "emissions_1e4tCO2") == "10^4 t CO2/a"
    assert style.units("no_such_model", "x", "ha") == "ha"
    assert style.class_names("national6", "zh")[1] == "耕地"
    assert style.class_names("national6", "en")[1] == "Cropland"
    assert style.zone_class_name("payment", "zh") == "支付区"
    assert style.level_names("agriculture", "zh")[1] == "1 高适宜"
    assert style.level_names("agriculture", "en")[5] == "5 unsuitable"
    zh, en = style.conflict_names("zh"), style.conflict_names("en")
    assert zh[1] == "永久基本农田位于生态保护红线内" and en[1] == "basic farmland inside the ecological red line"
    assert style.label("agriculture_level5", "zh", model="suitability") == "农业生产适宜性评价"


def test_change_ramp_is_centred_on_zero():
    norm = style.change_norm(np.array([-3.0, 1.0, 10.0, np.nan]), limit=5.0)
    assert norm(0.0) == pytest.approx(0.5) and norm(-5.0) == pytest.approx(0.0) and norm(5.0) == pytest.approx(1.0)
    assert style.cmap("change").name.startswith("BrBG")


def test_scale_in_metres_for_projected_and_at_the_centre_latitude_for_degrees():
    assert style.metres_per_unit("EPSG:32650") == 1.0
    at60 = style.metres_per_unit("EPSG:4326", 60.0)
    assert at60 == pytest.approx(111_412 * math.cos(math.radians(60)), rel=0.01)  # ~55.8 km per degree
    assert style.metres_per_unit(None) is None
    with style.theme("en"):
        fig, ax = style.new_figure("map")
        style.map_axes(ax, (500_000, 3_300_000, 512_000, 3_310_000), "EPSG:32650", lang="en")
        assert style.scale_bar(ax, "EPSG:32650") == 2000  # 12 km wide map: a 2 km bar
        fig2, ax2 = style.new_figure("map")
        style.map_axes(ax2, (100.0, 59.0, 110.0, 61.0), "EPSG:4326", lang="zh")
        assert style.scale_bar(ax2, "EPSG:4326") == 100_000  # 10° at 60°N ≈ 558 km: a 100 km bar
        style.plt().close(fig)
        style.plt().close(fig2)
