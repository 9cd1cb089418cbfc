"""The study runner: the whole chain from one plan file (design.md, "The model contract and the study runner").

    plan.toml ─ load_study (schema, paths, years, rule sets; every problem with its line)
              ─ build_steps (model steps, values = spec keys; "@step:file" refs; targets' inputs produced?)
              ─ check_steps (every step's values through its spec, its files through the resolver, the
                model's own checks where its inputs exist before the run) — all before anything runs
              ─ Graph.run (dependency order, independent scenarios in parallel, cache by content hash,
                resume, a failed step stops the study and keeps the finished ones)
              ─ catalog (SQLite in the study folder, or PostgreSQL by URL) ─ results/ ─ manifest.json last

The study folder: ``plan.toml`` (the plan as run), ``inputs/`` (tables and option files generated from
the plan), ``steps/<step>/`` (one run folder per step), ``.cache/`` (cache keys), ``results/``
(``indicators.csv``, ``variables.csv``, ``indicator_defs.csv``, ``steps.csv``), ``catalog.sqlite`` and
``manifest.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import InputValidationError
from ..core.provenance import versions
from ..core.spec import Issue
from ..io import atomic_write_text, write_csv, write_json
from ..io.atomic import sha256_file
from .graph import Graph, Ref, Step, step_dir
from .study_plan import StudyPlan, load_study
from .study_steps import Build, build_steps

STATE = "study.json"
Echo = Callable[[str], None]


def _echo(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


def default_out(sp: StudyPlan) -> Path:
    folder = sp.outputs.get("folder")
    return sp.plan.resolve(folder) if folder else sp.plan.base / f"{sp.id}_study"


def _check_folder(out: Path, sp: StudyPlan) -> dict[str, Any]:
    """A study folder is new, empty, or this study's own (study.json with the same id); returns its state."""
    if out.exists() and not out.is_dir():
        raise InputValidationError([Issue("out", f"{out} is a file; expected a folder for the study")])
    state_file = out / STATE
    if state_file.is_file():
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except ValueError:
            state = {}
        if state.get("study") not in (None, sp.id):
            raise InputValidationError([Issue("out", f"{out} holds the study {state.get('study')!r}, not "
                                                     f"{sp.id!r}; expected its own folder: choose another one")])
        return state
    if out.is_dir() and any(out.iterdir()):
        raise InputValidationError([Issue("out", f"{out} exists and holds files that are not a landcarbon study; "
                                                 f"expected a new or empty folder, or this study's folder: choose "
                                                 f"another one")])
    return {}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(root: Path) -> list[str]:
    """Remove the staging folders an interrupted run left (their process is gone)."""
    gone = []
    steps = root / "steps"
    if not steps.is_dir():
        return gone
    for d in steps.iterdir():
        name = d.name
        for tag in (".staging-", ".replaced-"):
            if name.startswith(".") and tag in name:
                try:
                    pid = int(name.rsplit("-", 1)[1])
                except ValueError:
                    continue
                if pid == os.getpid() or not _pid_alive(pid):
                    shutil.rmtree(d, ignore_errors=True)
                    gone.append(name)
    return gone


def prepare(plan: str | os.PathLike, *, inputs: Path) -> tuple[StudyPlan, Build]:
    """Load and check the plan and build its steps (generated inputs written into ``inputs``)."""
    sp = load_study(plan)
    b = build_steps(sp, inputs)
    if b.issues:
        raise InputValidationError(b.issues)
    return sp, b


def _where(b: Build, step: Step, key: str) -> str:
    o = b.origins.get(step.id, {}).get(key)
    return b.sp.where(*o) if o else f"{b.sp.path.name} [step {step.id}] {key}"


def plan_namer(b: Build, step: Step) -> Callable[[str], str]:
    """⟨key⟩ in a model's message → where the plan sets that key for this step (``[classes] scheme``)."""
    def namer(key: str) -> str:
        o = b.origins.get(step.id, {}).get(key)
        if not o:
            return key
        return f"[{'.'.join(o[:-1])}] {o[-1]}" if len(o) > 1 else f"[{o[0]}]"

    return namer


def plan_issues(b: Build, step: Step, issues: list[Any]) -> list[Issue]:
    """A model's issues (keyed by its inputs) at the plan lines that set those inputs."""
    from .runner import name_refs

    namer = plan_namer(b, step)
    out = []
    for i in issues:
        key, msg = (i.key, i.message) if isinstance(i, Issue) else ("", str(i))
        out.append(Issue(_where(b, step, key), f"(step {step.id}) {name_refs(msg, namer)}"))
    return out


def _remap(err: InputValidationError, b: Build) -> InputValidationError:
    """A step's input problems found while running (``step <id>: key: message``) at their plan lines."""
    by_id = {s.id: s for s in b.steps}
    out: list[Issue] = []
    for i in err.issues:
        key, msg = (i.key, i.message) if isinstance(i, Issue) else ("", str(i))
        step = by_id.get(key[5:]) if key.startswith("step ") else None
        if step is None:
            out.append(i if isinstance(i, Issue) else Issue("", msg))
            continue
        k, sep, rest = msg.partition(": ")
        if sep and k in b.origins.get(step.id, {}):
            out += plan_issues(b, step, [Issue(k, rest)])
        else:
            out.append(Issue(f"{b.sp.path.name} [step {step.id}]", msg))
    return InputValidationError(out)


def _has_ref(v: Any) -> bool:
    if isinstance(v, Ref):
        return True
    if isinstance(v, list | tuple):
        return any(_has_ref(x) for x in v)
    if isinstance(v, dict):
        return any(_has_ref(x) for x in v.values())
    return False


def check_steps(b: Build, *, model_checks: bool = True) -> list[Issue]:
    """Every step's values through its spec (types, choices, bounds, unknown keys), its files through the
    resolver, and the model's own check where every input exists before the run; issues at plan lines."""
    from ..core.validation import validate
    from ..io.resolve import Resolver
    from ..models import registry
    from .runner import Progress, RunContext, _step_fn, step_module

    issues: list[Issue] = []
    resolver = Resolver()
    for s in b.steps:
        if s.run is not None:
            continue
        spec = registry.spec(s.model)
        vals, found = validate(spec, s.values)
        bad = {i.key for i in found}
        plain = {k: v for k, v in vals.items() if k not in bad and not _has_ref(v)}
        found += resolver.check(spec, plain)
        if not found and model_checks and not any(_has_ref(v) for v in s.values.values()):
            mod = step_module(s.model)
            fn = _step_fn(mod, s.model, "check")
            if fn is not None:
                ctx = RunContext(spec, vals, run=None, resolver=resolver, namer=lambda k: k, progress=Progress(False))
                try:
                    found += list(fn(ctx) or [])
                except InputValidationError as err:
                    found += [i if isinstance(i, Issue) else Issue("", str(i)) for i in err.issues]
        issues += plan_issues(b, s, found)
    return issues


def _plan_copy(sp: StudyPlan, out: Path) -> None:
    text = sp.path.read_text(encoding="utf-8-sig")
    p = out / "plan.toml"
    if not p.is_file() or p.read_text(encoding="utf-8") != text:
        atomic_write_text(p, text)


def run_study(plan: str | os.PathLike, *, out: str | os.PathLike | None = None, jobs: int = 1,
              scheduler: str | None = None, catalog: str | None = None, catalog_schema: str | None = None,
              echo: Echo | None = None, model_checks: bool = True) -> dict[str, Any]:
    """Run the study of ``plan`` into ``out`` (default: the plan's [outputs] folder); returns the summary.

    Raises ``InputValidationError`` (every problem, each at its place in the plan) before any step runs;
    a failed step raises its error after the finished steps are recorded (``manifest.json`` is then not
    written: the study is not finished)."""
    echo = echo or _echo
    t0 = time.perf_counter()
    sp = load_study(plan)
    root = Path(out) if out is not None else default_out(sp)
    state = _check_folder(root, sp)
    root.mkdir(parents=True, exist_ok=True)
    gone = clean_stale(root)
    if gone:
        echo(f"removed {len(gone)} staging folder(s) of an interrupted run")
    b = build_steps(sp, root / "inputs")
    issues = list(b.issues)
    if not issues:
        issues += check_steps(b, model_checks=model_checks)
    if issues:
        raise InputValidationError(issues)
    created = state.get("created") or datetime.now(UTC).isoformat(timespec="seconds")
    write_json({"study": sp.id, "created": created, "plan": sp.path.name}, root / STATE)
    _plan_copy(sp, root)
    (root / "manifest.json").unlink(missing_ok=True)  # a study without a manifest is not finished
    from .. import __version__
    from .study_catalog import open_catalog, record_study, study_tables

    g = Graph(b.steps, root, jobs=jobs, code_version=str(__version__), echo=echo, scheduler=scheduler)
    err: BaseException | None = None
    try:
        status = g.run()
    except BaseException as e:  # noqa: BLE001 - recorded below, then raised again
        err = e
        status = dict(g.status)
    failed = {k: str(err) for k, v in g.status.items() if v == "failed"} if err is not None else {}
    tables = study_tables(sp, root, b.steps)
    cat = open_catalog(catalog or sp.outputs.get("catalog") or None, root, schema=catalog_schema)
    try:
        counts = record_study(cat, sp, root, b.steps, status, g.keys, created, tables, failed)
        cat_url = cat.url
    finally:
        cat.close()
    if err is not None:
        if isinstance(err, InputValidationError):
            raise _remap(err, b) from None
        raise err
    results = _results(root, b, status, g, tables)
    ran = [s for s, v in status.items() if v == "ran"]
    ind = tables["indicators"]
    counts_status = {k: int(v) for k, v in ind["status"].value_counts().items()} if len(ind) else {}
    summary = {"study": sp.id, "out": str(root), "steps": len(b.steps), "ran": ran,
               "cached": [s for s, v in status.items() if v == "cached"], "catalog": cat_url,
               "catalog_rows": counts, "results": results,
               "status": {k: counts_status.get(k, 0) for k in ("met", "warning", "breached")}, "seconds": round(time.perf_counter() - t0, 2),
               "notes": list(getattr(b, "notes", []))}
    _manifest(root, sp, b, status, g, summary, created)
    return summary


def _results(root: Path, b: Build, status: dict[str, str], g: Graph, tables: dict[str, pd.DataFrame]) -> list[str]:
    res = root / "results"
    res.mkdir(exist_ok=True)
    out = []
    for name in ("indicators", "variables", "indicator_defs"):
        df = tables[name]
        if len(df):
            write_csv(df, res / f"{name}.csv")
            out.append(f"results/{name}.csv")
    steps = pd.DataFrame([{"step": s.id, "model": s.model, "scenario": s.scenario or "",
                           "out_dir": os.path.relpath(step_dir(root, s.id), root).replace(os.sep, "/"),
                           "cache_key": g.keys.get(s.id, "")} for s in g.steps])
    write_csv(steps, res / "steps.csv")
    out.append("results/steps.csv")
    return out


def _manifest(root: Path, sp: StudyPlan, b: Build, status: dict[str, str], g: Graph, summary: dict[str, Any],
              created: str) -> None:
    man = {"study": sp.id, "name": sp.name, "region": sp.region, "language": sp.language,
           "plan": {"path": str(sp.path), "sha256": sha256_file(sp.path)}, "created": created,
           "finished": datetime.now(UTC).isoformat(timespec="seconds"), "versions": versions(),
           "seeds": dict(sp.seeds), "scenarios": list(sp.scenarios), "targets": list(sp.targets),
           "steps": [{"step": s.id, "model": s.model, "status": status.get(s.id), "cache_key": g.keys.get(s.id),
                      "seconds_this_run": g.seconds.get(s.id),
                      "out_dir": os.path.relpath(step_dir(root, s.id), root).replace(os.sep, "/"),
                      "after": s.deps} for s in g.steps],
           "catalog": summary["catalog"], "catalog_rows": summary["catalog_rows"], "results": summary["results"],
           "seconds": summary["seconds"], "notes": summary["notes"]}
    write_json(man, root / "manifest.json")


__all__ = ["check_steps", "clean_stale", "default_out", "prepare", "run_study"]
