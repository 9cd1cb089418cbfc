"""The step graph of a study: dependency order, a cache keyed by what went in, parallel execution.

A ``Step`` is one model run (``run_model``) with its values; a value may be a ``Ref`` to an output
file of another step, which makes that step a dependency. Each step runs into its own run folder
``steps/<step id>/`` (staged, replaced as a whole, manifest last) and is cached by the hash of its
model id and spec version, the landcarbon version, its values (file inputs by content hash) and
the cache keys of the steps it reads: a re-run after an interruption, or after one scenario was
edited, redoes only what changed. A failed step stops the study with its error and keeps every
finished step.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InputValidationError, LandcarbonError
from ..core.spec import Issue
from ..io.atomic import atomic_write_text, sha256_file


@dataclass(frozen=True)
class Ref:
    """An output file ``file`` of step ``step`` (resolved to ``steps/<step>/<file>`` at run time)."""

    step: str
    file: str


@dataclass
class Step:
    id: str
    model: str
    values: dict[str, Any]
    scenario: str | None = None
    year: int | None = None
    after: tuple[str, ...] = ()
    where: str = ""  # the place in the plan file it came from, for messages
    run: Callable[..., dict[str, Any]] | None = None  # a custom step (not a registered model)

    @property
    def deps(self) -> list[str]:
        out = list(self.after)
        for v in self.values.values():
            for r in _refs(v):
                if r.step not in out:
                    out.append(r.step)
        return out


def _refs(v: Any) -> Iterable[Ref]:
    if isinstance(v, Ref):
        yield v
    elif isinstance(v, list | tuple):
        for x in v:
            yield from _refs(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _refs(x)


def order(steps: list[Step]) -> list[Step]:
    """Steps in dependency order (stable: plan order among independent steps); refuses unknown
    dependencies and cycles with the steps named."""
    by_id = {s.id: s for s in steps}
    issues = []
    for s in steps:
        for d in s.deps:
            if d not in by_id:
                issues.append(Issue(s.where or s.id, f"step {s.id} reads the output of step {d}, which no part of "
                                                     f"the plan produces; add what produces it or remove the "
                                                     f"reference"))
    if issues:
        raise InputValidationError(issues)
    done: list[Step] = []
    seen: set[str] = set()
    pending = list(steps)
    while pending:
        ready = [s for s in pending if all(d in seen for d in s.deps)]
        if not ready:
            raise InputValidationError([Issue("plan", "steps depend on each other in a cycle: "
                                                      + ", ".join(s.id for s in pending))])
        for s in ready:
            done.append(s)
            seen.add(s.id)
        pending = [s for s in pending if s.id not in seen]
    return done


def step_dir(root: Path, step_id: str) -> Path:
    return root / "steps" / step_id.replace("/", "__")


def _resolve(v: Any, root: Path) -> Any:
    if isinstance(v, Ref):
        return str(step_dir(root, v.step) / v.file)
    if isinstance(v, list):
        return [_resolve(x, root) for x in v]
    if isinstance(v, tuple):
        return tuple(_resolve(x, root) for x in v)
    if isinstance(v, dict):
        return {k: _resolve(x, root) for k, x in v.items()}
    return v


class Graph:
    """Runs steps into ``root`` (the study folder)."""

    def __init__(self, steps: list[Step], root: str | os.PathLike, *, jobs: int = 1, code_version: str = "",
                 echo: Callable[[str], None] | None = None, scheduler: str | None = None):
        self.steps = order(steps)
        self.root = Path(root)
        self.jobs = max(1, int(jobs))
        self.code_version = code_version
        self.echo = echo or (lambda s: print(s, file=sys.stderr))
        self.scheduler = scheduler
        self.keys: dict[str, str] = {}
        self.status: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self._hash_cache: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- cache keys -------------------------------------------------------------------------------
    def _file_hash(self, p: str) -> str:
        ap = str(Path(p).resolve())
        if ap not in self._hash_cache:
            self._hash_cache[ap] = sha256_file(ap)
        return self._hash_cache[ap]

    def _canon(self, v: Any) -> Any:
        if isinstance(v, Ref):
            return {"ref": v.step, "file": v.file, "key": self.keys.get(v.step)}
        if isinstance(v, list | tuple):
            return [self._canon(x) for x in v]
        if isinstance(v, dict):
            return {str(k): self._canon(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, str | os.PathLike) and os.path.isfile(v):
            return {"file_sha256": self._file_hash(str(v))}
        if isinstance(v, float | int | str | bool) or v is None:
            return v
        return repr(v)

    def cache_key(self, s: Step) -> str:
        from ..models import registry

        spec_version = registry.get(s.model).spec.version if s.run is None else "custom"
        doc = {"model": s.model, "spec_version": spec_version, "code": self.code_version,
               "values": self._canon(s.values), "deps": {d: self.keys.get(d) for d in s.deps}}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _key_file(self, step_id: str) -> Path:
        return self.root / ".cache" / f"{step_id.replace('/', '__')}.json"

    def is_cached(self, s: Step, key: str) -> bool:
        kf = self._key_file(s.id)
        if not kf.is_file() or not (step_dir(self.root, s.id) / "manifest.json").is_file():
            return False
        try:
            return json.loads(kf.read_text(encoding="utf-8")).get("key") == key
        except (OSError, ValueError):
            return False

    # -- running ----------------------------------------------------------------------------------
    def _run_one(self, s: Step, key: str) -> dict[str, Any]:
        from .runner import run_model

        out = step_dir(self.root, s.id)
        values = _resolve(s.values, self.root)
        t0 = time.perf_counter()
        if s.run is not None:
            summary = s.run(values=values, out=out, root=self.root)
        else:
            summary = run_model(s.model, values, out=out, overwrite=True, scheduler=self.scheduler)
        self._key_file(s.id).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self._key_file(s.id), json.dumps({"key": key, "step": s.id, "model": s.model}))
        self.seconds[s.id] = round(time.perf_counter() - t0, 2)
        return summary

    def run(self, *, only: set[str] | None = None) -> dict[str, str]:
        """Run every step (cached ones are skipped); returns step id -> 'ran' | 'cached'."""
        n = len(self.steps)
        index = {s.id: i + 1 for i, s in enumerate(self.steps)}
        pending = list(self.steps)
        running: dict[Future, Step] = {}
        failed: tuple[Step, BaseException] | None = None
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while pending or running:
                if failed is not None:
                    pending.clear()
                for s in list(pending):
                    if len(running) >= self.jobs:
                        break
                    if not all(self.status.get(d) in ("ran", "cached") for d in s.deps):
                        continue
                    pending.remove(s)
                    key = self.cache_key(s)
                    self.keys[s.id] = key
                    if (only is not None and s.id not in only) or self.is_cached(s, key):
                        self.status[s.id] = "cached"
                        self.echo(f"[{index[s.id]}/{n}] {s.id}: cached")
                        continue
                    self.echo(f"[{index[s.id]}/{n}] {s.id}: running")
                    running[pool.submit(self._run_one, s, key)] = s
                if not running:
                    continue  # cached steps made others ready (order() guarantees progress)
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    s = running.pop(fut)
                    err = fut.exception()
                    if err is None:
                        self.status[s.id] = "ran"
                        self.echo(f"[{index[s.id]}/{n}] {s.id}: done in {self.seconds.get(s.id, 0):.1f} s")
                    else:
                        self.status[s.id] = "failed"
                        failed = failed or (s, err)
        if failed is not None:
            s, err = failed
            if isinstance(err, LandcarbonError):
                msg = str(err)
                raise type(err)(f"step {s.id} failed: {msg}") if not isinstance(err, InputValidationError) else \
                    InputValidationError([Issue(f"step {s.id}", str(i)) for i in err.issues]) from err
            raise err
        return dict(self.status)


__all__ = ["Graph", "Ref", "Step", "order", "step_dir"]
