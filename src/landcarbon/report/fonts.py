"""A real CJK font for every chart, on a fresh machine: registered with matplotlib at import.

Where the faces come from, first found wins:

1. an installed system family that covers Chinese and has both a regular and a bold face
   (Debian's ``fonts-noto-cjk`` gives "Noto Sans CJK SC");
2. the fonts shipped on PyPI as dependencies of landcarbon (SIL Open Font License 1.1):
   ``noto-cjk-sans-otc`` (Noto Sans CJK Regular collection, whose SC face is the regular face)
   and ``noto-cjk-sans-jp-bold`` (Noto Sans CJK JP Bold). Noto Sans CJK's language-specific
   fonts share one glyph set and differ only in the character map, so the bold face is given the
   SC face's character map once (about a second, with fontTools; cached in matplotlib's cache
   folder) and then draws the Simplified-Chinese glyph forms. Should that fail (no writable
   cache), the JP bold file itself is registered as the bold of the family: still CJK and bold,
   with Japanese forms for some shared characters;
3. any installed font that covers Chinese (regular only: bold text is then drawn regular).

No font is downloaded at run time. :func:`cjk_family` names the family charts use;
:func:`face_for` says which font file matplotlib draws a text with (the test that fails on boxes).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

#: system families that cover Chinese, tried in order
SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
                   "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei",
                   "Heiti SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "AR PL UMing CN", "Droid Sans Fallback")

#: PyPI packages that ship the faces (module, file)
PACKAGED_REGULAR = ("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc")
PACKAGED_BOLD = ("noto_cjk_sans_jp_bold", "NotoSansCJKjp-Bold.otf")
PACKAGED_FAMILY = "Noto Sans CJK SC"
#: characters a face must map to count as covering Chinese
PROBE = "碳排放量土地利用"


@dataclass(frozen=True)
class CJKFonts:
    """What :func:`register` found: the family, its faces and where they came from."""

    family: str | None
    regular: str | None = None
    bold: str | None = None
    source: str = "none"  # system | packaged | packaged (JP bold) | system (regular only) | none
    note: str = ""

    @property
    def has_bold(self) -> bool:
        return self.bold is not None


def _fm() -> Any:
    from matplotlib import font_manager

    return font_manager


def _face(path: str | os.PathLike, index: int = 0) -> Any:
    from matplotlib import ft2font

    return ft2font.FT2Font(os.fsdecode(path), face_index=index) if index else ft2font.FT2Font(os.fsdecode(path))


def covers(path: str | os.PathLike, text: str, index: int = 0) -> bool:
    """True when the font file (face ``index``) maps every non-space character of ``text``."""
    try:
        f = _face(path, index)
    except Exception:  # unreadable or not a font
        return False
    return all(f.get_char_index(ord(ch)) for ch in text if not ch.isspace())


def _is_bold(entry: Any) -> bool:
    w = entry.weight
    if isinstance(w, str):
        w = _fm().weight_dict.get(w, 400)
    return int(w) >= 600


def _entries(family: str) -> list[Any]:
    return [e for e in _fm().fontManager.ttflist if e.name == family]


def _package_file(module: str, name: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / name
        if p.is_file():
            return p
    return None


def _cache_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_cachedir()) / "landcarbon-fonts"


def _derive_sc_bold(regular_ttc: Path, sc_index: int, jp_bold: Path) -> Path:
    """JP bold with the SC face's character map (same glyph set), named "Noto Sans CJK SC" Bold."""
    st_r, st_b = regular_ttc.stat(), jp_bold.stat()
    key = hashlib.sha256(f"{st_r.st_size}:{st_r.st_mtime_ns}:{st_b.st_size}:{st_b.st_mtime_ns}:{sc_index}"
                         .encode()).hexdigest()[:12]
    out = _cache_dir() / f"NotoSansCJKsc-Bold-{key}.otf"
    if out.is_file() and covers(out, PROBE):
        return out
    from fontTools.ttLib import TTFont

    from ..io import atomic_path

    sc = TTFont(os.fspath(regular_ttc), fontNumber=sc_index, lazy=True)
    if sc.getGlyphOrder() != TTFont(os.fspath(jp_bold), lazy=True).getGlyphOrder():
        raise ValueError("the regular and bold Noto Sans CJK files do not share a glyph set")
    # a fresh instance: the CFF table stays undecompiled and is copied as it is (a full compile of
    # 65 535 CFF glyphs takes minutes)
    bold = TTFont(os.fspath(jp_bold), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    bold["cmap"] = sc["cmap"]
    for rec in bold["name"].names:
        s = rec.toUnicode()
        if "JP" in s or "jp" in s:
            rec.string = s.replace("CJKjp", "CJKsc").replace("JP", "SC")
    with atomic_path(out) as tmp:
        bold.save(os.fspath(tmp))
    return out


def _register_packaged() -> CJKFonts | None:
    fm = _fm()
    reg = _package_file(*PACKAGED_REGULAR)
    bold = _package_file(*PACKAGED_BOLD)
    if reg is None:
        return None
    known = {os.path.realpath(e.fname) for e in fm.fontManager.ttflist}
    if os.path.realpath(reg) not in known:
        fm.fontManager.addfont(reg)
    sc = [e for e in _entries(PACKAGED_FAMILY) if os.path.realpath(e.fname) == os.path.realpath(reg)]
    if sc:
        family, index = PACKAGED_FAMILY, getattr(sc[0], "index", 0)
    else:  # a matplotlib that reads only the first face of a collection (JP)
        first = _face(reg)
        family, index = first.family_name, 0
    if bold is None:
        return CJKFonts(family, str(reg), None, "packaged", "no bold CJK face: install noto-cjk-sans-jp-bold")
    if family == PACKAGED_FAMILY:
        try:
            derived = _derive_sc_bold(reg, index, bold)
            if os.path.realpath(derived) not in known:
                fm.fontManager.addfont(derived)
            if any(_is_bold(e) for e in _entries(family)):
                return CJKFonts(family, str(reg), str(derived), "packaged",
                                "Noto Sans CJK SC Regular + Bold (bold given the SC character map)")
        except Exception as e:  # no writable cache, an odd fontTools: fall back to the JP bold file
            note = f"SC bold not derived ({type(e).__name__}: {e}); bold uses Japanese glyph forms"
        else:
            note = "SC bold not registered; bold uses Japanese glyph forms"
    else:
        note = "regular face is the collection's first (JP) face"
    entry = fm.ttfFontProperty(_face(bold))
    fm.fontManager.ttflist.append(dataclasses.replace(entry, name=family))  # the bold of this family
    fm.fontManager._findfont_cached.cache_clear()
    return CJKFonts(family, str(reg), str(bold), "packaged (JP bold)", note)


def _system() -> CJKFonts | None:
    regular_only = None
    for fam in SYSTEM_FAMILIES:
        es = [e for e in _entries(fam) if covers(e.fname, PROBE, getattr(e, "index", 0))]
        if not es:
            continue
        reg = next((e for e in es if not _is_bold(e)), es[0])
        bold = next((e for e in es if _is_bold(e)), None)
        if bold is not None:
            return CJKFonts(fam, reg.fname, bold.fname, "system")
        regular_only = regular_only or CJKFonts(fam, reg.fname, None, "system (regular only)")
    return regular_only


@cache
def register() -> CJKFonts:
    """Find or register the CJK faces once per process (idempotent); see the module docstring."""
    found = _system()
    if found is not None and found.has_bold:
        return found
    packaged = _register_packaged()
    if packaged is not None:
        return packaged
    if found is not None:
        return found
    fm = _fm()
    for e in fm.fontManager.ttflist:  # any other font whose name says CJK
        if any(k in e.name for k in ("CJK", "Hei", "Song", "Kai", "Ming")) and covers(e.fname, PROBE):
            return CJKFonts(e.name, e.fname, None, "system (regular only)")
    return CJKFonts(None, note="no font covering Chinese: pip install noto-cjk-sans-otc noto-cjk-sans-jp-bold "
                                "or apt-get install fonts-noto-cjk")


def cjk_family() -> str | None:
    """The family charts use for Chinese text, or None when no font covers Chinese."""
    return register().family


def face_for(text: str, *, families: list[str] | tuple[str, ...], weight: str | int = "normal",
             style: str = "normal") -> tuple[str, int] | None:
    """The font file (and face index) matplotlib draws ``text`` with, given the family list it
    falls back through: the first family whose face (found with ``fallback_to_default=False``)
    maps every character. None when no family covers the text (it would be drawn as boxes)."""
    from matplotlib.font_manager import FontProperties, findfont

    for fam in families:
        try:
            path = findfont(FontProperties(family=fam, weight=weight, style=style), fallback_to_default=False)
        except ValueError:
            continue
        idx = int(getattr(path, "face_index", 0) or 0)
        if covers(path, text, idx):
            return os.fspath(path), idx
    return None


def is_bold_face(path: str, index: int = 0) -> bool:
    """True when the face's own weight is bold (600 or more)."""
    return _is_bold(_fm().ttfFontProperty(_face(path, index)))


register()

__all__ = ["CJKFonts", "PACKAGED_FAMILY", "SYSTEM_FAMILIES", "covers", "cjk_family", "face_for", "is_bold_face",
           "register"]
