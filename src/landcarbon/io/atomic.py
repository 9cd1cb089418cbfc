"""Atomic writes: a temporary name in the same folder, then ``os.replace``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` (same suffix, so GDAL picks the driver); on
    success rename it onto ``final``; on failure remove it. A crash never leaves a half file."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp{final.suffix}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
        for side in final.parent.glob(f"{tmp.name}.*"):  # e.g. GDAL .aux.xml / .ovr beside tmp
            side.unlink(missing_ok=True)


def atomic_write_text(final: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(final)


def sha256_file(path: str | os.PathLike, block: int = 1 << 20) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()
