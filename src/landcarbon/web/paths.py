"""Where files may be served from: a path is joined to a study folder and must stay inside it.

Refused: absolute paths, ``..`` parts, backslashes, NUL and control characters, and anything whose
real path (symbolic links followed) lies outside the folder.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


class OutsideError(ValueError):
    """A path leaves the folder it must stay in."""


def clean_relative(rel: str) -> PurePosixPath:
    """``rel`` as a relative POSIX path with no ``..``, or :class:`OutsideError`."""
    if not rel or any(ord(ch) < 32 for ch in rel) or "\\" in rel:
        raise OutsideError(f"path {rel!r} is not a plain relative path")
    p = PurePosixPath(rel)
    if p.is_absolute() or rel.startswith("~") or any(part in ("..", "") for part in p.parts) or \
            (p.parts and ":" in p.parts[0]):
        raise OutsideError(f"path {rel!r} leaves the served folder")
    return p


def safe_join(root: Path, rel: str) -> Path:
    """``root / rel`` with every link followed, guaranteed inside ``root`` (else :class:`OutsideError`)."""
    p = clean_relative(rel)
    base = Path(os.path.realpath(root))
    full = Path(os.path.realpath(base.joinpath(*p.parts)))
    if full != base and not full.is_relative_to(base):
        raise OutsideError(f"path {rel!r} leaves the served folder")
    return full


def inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (links followed) lies in ``root``."""
    base = Path(os.path.realpath(root))
    full = Path(os.path.realpath(path))
    return full == base or full.is_relative_to(base)


__all__ = ["OutsideError", "clean_relative", "inside", "safe_join"]
