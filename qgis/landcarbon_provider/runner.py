"""The installed ``landcarbon`` command, run as a subprocess (QGIS's Python needs none of its dependencies).

Pure Python (no ``qgis`` import). Which command: the ``LANDCARBON_EXECUTABLE`` environment variable,
else the path saved in QGIS's settings (``landcarbon/executable``, written by ``landcarbon qgis
install``), else ``landcarbon`` on PATH, else the usual virtual-environment places.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .specmap import classify_line

ENV_EXECUTABLE = "LANDCARBON_EXECUTABLE"
SETTINGS_KEY = "landcarbon/executable"

#: variables QGIS sets for its own Python, GDAL and PROJ: the landcarbon environment brings its own
#: (a QGIS PROJ_LIB with another proj.db version, or QGIS's PYTHONHOME, breaks rasterio and pyproj)
_QGIS_ONLY_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "GDAL_DATA", "GDAL_DRIVER_PATH", "PROJ_LIB",
                   "PROJ_DATA", "GDAL_FILENAME_IS_UTF8", "QT_PLUGIN_PATH", "O4W_QT_PREFIX", "OSGEO4W_ROOT",
                   "PYTHONUTF8_QGIS")


class LandcarbonNotFound(RuntimeError):
    pass


def _candidates() -> list[Path]:
    home = Path.home()
    exe = "landcarbon.exe" if os.name == "nt" else "landcarbon"
    sub = "Scripts" if os.name == "nt" else "bin"
    return [home / ".venv" / sub / exe, home / "landcarbon" / ".venv" / sub / exe,
            home / ".local" / "bin" / exe]


def find_executable(configured: str | None = None) -> str:
    """The landcarbon command to run (see the module doc); raises :class:`LandcarbonNotFound`."""
    tried = []
    for c in (os.environ.get(ENV_EXECUTABLE), configured):
        if c:
            tried.append(c)
            p = Path(c).expanduser()
            if p.is_dir():  # a virtual environment's folder
                for sub in ("bin/landcarbon", "Scripts/landcarbon.exe"):
                    if (p / sub).is_file():
                        return str(p / sub)
            if p.is_file():
                return str(p)
    w = shutil.which("landcarbon")
    if w:
        return w
    for p in _candidates():
        tried.append(str(p))
        if p.is_file():
            return str(p)
    raise LandcarbonNotFound(
        "the landcarbon command was not found (tried " + ", ".join(tried or ["PATH"]) + "); install landcarbon "
        "and run `landcarbon qgis install`, or set its path in Processing ▸ Options ▸ Providers ▸ landcarbon, "
        f"or set the {ENV_EXECUTABLE} environment variable")


def clean_env() -> dict[str, str]:
    """The environment of the subprocess: QGIS's own Python/GDAL/PROJ variables removed, UTF-8 I/O."""
    env = {k: v for k, v in os.environ.items() if k not in _QGIS_ONLY_VARS}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _popen_kw() -> dict[str, Any]:
    kw: dict[str, Any] = {"env": clean_env(), "stdin": subprocess.DEVNULL}
    if os.name == "nt":  # no console window flashing up from QGIS
        kw["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    return kw


def run_capture(exe: str, args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *args], capture_output=True, timeout=timeout, **_popen_kw())


def version(exe: str) -> str:
    r = run_capture(exe, ["--version"], timeout=120)
    text = r.stdout.decode("utf-8", "replace").strip()
    if r.returncode != 0 or not text:
        raise LandcarbonNotFound(f"{exe} --version failed: {r.stderr.decode('utf-8', 'replace').strip()[-500:]}")
    return text.split()[-1]


def _cache_key(exe: str, ver: str) -> str:
    try:
        st = Path(exe).stat()
        stamp = f"{st.st_mtime_ns}"
    except OSError:
        stamp = ""
    return hashlib.sha1(f"{Path(exe).resolve()}|{ver}|{stamp}".encode()).hexdigest()[:12]


def read_json_command(exe: str, args: list[str], cache_dir: str | os.PathLike | None, name: str,
                      refresh: bool = False) -> dict[str, Any]:
    """The JSON that ``landcarbon ARGS`` prints, cached in ``cache_dir`` per landcarbon version (and
    executable): the specs are read once, not each time QGIS starts."""
    ver = version(exe)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{name}-{ver}-{_cache_key(exe, ver)}.json"
        if path.is_file() and not refresh:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                pass
    r = run_capture(exe, args)
    if r.returncode != 0:
        err = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"`landcarbon {' '.join(args)}` failed: " + (err[-1] if err else f"exit {r.returncode}"))
    doc = json.loads(r.stdout.decode("utf-8"))
    doc.setdefault("landcarbon_version", ver)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
    return doc


def read_spec(exe: str, cache_dir: str | os.PathLike | None = None, refresh: bool = False) -> dict[str, Any]:
    return read_json_command(exe, ["spec", "--json"], cache_dir, "spec", refresh)


def read_styles(exe: str, cache_dir: str | os.PathLike | None = None, schemes: list[str] | None = None,
                refresh: bool = False) -> dict[str, Any]:
    """Class-scheme colours and names, zoning classes and colour ramps (``landcarbon qgis styles``);
    a scheme table given by path is read each time (never cached)."""
    schemes = [s for s in (schemes or []) if s]
    if any(Path(s).suffix for s in schemes):
        args = ["qgis", "styles"] + [a for s in schemes for a in ("--scheme", s)]
        return read_json_command(exe, args, None, "styles")
    return read_json_command(exe, ["qgis", "styles"], cache_dir, "styles", refresh)


class Canceled(Exception):
    pass


def run_streaming(exe: str, argv: list[str], *, on_line: Callable[[str, str], None],
                  is_canceled: Callable[[], bool], poll: float = 0.2,
                  kill_after: float = 5.0) -> tuple[int, list[str], list[str]]:
    """Run ``landcarbon ARGV``; every stderr line goes to ``on_line(kind, text)`` as it comes (kind from
    :func:`classify_line`); a cancel terminates the process (killed after ``kill_after`` s) and raises
    :class:`Canceled`. Returns ``(exit code, stdout lines, error messages)``."""
    proc = subprocess.Popen([exe, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, **_popen_kw())
    out_lines: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    pending: list[tuple[str, str]] = []

    def read_err() -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            for piece in raw.decode("utf-8", "replace").replace("\r", "\n").split("\n"):
                if piece.strip():
                    kind, text = classify_line(piece)
                    with lock:
                        pending.append((kind, text))
                        if kind == "error":
                            errors.append(text)

    def read_out() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with lock:
                out_lines.append(line)
                pending.append(("stdout", line))

    threads = [threading.Thread(target=read_err, daemon=True), threading.Thread(target=read_out, daemon=True)]
    for t in threads:
        t.start()

    def flush() -> None:
        with lock:
            items = pending[:]
            pending.clear()
        for kind, text in items:
            on_line(kind, text)

    try:
        while proc.poll() is None:
            flush()
            if is_canceled():
                proc.terminate()
                t0 = time.monotonic()
                while proc.poll() is None and time.monotonic() - t0 < kill_after:
                    time.sleep(0.05)
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                raise Canceled()
            time.sleep(poll)
        for t in threads:
            t.join(timeout=10)
        flush()
    finally:
        if proc.poll() is None:  # pragma: no cover - an exception in on_line
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return proc.returncode, out_lines, errors


__all__ = ["Canceled", "ENV_EXECUTABLE", "LandcarbonNotFound", "SETTINGS_KEY", "clean_env", "find_executable",
           "read_spec", "read_styles", "run_streaming", "version"]
