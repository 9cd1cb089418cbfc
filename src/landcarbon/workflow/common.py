"""What every run shares: a staged run folder (no partial output), the manifest, the Dask client."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import InputValidationError
from ..core.provenance import RunManifest
from ..core.spec import Issue
from ..io import atomic as _atomic
from ..io import tables as _tables

_FILE_SUFFIXES = (".tif", ".tiff", ".csv", ".xlsx", ".gpkg", ".shp", ".json", ".png", ".html", ".txt")


def check_out(out: Path, *, overwrite: bool) -> None:
    """The rules for a run folder ``out`` (key ``out``; ``overwrite`` replaces a finished run as a whole)."""
    if out.exists() and not out.is_dir():
        raise InputValidationError([Issue("out", f"{out} is a file; expected a folder for the run's outputs")])
    if not out.exists() and out.suffix.lower() in _FILE_SUFFIXES:
        raise InputValidationError([Issue("out", f"{out} looks like a file name; expected a run folder (the "
                                                 f"results are written inside it): give a folder, e.g. "
                                                 f"{out.with_suffix('')}")])
    if out.is_dir() and any(out.iterdir()):
        finished = (out / "manifest.json").is_file()
        if not finished:
            raise InputValidationError([Issue("out", f"{out} exists and holds files that are not a landcarbon run; "
                                                     f"expected a new or empty folder: choose another folder")])
        if not overwrite:
            raise InputValidationError([Issue("out", f"{out} already holds a finished run; expected a new "
                                                     f"folder: choose another one, or set ⟨overwrite⟩ to replace "
                                                     f"that run as a whole")])


class RunFolder:
    """Outputs of one run. Files are written into a hidden staging folder inside ``out`` and moved
    into place only when the run finishes, manifest last; if the run fails the staging folder is
    removed, so a failed run leaves no partial output and a re-run starts clean.

    Use as a context manager::

        with RunFolder(out, "stock") as run:
            run.add_input("landuse", path)
            run.write_table(df, "stock_by_class.csv")
            run.summary = {...}
    """

    def __init__(self, out: str | os.PathLike, command: str, *, overwrite: bool = True):
        self.out = Path(out)
        self.command = command
        self.overwrite = overwrite
        self.manifest = RunManifest(command=command)
        self.summary: dict[str, Any] | None = None
        self._stage: Path | None = None
        self._files: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------------
    def check_target(self) -> None:
        """Refuse an ``out`` that is a file, or that holds anything but a finished run (or holds one and
        ``overwrite`` is off). Called before any work starts."""
        check_out(self.out, overwrite=self.overwrite)

    def __enter__(self) -> RunFolder:
        self.check_target()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        # staged beside the target, so a failed run leaves nothing at ``out`` and a finished run
        # replaces an earlier one as a whole (no stale tables or maps of the earlier run remain)
        self._stage = self.out.parent / f".{self.out.name}.staging-{os.getpid()}"
        shutil.rmtree(self._stage, ignore_errors=True)
        self._stage.mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._stage is not None
        try:
            if exc_type is None:
                self._publish()
        finally:
            shutil.rmtree(self._stage, ignore_errors=True)

    def _publish(self) -> None:
        assert self._stage is not None
        if self.summary is not None:
            _tables.write_json(self.summary, self._stage / "summary.json")
            self.manifest.outputs.append("summary.json")
        _tables.write_json(self.manifest.finish(), self._stage / "manifest.json")
        old = None
        if self.out.exists():
            if any(self.out.iterdir()):
                old = self.out.parent / f".{self.out.name}.replaced-{os.getpid()}"
                shutil.rmtree(old, ignore_errors=True)
                os.replace(self.out, old)
            else:
                self.out.rmdir()
        os.replace(self._stage, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    @property
    def staged(self) -> Path:
        """The staged run folder (outputs written so far live here until the run finishes)."""
        assert self._stage is not None, "use RunFolder as a context manager"
        return self._stage

    # -- writing -------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """A staged path for an output ``rel`` (relative to the run folder); registers it."""
        assert self._stage is not None, "use RunFolder as a context manager"
        p = self._stage / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel not in self._files:
            self._files.append(rel)
            self.manifest.outputs.append(rel)
        return p

    def stage_dir(self, rel: str) -> Path:
        """A staged folder for a sub-run that writes its own files; publish it with publish_tree()."""
        assert self._stage is not None, "use RunFolder as a context manager"
        p = self._stage / rel
        p.mkdir(parents=True, exist_ok=True)
        return p

    def publish_tree(self, rel: str) -> None:
        """Register every file under the staged folder ``rel`` as an output of this run."""
        base = self.stage_dir(rel)
        for f in sorted(base.rglob("*")):
            if f.is_file():
                self.path(f"{rel}/{f.relative_to(base).as_posix()}")

    def write_table(self, df: pd.DataFrame, rel: str, **kw: Any) -> Path:
        return _tables.write_csv(df, self.path(rel), **kw)

    def write_json(self, obj: Any, rel: str) -> Path:
        return _tables.write_json(obj, self.path(rel))

    def add_input(self, role: str, path: str | os.PathLike | None, **extra: Any) -> None:
        if path is None:
            return
        p = Path(path)
        digest = _atomic.sha256_file(p) if p.is_file() else None
        self.manifest.add_input(role, str(p), digest, **extra)


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A distributed Client connected to ``scheduler`` (address), or None for local threads."""
    if not scheduler:
        yield None
        return
    from distributed import Client

    try:
        client = Client(scheduler, timeout="20s")
    except OSError as err:
        raise InputValidationError(f"cannot reach the Dask scheduler at {scheduler} ({err}); check the "
                                   f"address (e.g. tcp://127.0.0.1:8786) and that the scheduler runs") from None
    try:
        yield client
    finally:
        client.close()
