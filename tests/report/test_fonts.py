"""A real CJK font for regular and bold text on a fresh machine (fails when glyphs would be boxes)."""

from __future__ import annotations

import warnings

import pytest

from landcarbon.report import fonts, style


def test_a_cjk_family_with_regular_and_bold_is_registered():
    found = fonts.register()
    assert found.family is not None, found.note
    assert found.has_bold, found
    assert fonts.covers(found.regular, "碳排放量（万吨）")
    assert fonts.covers(found.bold, "碳排放量（万吨）")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chinese_title_and_ticks_are_drawn_with_cjk_faces(tmp_path, lang):
    """Render a figure with a bold Chinese title and Chinese tick labels; every text is drawn with
    a face that maps its characters (findfont with fallback_to_default=False), the title with a bold
    CJK face, and matplotlib warns of no missing glyph."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        with style.theme(lang):
            fig, ax = style.new_figure("chart")
            ax.bar(["耕地", "林地", "建设用地"], [3, 5, 2])
            ax.set_xlabel(style.axis_label("碳储量", "Mg C", lang))
            title = style.set_title(ax, "土地利用碳储量（2020 年）")
            fig.canvas.draw()
            texts = [title, ax.xaxis.label, *ax.get_xticklabels()]
            faces = []
            for t in texts:
                prop = t.get_fontproperties()
                face = fonts.face_for(t.get_text().replace("Mg C", "").strip("（）() "),
                                      families=prop.get_family(), weight=prop.get_weight())
                assert face is not None, f"{t.get_text()!r} would be drawn as boxes"
                assert fonts.covers(face[0], "碳", face[1])
                faces.append(face)
            assert fonts.is_bold_face(*faces[0]), f"the bold title is drawn with a regular face {faces[0]}"
            assert not fonts.is_bold_face(*faces[2])
            paths = style.save_figure(fig, tmp_path / "cjk")
    assert paths.png.stat().st_size > 1000 and paths.svg.stat().st_size > 1000


def test_face_for_says_none_when_no_family_covers_the_text():
    assert fonts.face_for("碳", families=["DejaVu Sans"]) is None
    assert fonts.face_for("carbon", families=["DejaVu Sans"]) is not None
