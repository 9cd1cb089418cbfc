"""The plugin's subprocess runner (qgis/landcarbon_provider/runner.py), without QGIS: lines as they come,
errors collected, cancel kills the process, the spec read once per landcarbon version."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "qgis"))

from landcarbon_provider import runner  # noqa: E402


def _script(tmp_path: Path, body: str) -> str:
    """An executable that runs ``body`` with this Python (stands in for the landcarbon command)."""
    if os.name == "nt":  # pragma: no cover
        pytest.skip("POSIX shebang scripts")
    p = tmp_path / "fake_landcarbon"
    p.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    p.chmod(0o755)
    return str(p)


def test_lines_errors_and_exit_code(tmp_path):
    exe = _script(tmp_path, "print('zones: 4'); sys.stdout.flush()\n"
                            "sys.stderr.write('warning: 12 cells dropped\\nstep 1/4\\nerror: --pools: bad\\n')\n"
                            "sys.exit(2)")
    seen = []
    rc, out, errors = runner.run_streaming(exe, [], on_line=lambda k, t: seen.append((k, t)),
                                           is_canceled=lambda: False, poll=0.01)
    assert rc == 2 and out == ["zones: 4"] and errors == ["--pools: bad"]
    assert ("warning", "12 cells dropped") in seen and ("progress", "step 1/4") in seen
    assert ("stdout", "zones: 4") in seen


def test_cancel_kills_the_process(tmp_path):
    marker = tmp_path / "finished"
    exe = _script(tmp_path, f"time.sleep(30); open({str(marker)!r}, 'w').close()")
    t0 = time.monotonic()
    calls = {"n": 0}

    def canceled() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(runner.Canceled):
        runner.run_streaming(exe, [], on_line=lambda k, t: None, is_canceled=canceled, poll=0.05)
    assert time.monotonic() - t0 < 10
    assert not marker.exists()


def test_spec_read_once_per_version(tmp_path):
    count = tmp_path / "count"
    exe = _script(tmp_path, "if sys.argv[1:] == ['--version']:\n    print('landcarbon, version 9.9'); sys.exit()\n"
                            f"open({str(count)!r}, 'a').write('x')\nprint('{{\"models\": []}}')")
    cache = tmp_path / "cache"
    a = runner.read_spec(exe, cache)
    b = runner.read_spec(exe, cache)
    assert a == b == {"models": [], "landcarbon_version": "9.9"}
    assert count.read_text() == "x"  # the second read came from the cache
    runner.read_spec(exe, cache, refresh=True)
    assert count.read_text() == "xx"


def test_find_executable(tmp_path, monkeypatch):
    exe = _script(tmp_path, "")
    monkeypatch.setenv(runner.ENV_EXECUTABLE, exe)
    assert runner.find_executable(None) == exe
    monkeypatch.delenv(runner.ENV_EXECUTABLE)
    assert runner.find_executable(exe) == exe
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(runner, "_candidates", lambda: [])
    with pytest.raises(runner.LandcarbonNotFound, match="landcarbon qgis install"):
        runner.find_executable(str(tmp_path / "missing"))


def test_clean_env_drops_qgis_python_and_proj(monkeypatch):
    monkeypatch.setenv("PYTHONHOME", "/qgis/apps/Python39")
    monkeypatch.setenv("PROJ_LIB", "/qgis/share/proj")
    env = runner.clean_env()
    assert "PYTHONHOME" not in env and "PROJ_LIB" not in env and env["PYTHONIOENCODING"] == "utf-8"
