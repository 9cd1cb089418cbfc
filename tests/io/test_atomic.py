"""Atomic writes: a failure leaves neither the file nor a temporary file."""

from __future__ import annotations

import hashlib

import pytest

from landcarbon.io import atomic_path, atomic_write_text
from landcarbon.io.atomic import sha256_file


def test_success_renames_into_place(tmp_path):
    final = tmp_path / "sub" / "out.csv"
    with atomic_path(final) as tmp:
        assert tmp.parent == final.parent and tmp.suffix == ".csv" and tmp != final
        tmp.write_text("a,b\n", encoding="utf-8")
        assert not final.exists()  # nothing visible until the block ends
    assert final.read_text(encoding="utf-8") == "a,b\n"
    assert [p.name for p in final.parent.iterdir()] == ["out.csv"]


def test_exception_leaves_no_file_and_no_temp(tmp_path):
    final = tmp_path / "out.tif"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"half a file")
            tmp.with_name(tmp.name + ".aux.xml").write_text("<x/>")  # a GDAL side file
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_version(tmp_path):
    final = tmp_path / "out.txt"
    atomic_write_text(final, "old")
    with pytest.raises(ValueError):
        with atomic_path(final) as tmp:
            tmp.write_text("new, half")
            raise ValueError("bad")
    assert final.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_sha256_file(tmp_path):
    p = atomic_write_text(tmp_path / "x.txt", "碳储量")
    assert sha256_file(p) == hashlib.sha256("碳储量".encode()).hexdigest()
