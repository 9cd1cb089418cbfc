"""Runs started from the API: the study runner in a background process, its state on disk.

A run is ``<root>/.landcarbon-web/runs/<id>.json`` (written atomically) and its log ``<id>.log``, so
every worker process of the server sees every run, and one may cancel what another started. The
runner is a child process in its own session (its group is what cancel signals); its progress is
the study's ``steps`` rows in the catalog (done, cached, skipped or failed of all). When the server
shuts down it stops the runs its process started (SIGTERM; the runner resumes them on a re-run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..io import atomic_write_text
from . import logs

log = logs.get("landcarbon.web")

STATE_DIR = ".landcarbon-web"
ACTIVE = ("queued", "running", "cancelling")
FINISHED_STEPS = ("done", "cached", "skipped", "failed")
KILL_AFTER_S = 10.0
#: a study folder made by a run of this server (only such folders are removed with their study)
MARKER = ".landcarbon-web-study"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


class Runs:
    """The runs of one served folder."""

    def __init__(self, root: Path):
        self.root = root
        self.dir = root / STATE_DIR / "runs"
        self._mine: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    # ---- state -------------------------------------------------------------------------------------

    def _file(self, run_id: str) -> Path:
        return self.dir / f"{run_id}.json"

    def log_file(self, run_id: str) -> Path:
        return self.dir / f"{run_id}.log"

    def _write(self, state: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self._file(state["id"]), json.dumps(state, ensure_ascii=False, indent=1))

    def get(self, run_id: str) -> dict[str, Any] | None:
        if not run_id.isalnum():
            return None
        try:
            state = json.loads(self._file(run_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("status") in ACTIVE and run_id not in self._mine and not _alive(state.get("pid")):
            # started by a process that is gone, or finished while nobody watched
            state["status"] = "cancelled" if state.get("status") == "cancelling" else "lost"
            state.setdefault("finished", _now())
        return state

    def all(self) -> list[dict[str, Any]]:
        if not self.dir.is_dir():
            return []
        out = [self.get(p.stem) for p in sorted(self.dir.glob("*.json"))]
        return sorted((s for s in out if s), key=lambda s: s.get("created", ""), reverse=True)

    def active_for(self, study: str) -> dict[str, Any] | None:
        return next((s for s in self.all() if s.get("study") == study and s.get("status") in ACTIVE), None)

    # ---- start, watch, cancel ----------------------------------------------------------------------

    def start(self, *, study: str, plan: Path, argv: list[str]) -> dict[str, Any]:
        run_id = uuid.uuid4().hex[:12]
        out = self.root / study
        out.mkdir(parents=True, exist_ok=True)
        marker = out / MARKER
        if not marker.exists():
            atomic_write_text(marker, f"made by a run of landcarbon serve ({run_id})\n")
        state = {"id": run_id, "study": study, "plan": plan.name, "status": "queued", "created": _now(),
                 "started": None, "finished": None, "returncode": None, "pid": None, "out": study,
                 "message": ""}
        self._write(state)
        logf = open(self.log_file(run_id), "ab")  # noqa: SIM115 - handed to the child, closed by the watcher
        try:
            proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=self.root, start_new_session=True)
        except OSError as err:
            logf.close()
            state.update(status="failed", finished=_now(), message=f"cannot start the runner: {err.strerror}")
            self._write(state)
            return state
        with self._lock:
            self._mine[run_id] = proc
        state.update(status="running", started=_now(), pid=proc.pid)
        self._write(state)
        log.info("run started", extra={"run": run_id, "study": study, "pid": proc.pid})
        threading.Thread(target=self._watch, args=(run_id, proc, logf), daemon=True,
                         name=f"run-{run_id}").start()
        return state

    def _watch(self, run_id: str, proc: subprocess.Popen, logf: Any) -> None:
        rc = proc.wait()
        logf.close()
        state = self.get(run_id) or {"id": run_id}
        with self._lock:
            self._mine.pop(run_id, None)
        cancelled = state.get("status") in ("cancelling", "cancelled")
        state.update(status="cancelled" if cancelled else ("done" if rc == 0 else "failed"), returncode=rc,
                     finished=_now())
        if rc != 0 and not cancelled:
            last = self.tail(run_id, 1)
            state["message"] = last[-1][:500] if last else f"exit status {rc}"
        self._write(state)
        log.info("run finished", extra={"run": run_id, "status": state["status"], "returncode": rc})

    def cancel(self, run_id: str, *, reason: str = "cancelled through the API") -> dict[str, Any] | None:
        state = self.get(run_id)
        if state is None or state.get("status") not in ACTIVE:
            return state
        pid = state.get("pid")
        state.update(status="cancelling", message=reason)
        self._write(state)
        if pid and _alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass

            def _kill() -> None:
                deadline = time.monotonic() + KILL_AFTER_S
                while time.monotonic() < deadline:
                    if not _alive(pid):
                        return
                    time.sleep(0.2)
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

            threading.Thread(target=_kill, daemon=True).start()
        if run_id not in self._mine:  # nobody here waits on it: finish the record when it is gone
            def _finish() -> None:
                for _ in range(int(KILL_AFTER_S * 5) + 25):
                    if not _alive(pid):
                        break
                    time.sleep(0.2)
                st = self.get(run_id) or state
                if st.get("status") in ACTIVE or st.get("status") == "lost":
                    st.update(status="cancelled", finished=_now())
                    self._write(st)

            threading.Thread(target=_finish, daemon=True).start()
        return state

    def delete(self, run_id: str) -> bool:
        found = False
        for f in (self._file(run_id), self.log_file(run_id)):
            if f.exists():
                f.unlink()
                found = True
        return found

    def stop_mine(self) -> None:
        """Shutdown: SIGTERM to every run this process started, and wait a little for them."""
        with self._lock:
            mine = dict(self._mine)
        for run_id in mine:
            self.cancel(run_id, reason="the server shut down; run the study again to resume it")
        deadline = time.monotonic() + 5.0
        for proc in mine.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass

    def tail(self, run_id: str, lines: int = 20) -> list[str]:
        f = self.log_file(run_id)
        try:
            with open(f, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 16_384))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [ln for ln in text.splitlines() if ln.strip()][-lines:]


def progress(steps: Any) -> dict[str, Any]:
    """Counts of the study's steps by status and the finished share (None before any step is recorded)."""
    counts = {str(k): int(v) for k, v in steps["status"].value_counts().sort_index().items()} if len(steps) else {}
    total = int(sum(counts.values()))
    finished = int(sum(counts.get(k, 0) for k in FINISHED_STEPS))
    current = [str(s) for s in steps.loc[steps["status"] == "running", "step"]] if len(steps) else []
    return {"steps": counts, "total": total, "finished": finished,
            "fraction": round(finished / total, 4) if total else None, "running": current}


__all__ = ["ACTIVE", "MARKER", "Runs", "progress"]
