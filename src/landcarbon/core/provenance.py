"""Run manifest: inputs with hashes, parameters, seeds, versions and timings."""

from __future__ import annotations

import hashlib
import platform
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

_PACKAGES = ("landcarbon", "numpy", "numba", "pandas", "xarray", "rioxarray", "rasterio", "dask",
             "geopandas", "pyproj", "scikit-learn", "highspy", "pymoo")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    return out


def hash_bytes_iter(chunks) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(c)
    return h.hexdigest()


@dataclass
class RunManifest:
    command: str
    model: str = ""
    model_version: str = ""
    inputs: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=versions)
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    finished: str | None = None

    def add_input(self, role: str, path: str, sha256: str | None, **extra: Any) -> None:
        self.inputs.append({"role": role, "path": str(path), "sha256": sha256, **extra})

    @contextmanager
    def timed(self, step: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings_s[step] = round(self.timings_s.get(step, 0.0) + time.perf_counter() - t0, 4)

    def finish(self) -> dict[str, Any]:
        self.finished = datetime.now(UTC).isoformat(timespec="seconds")
        return asdict(self)
