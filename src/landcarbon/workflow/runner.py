"""The one path of every run (design.md, "The model contract and the study runner").

    resolve (io) -> validate (spec: every problem at once; cheap checks before expensive ones)
    -> compute (the model's workflow step) -> write the spec's outputs through the staged run
    folder (atomic, manifest last) -> record

``run_model(model_id, values, out=...)`` is what the CLI, plan steps and the web service call.
A workflow step module (``Model.step`` in the registry) defines ``execute(ctx) -> summary`` and
optionally ``check(ctx) -> list[Issue]``; it reads its inputs through ``ctx`` so each file is
opened, hashed and validated once per run.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..core.errors import InputValidationError, LandcarbonError, LandcarbonWarning
from ..core.spec import Input, Issue, ModelSpec
from ..core.validation import given, validate
from ..io.resolve import Resolver
from ..models import registry
from .common import RunFolder, check_out, dask_client

#: a namer turns an input key into the interface's name for it (``--zone-field``, ``[stock] zone_field``)
Namer = Callable[[str], str]

_REF = re.compile(r"⟨([A-Za-z_][A-Za-z0-9_]*)⟩")


def name_refs(message: str, namer: Namer) -> str:
    """Replace ``⟨key⟩`` references in a message by the interface's name of that input."""
    return _REF.sub(lambda m: namer(m.group(1)), message)


def plain_namer(key: str) -> str:
    return key


class Progress:
    """Progress of long steps on stderr when it is a terminal; silent otherwise (and in tests)."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._task: Any = None

    @contextmanager
    def step(self, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """``with progress.step("allocation", total=n) as advance: advance(1)``."""
        if not self.enabled:
            yield lambda n=1: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as _P

        with _P(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                transient=True, console=None) as bar:
            task = bar.add_task(label, total=total)
            yield lambda n=1: bar.advance(task, n)


class RunContext:
    """What a workflow step sees: the validated values, the run folder and cached inputs."""

    def __init__(self, spec: ModelSpec, values: dict[str, Any], *, run: RunFolder | None, resolver: Resolver,
                 namer: Namer, progress: Progress, scheduler: str | None = None):
        self.spec = spec
        self.values = values
        self.run = run
        self.resolver = resolver
        self.namer = namer
        self.progress = progress
        self.scheduler = scheduler
        self._cache: dict[str, Any] = {}

    # -- values -----------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v

    def given(self, key: str) -> bool:
        return given(self.spec, self.values, key)

    @property
    def manifest(self) -> Any:
        assert self.run is not None, "no run folder in a check"
        return self.run.manifest

    # -- cached inputs ----------------------------------------------------------------------------
    def table(self, key: str, **kw: Any) -> Any:
        v = self.values.get(key)
        if v is None:
            return None
        if not isinstance(v, str | os.PathLike):
            return v  # an in-memory table passed by the Python API
        sheet_key = f"{key}_sheet"
        sheet = self.values.get(sheet_key) if self.spec.has_input(sheet_key) else 0
        return self.resolver.table(v, sheet=0 if sheet is None else sheet, **kw)

    def raster(self, key: str, *, index: int | None = None, categorical: bool | None = None) -> Any:
        v = self.values.get(key)
        if v is None:
            return None
        if index is not None:
            v = v[index]
        if not isinstance(v, str | os.PathLike):
            return v  # an in-memory DataArray passed by the Python API
        inp = self.spec.input(key)
        cat = inp.kind in ("landuse", "zones", "lines") if categorical is None else categorical
        return self.resolver.raster(v, categorical=cat, name=key)

    def issue(self, key: str, message: str) -> InputValidationError:
        """An error for input ``key`` (raise it)."""
        return InputValidationError([Issue(key, message)])

    def warn(self, message: str, *, area_ha: float | None = None) -> None:
        """A warning on the console and in the manifest (cells dropped, assumptions made)."""
        if area_ha is not None:
            message = f"{message} ({area_ha:,.2f} ha)"
        warnings.warn(message, LandcarbonWarning, stacklevel=2)


def _translate(err: InputValidationError, namer: Namer) -> InputValidationError:
    issues = []
    for i in err.issues:
        if isinstance(i, Issue):
            issues.append(Issue(namer(i.key) if i.key else "", name_refs(i.message, namer)))
        else:
            issues.append(Issue("", name_refs(str(i), namer)))
    new = InputValidationError(issues)
    new.__cause__ = err.__cause__
    return new


def translate_error(err: LandcarbonError, namer: Namer) -> LandcarbonError:
    """The same error with input keys turned into the interface's names."""
    if isinstance(err, InputValidationError):
        return _translate(err, namer)
    key = getattr(err, "key", None)
    msg = name_refs(str(err), namer)
    if key:
        msg = f"{namer(key)}: {msg}"
    if msg != str(err):
        new = type(err).__new__(type(err))
        Exception.__init__(new, msg)
        new.__dict__.update(err.__dict__)
        return new
    return err


def step_module(model_id: str) -> Any:
    return importlib.import_module(registry.get(model_id).step)


def _step_fn(mod: Any, model_id: str, name: str) -> Callable[..., Any] | None:
    """``execute_<id>`` / ``check_<id>`` when one module serves several models, else ``execute`` / ``check``."""
    return getattr(mod, f"{name}_{model_id}", None) or getattr(mod, name, None)


def check_model(model_id: str, values: dict[str, Any], *, resolver: Resolver | None = None,
                namer: Namer = plain_namer) -> tuple[dict[str, Any], list[Issue], Resolver]:
    """Every problem of ``values`` without computing: spec checks, file checks, the model's own checks."""
    model = registry.get(model_id)
    spec = model.spec
    resolver = resolver or Resolver()
    vals, issues = validate(spec, values)
    bad_keys = {i.key for i in issues}
    file_vals = {k: v for k, v in vals.items() if k not in bad_keys}
    issues += resolver.check(spec, file_vals)
    if not issues:
        mod = step_module(model.id)
        check = _step_fn(mod, model.id, "check")
        if check is not None:
            ctx = RunContext(spec, vals, run=None, resolver=resolver, namer=namer, progress=Progress(False))
            try:
                issues += list(check(ctx) or [])
            except InputValidationError as err:
                issues += [i if isinstance(i, Issue) else Issue("", str(i)) for i in err.issues]
    return vals, issues, resolver


def run_model(model_id: str, values: dict[str, Any], *, out: str | os.PathLike, overwrite: bool = False,
              namer: Namer = plain_namer, progress: Progress | None = None, scheduler: str | None = None,
              seeds: dict[str, int] | None = None,
              finish: Callable[[RunContext, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run one registered model into the run folder ``out``; return its summary.

    Raises ``InputValidationError`` with every problem found (keys named by ``namer``) before
    anything is computed; a failed run leaves nothing at ``out``. ``finish(ctx, summary)`` runs
    inside the staged run folder after the step (charts drawn by a higher layer from the staged
    outputs, written with ``ctx.run.path(...)`` so they are part of the run and its manifest).
    """
    model = registry.get(model_id)
    spec = model.spec
    progress = progress or Progress()
    try:
        try:
            check_out(Path(out), overwrite=overwrite)
            out_issues: list[Issue] = []
        except InputValidationError as err:
            out_issues = list(err.issues)
        vals, issues, resolver = check_model(model.id, values, namer=namer)
        issues = out_issues + issues
        if issues:
            raise InputValidationError(issues)
        mod = step_module(model.id)
        execute = _step_fn(mod, model.id, "execute")
        if execute is None:  # pragma: no cover - the contract test checks every registered step
            raise LandcarbonError(f"model {model.id} has no workflow step {model.step}.execute")
        t0 = time.perf_counter()
        with RunFolder(out, model.command_line.removeprefix("landcarbon "), overwrite=overwrite) as run, \
                dask_client(scheduler):
            m = run.manifest
            m.model, m.model_version = spec.id, spec.version
            m.inputs.extend(resolver.hash_inputs(spec, vals))
            m.parameters.update({k: _jsonable(v) for k, v in vals.items()
                                 if spec.input(k).kind not in ("landuse", "raster", "zones", "vector", "table",
                                                               "path")})
            if seeds:
                m.seeds.update(seeds)
            ctx = RunContext(spec, vals, run=run, resolver=resolver, namer=namer, progress=progress,
                             scheduler=scheduler)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LandcarbonWarning)
                summary = dict(execute(ctx) or {})
                if finish is not None:
                    finish(ctx, summary)
            for w in caught:
                if issubclass(w.category, LandcarbonWarning):
                    note = str(w.message)
                    if note not in m.notes:
                        m.notes.append(note)
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            summary.setdefault("command", model.command_line.removeprefix("landcarbon "))
            summary.setdefault("model", spec.id)
            summary.setdefault("out", str(out))
            summary.setdefault("seconds", round(time.perf_counter() - t0, 2))
            if m.notes:
                summary.setdefault("warnings", list(m.notes))
            run.summary = summary if run.summary is None else {**summary, **run.summary}
            summary = run.summary
        return summary
    except LandcarbonError as err:
        raise translate_error(err, namer) from None
    except Exception as err:
        if type(err).__module__.split(".")[0] == "rasterio":  # a block that fails to decode mid-run
            from ..core.errors import InputFileError

            raise InputFileError(f"a raster could not be read while computing ({' '.join(str(err).split())}); "
                                 f"the file is corrupt or truncated: re-export or re-download it") from None
        raise


def _jsonable(v: Any) -> Any:
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    return str(v)


def input_of(spec: ModelSpec, key: str) -> Input | None:
    try:
        return spec.input(key)
    except KeyError:
        return None


__all__ = ["Progress", "RunContext", "check_model", "name_refs", "run_model", "step_module", "translate_error"]
