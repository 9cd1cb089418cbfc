"""One small, fast case per registered model: ``CASES[model_id](tmp_path) -> command-line arguments``
(without ``--out``). The contract test runs each through the CLI and checks the outputs it writes
against the model's spec. Add a case when you register a model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

CASES: dict[str, Callable[[Path], list]] = {}


def case(model_id: str):
    def deco(fn):
        CASES[model_id] = fn
        return fn

    return deco
