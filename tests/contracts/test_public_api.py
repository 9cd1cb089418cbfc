"""The curated public API: every name in __all__ resolves, and importing stays lazy."""

from __future__ import annotations

import subprocess
import sys

import landcarbon


def test_every_public_name_resolves():
    missing = [n for n in landcarbon.__all__ if not hasattr(landcarbon, n)]
    assert missing == []
    assert callable(landcarbon.carbon_stock) and callable(landcarbon.simulate)


def test_import_is_lazy():
    code = "import sys, landcarbon; print(int('landcarbon.models.simulate' in sys.modules), int('numba' in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["0", "0"]


def test_every_model_has_a_spec_with_units():
    import importlib

    for mod in ("carbon_stock", "emissions", "balance", "peak", "allocation", "change", "demand", "validate"):
        m = importlib.import_module(f"landcarbon.models.{mod}")
        spec = getattr(m, "SPEC", None)
        assert spec is not None, f"models.{mod} has no SPEC"
        assert spec.id and spec.version and spec.outputs, mod
