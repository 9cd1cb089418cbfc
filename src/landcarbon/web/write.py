"""Token-guarded write routes: upload a plan, start a run, cancel it, delete runs, plans and studies.

Every route here needs ``Authorization: Bearer <token>`` with the token of the server's
``--token-file``; without a token file they answer 403 (off). Plans are size-limited, checked by the
study plan checks (``landcarbon.workflow.study_plan.load_study``) when those are installed, else as
TOML, and every file path they name must stay inside the served folder. An uploaded plan is stored
as ``<root>/<study>.plan.toml`` (so its relative paths resolve against the served folder) and its
run writes ``<root>/<study>/``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tomllib
import uuid
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..core.errors import InputValidationError
from . import logs
from .api import _json, _known
from .errors import Conflict, Forbidden, Invalid, NotFound, TooLarge, Unauthorized, Unavailable
from .paths import inside
from .runs import ACTIVE, MARKER, Runs, progress
from .service import _STUDY_ID, Service

log = logs.get("landcarbon.web")
router = APIRouter()
bearer = HTTPBearer(auto_error=False, description="the token of the server's --token-file")

PLAN_SUFFIX = ".plan.toml"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_WINDOWS = re.compile(r"^[A-Za-z]:[\\/]")


def svc(request: Request) -> Service:
    return request.app.state.service


async def require_token(request: Request,
                        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> None:
    s = svc(request)
    if s.token is None:
        raise Forbidden("write routes are off on this server; start it with --token-file FILE to turn them on")
    challenge = {"www-authenticate": 'Bearer realm="landcarbon"'}
    if cred is None:
        raise Unauthorized("missing bearer token; send the header Authorization: Bearer <token>", headers=challenge)
    if not s.token_ok(cred.credentials):
        raise Unauthorized("wrong bearer token", headers={"www-authenticate": 'Bearer error="invalid_token"'})


Guard = [Depends(require_token)]
StudyId = Annotated[str, PathParam(max_length=200, description="study id")]
RunId = Annotated[str, PathParam(max_length=64, description="run id")]


def _root(s: Service) -> Path:
    root = s.root
    if root is None:
        raise Unavailable("this server has no folder for plans and runs; start it with --root FOLDER")
    return root


def runs_of(s: Service) -> Runs:
    """The one :class:`Runs` of this process (it remembers the children it started)."""
    if getattr(s, "_runs", None) is None:
        s._runs = Runs(_root(s))  # type: ignore[attr-defined]
    return s._runs  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------------
# plans


def _walk(data: Any, where: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    if isinstance(data, dict):
        return [x for k, v in data.items() for x in _walk(v, (*where, str(k)))]
    if isinstance(data, list):
        return [x for i, v in enumerate(data) for x in _walk(v, (*where, str(i)))]
    if isinstance(data, str):
        return [(".".join(where), data)]
    return []


def paths_outside(data: dict[str, Any], root: Path) -> list[str]:
    """Problems with every string of the plan that names a place outside ``root``: an absolute path,
    a ``~`` path or one with ``..`` that resolves outside (URLs, e.g. a catalog URL, are not paths)."""
    issues = []
    for where, v in _walk(data):
        text = v.strip()
        if not text or _URL.match(text):
            continue
        posix = text.replace("\\", "/")
        if not (posix.startswith(("/", "~")) or _WINDOWS.match(text) or ".." in PurePosixPath(posix).parts):
            continue
        target = Path(os.path.expanduser(posix)) if not _WINDOWS.match(text) else Path("/" + posix)
        full = target if target.is_absolute() else root / target
        if not inside(root, full):
            issues.append(f"[{where}] {v!r} is outside the served folder; give a path inside it (relative paths "
                          f"resolve against the served folder)")
    return issues


def _plan_paths(obj: Any, seen: set[int] | None = None) -> list[Path]:
    """Every Path in a checked plan (dataclasses, dicts, lists)."""
    import dataclasses

    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, Path):
        return [obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [p for f in dataclasses.fields(obj) if f.name != "plan" for p in _plan_paths(getattr(obj, f.name), seen)]
    if isinstance(obj, dict):
        return [p for v in obj.values() for p in _plan_paths(v, seen)]
    if isinstance(obj, list | tuple):
        return [p for v in obj for p in _plan_paths(v, seen)]
    return []


def check_plan(tmp: Path, root: Path) -> tuple[str, str, list[dict[str, str]]]:
    """(study id, checked_by, issues) of a plan file written at ``tmp`` in ``root``."""
    from ..io.plan import read_plan_file

    def _issue(where: str, message: str) -> dict[str, str]:
        return {"where": where.replace(tmp.name, "plan.toml"), "message": message.replace(tmp.name, "plan.toml")}

    try:
        plan = read_plan_file(tmp)
    except InputValidationError as err:
        return "", "toml", [_issue(getattr(i, "key", ""), getattr(i, "message", str(i))) for i in err.issues]
    study = plan.data.get("study", {}).get("id") if isinstance(plan.data.get("study"), dict) else None
    issues = [_issue("plan", m) for m in paths_outside(plan.data, root)]
    if not isinstance(study, str) or not _STUDY_ID.fullmatch(study):
        issues.append(_issue("[study] id", f"found {study!r}; expected a study id of letters, digits, _ - and ."))
        study = ""
    checked_by = "toml"
    if importlib.util.find_spec("landcarbon.workflow.study_plan") is not None and not issues:
        from ..workflow import study_plan

        load = getattr(study_plan, "load_study", None)
        if load is not None:
            checked_by = "landcarbon.workflow.study_plan.load_study"
            try:
                sp = load(tmp)
            except InputValidationError as err:
                issues += [_issue(getattr(i, "key", ""), getattr(i, "message", str(i))) for i in err.issues]
            except (OSError, ValueError) as err:  # a missing file, an unreadable table
                issues.append(_issue("plan", str(err)))
            else:
                for p in _plan_paths(sp):
                    full = p if p.is_absolute() else root / p
                    if not inside(root, full):
                        issues.append(_issue("plan", f"{p} is outside the served folder; give a path inside it"))
    return study, checked_by, issues


async def _read_limited(request: Request, limit: int) -> bytes:
    n = request.headers.get("content-length")
    if n is not None and n.isdigit() and int(n) > limit:
        raise TooLarge(f"the plan is {int(n)} bytes; this server takes plans up to {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the plan is over {limit} bytes; this server takes plans up to {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/api/plans", summary="Upload a study plan (TOML), checked before it is kept", tags=["write"],
             dependencies=Guard, status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/toml": {"schema": {"type": "string"}},
                 "text/plain": {"schema": {"type": "string"}}}}},
             responses={201: {"description": "kept"}, 401: {"description": "no or wrong token"},
                        409: {"description": "the study is running"}, 413: {"description": "too large"},
                        422: {"description": "the plan has problems (all of them listed)"}})
async def upload_plan(request: Request) -> Response:
    s = svc(request)
    root = _root(s)
    data = await _read_limited(request, s.settings.max_upload_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the plan is not UTF-8 text; save it as UTF-8", issues=[]) from None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise Invalid(f"the plan is not valid TOML: {err}", issues=[{"where": "plan.toml", "message": str(err)}]) from None
    tmp = root / f".upload-{uuid.uuid4().hex[:12]}{PLAN_SUFFIX}"

    def _check() -> tuple[str, str, list[dict[str, str]]]:
        root.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        return check_plan(tmp, root)

    try:
        study, checked_by, issues = await run_in_threadpool(_check)
        if issues:
            raise Invalid(f"the plan has {len(issues)} problem(s)", issues=issues, checked_by=checked_by)
        if runs_of(s).active_for(study) is not None:
            raise Conflict(f"study {study!r} is running; cancel its run first or wait for it")
        final = root / f"{study}{PLAN_SUFFIX}"
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("plan uploaded", extra={"study": study, "bytes": len(data), "checked_by": checked_by})
    return _json({"plan": study, "study": study, "file": final.name, "bytes": len(data), "checked_by": checked_by,
                  "issues": []}, headers={"location": f"/api/plans/{study}"}, status=201)


def _plan_file(s: Service, plan: str) -> Path:
    if not _STUDY_ID.fullmatch(plan):
        raise NotFound(f"no plan {plan!r}")
    f = _root(s) / f"{plan}{PLAN_SUFFIX}"
    if not f.is_file():
        raise NotFound(f"no plan {plan!r}; upload it with POST /api/plans")
    return f


@router.get("/api/plans", summary="Uploaded plans", tags=["write"], dependencies=Guard)
async def list_plans(request: Request) -> Response:
    root = _root(svc(request))
    files = sorted(root.glob(f"*{PLAN_SUFFIX}")) if root.is_dir() else []
    return _json([{"plan": f.name[:-len(PLAN_SUFFIX)], "file": f.name, "bytes": f.stat().st_size}
                  for f in files if not f.name.startswith(".")], headers={"cache-control": "no-store"})


@router.get("/api/plans/{plan}", summary="The text of an uploaded plan", tags=["write"], dependencies=Guard)
async def get_plan(request: Request, plan: Annotated[str, PathParam(max_length=200)]) -> Response:
    f = _plan_file(svc(request), plan)
    return Response(f.read_bytes(), media_type="application/toml", headers={"cache-control": "no-store"})


@router.delete("/api/plans/{plan}", summary="Delete an uploaded plan", tags=["write"], dependencies=Guard)
async def delete_plan(request: Request, plan: Annotated[str, PathParam(max_length=200)]) -> Response:
    s = svc(request)
    f = _plan_file(s, plan)
    if runs_of(s).active_for(plan) is not None:
        raise Conflict(f"study {plan!r} is running; cancel its run first")
    f.unlink()
    return _json({"plan": plan, "deleted": True})


# ------------------------------------------------------------------------------------------------------
# runs


class RunRequest(BaseModel):
    plan: str = Field(max_length=200, description="an uploaded plan (its study id)")


def _runner_missing(argv: list[str]) -> str | None:
    joined = " ".join(argv)
    if "landcarbon.cli.main run" in joined or joined.startswith("landcarbon run"):
        if importlib.util.find_spec("landcarbon.workflow.study") is None:
            return "the study runner (landcarbon run) is not installed in this version; runs cannot start"
    return None


def _public(state: dict[str, Any], s: Service, *, detail: bool) -> dict[str, Any]:
    out = {k: state.get(k) for k in ("id", "study", "plan", "status", "created", "started", "finished",
                                     "returncode", "message")}
    try:
        out["progress"] = progress(s.catalog.steps(str(state.get("study"))))
    except Exception:  # the study is not in the catalog yet
        out["progress"] = progress(_empty_steps())
    if detail:
        out["log"] = runs_of(s).tail(str(state["id"]), 20)
    return out


def _empty_steps() -> Any:
    import pandas as pd

    return pd.DataFrame({"step": [], "status": []})


@router.post("/api/runs", summary="Start a run of an uploaded plan in the background", tags=["write"],
             dependencies=Guard, status_code=202,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": RunRequest.model_json_schema()}}}},
             responses={202: {"description": "started; poll /api/runs/{id}"}, 409: {"description": "already running"},
                        503: {"description": "no study runner"}})
async def start_run(request: Request) -> Response:
    s = svc(request)
    root = _root(s)
    raw = await _read_limited(request, 4096)
    try:
        body = RunRequest.model_validate_json(raw)
    except ValueError as err:
        raise Invalid('expected a JSON body {"plan": "<study id>"}', issues=[{"where": "body", "message": str(err)[:300]}]) from None
    plan = _plan_file(s, body.plan)
    runs = runs_of(s)
    if runs.active_for(body.plan) is not None:
        raise Conflict(f"study {body.plan!r} is already running")
    argv = s.settings.run_argv(plan=str(plan), out=str(root / body.plan), catalog=s.settings.catalog,
                               study=body.plan, root=str(root))
    missing = _runner_missing(argv)
    if missing:
        raise Unavailable(missing)
    state = await run_in_threadpool(runs.start, study=body.plan, plan=plan, argv=argv)
    out = await run_in_threadpool(_public, state, s, detail=False)
    return _json(out, headers={"location": f"/api/runs/{state['id']}", "cache-control": "no-store"}, status=202)


@router.get("/api/runs", summary="Runs started from the API, newest first, with progress", tags=["runs"])
async def list_runs(request: Request) -> Response:
    s = svc(request)
    if s.root is None:
        return _json([], headers={"cache-control": "no-store"})
    runs = runs_of(s)
    states = await run_in_threadpool(runs.all)
    out = await run_in_threadpool(lambda: [_public(st, s, detail=False) for st in states[:50]])
    return _json(out, headers={"cache-control": "no-store"})


def _bearer_ok(request: Request, s: Service) -> bool:
    h = request.headers.get("authorization", "")
    scheme, _, tok = h.partition(" ")
    return scheme.lower() == "bearer" and s.token_ok(tok.strip())


@router.get("/api/runs/{run}", summary="One run: status, step progress (and its log tail, with the token)",
            tags=["runs"], responses={404: {"description": "unknown run"}})
async def get_run(request: Request, run: RunId) -> Response:
    s = svc(request)
    if s.root is None:
        raise NotFound(f"no run {run!r}")
    state = await run_in_threadpool(runs_of(s).get, run)
    if state is None:
        raise NotFound(f"no run {run!r}; see /api/runs")
    out = await run_in_threadpool(_public, state, s, detail=_bearer_ok(request, s))
    return _json(out, headers={"cache-control": "no-store"})


@router.post("/api/runs/{run}/cancel", summary="Cancel a run (SIGTERM to the runner, SIGKILL after 10 s)",
             tags=["write"], dependencies=Guard, status_code=202)
async def cancel_run(request: Request, run: RunId) -> Response:
    s = svc(request)
    state = await run_in_threadpool(runs_of(s).cancel, run)
    if state is None:
        raise NotFound(f"no run {run!r}; see /api/runs")
    return _json(await run_in_threadpool(_public, state, s, detail=True), headers={"cache-control": "no-store"},
                 status=202)


@router.delete("/api/runs/{run}", summary="Forget a finished run (its record and log)", tags=["write"],
               dependencies=Guard)
async def delete_run(request: Request, run: RunId) -> Response:
    s = svc(request)
    runs = runs_of(s)
    state = runs.get(run)
    if state is None:
        raise NotFound(f"no run {run!r}; see /api/runs")
    if state.get("status") in ACTIVE:
        raise Conflict(f"run {run!r} is {state['status']}; cancel it first")
    runs.delete(run)
    return _json({"run": run, "deleted": True})


@router.delete("/api/studies/{study}", summary="Delete a study from the catalog (and the folder a run of this "
               "server made for it)", tags=["write"], dependencies=Guard)
async def delete_study(request: Request, study: StudyId) -> Response:
    s = svc(request)
    await _known(s, study)
    if s.root is not None and runs_of(s).active_for(study) is not None:
        raise Conflict(f"study {study!r} is running; cancel its run first")
    deleted = await run_in_threadpool(s.catalog.delete_study, study)
    removed = False
    root = s.root
    if root is not None and _STUDY_ID.fullmatch(study):
        folder = root / study
        if (folder / MARKER).is_file() and inside(root, folder) and folder.resolve() != root.resolve():
            await run_in_threadpool(shutil.rmtree, folder)
            removed = True
    s.responses.clear()
    s.memo.clear()
    log.info("study deleted", extra={"study": study, "folder_removed": removed})
    return _json({"study": study, "deleted": bool(deleted), "folder_removed": removed})


__all__ = ["check_plan", "paths_outside", "require_token", "router", "runs_of"]
