"""The provider inside real QGIS, headless: ``qgis_process list`` and ``qgis_process run landcarbon:…``.

Needs QGIS (Debian: ``apt-get install qgis python3-qgis qgis-providers``; .ci/run installs it when
absent); skipped with that reason otherwise. The plugin is installed by ``landcarbon qgis install``
into a temporary QGIS profile folder (``QGIS_CUSTOM_CONFIG_PATH``), with this environment's
``landcarbon`` as the command it runs.

On Debian 12 the ``qgis_process`` wrapper script passes ``--noversioncheck``, which QGIS 3.22's
``qgis_process.bin`` rejects ("Command --noversioncheck not known!"), so the binary beside the
wrapper is run when it exists.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "qgis"))

from landcarbon_provider import specmap  # noqa: E402


def _qgis_process() -> str | None:
    w = shutil.which("qgis_process")
    if w and Path(w + ".bin").is_file():
        return w + ".bin"
    return w or shutil.which("qgis_process.bin")


def _qgis_python() -> str | None:
    """A Python that imports qgis (Debian: the system /usr/bin/python3)."""
    for c in ("/usr/bin/python3", shutil.which("python3")):
        if c and subprocess.run([c, "-c", "import qgis.core"], capture_output=True).returncode == 0:
            return c
    return None


QGIS_PROCESS = _qgis_process()
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process not found: install QGIS (Debian: apt-get "
                                "install qgis python3-qgis qgis-providers); .ci/run installs it when absent")
LANDCARBON = str(Path(sys.executable).with_name("landcarbon"))


@pytest.fixture(scope="module")
def qgis(tmp_path_factory):
    """Run qgis_process with the plugin installed in a temporary profile: ``qgis("list")``."""
    from click.testing import CliRunner

    from landcarbon.cli.main import cli

    cfg = tmp_path_factory.mktemp("qgis_config")
    r = CliRunner().invoke(cli, ["qgis", "install", "--profiles-dir", str(cfg / "profiles"), "--executable",
                                 LANDCARBON])
    assert r.exit_code == 0, r.output
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    runtime = cfg / "runtime"
    runtime.mkdir(mode=0o700)
    env.update(QT_QPA_PLATFORM="offscreen", QGIS_CUSTOM_CONFIG_PATH=str(cfg), XDG_RUNTIME_DIR=str(runtime))

    def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=cfg)

    run.env = env  # type: ignore[attr-defined]
    return run


@pytest.fixture(scope="module")
def spec_doc() -> dict:
    r = subprocess.run([LANDCARBON, "spec", "--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _run(qgis, alg: str, params: dict, *, ok: bool = True) -> subprocess.CompletedProcess:
    args = ["run", f"landcarbon:{alg}", "--"]
    for k, v in params.items():
        for x in (v if isinstance(v, list) else [v]):
            args.append(f"{k}={x}")
    r = qgis(*args)
    if ok:
        assert r.returncode == 0, f"qgis_process {alg} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_every_registered_model_has_an_algorithm(qgis, spec_doc):
    r = qgis("list")
    assert r.returncode == 0, r.stderr
    listed = {line.split("\t")[1].split(":", 1)[1] for line in r.stdout.splitlines()
              if line.startswith("\tlandcarbon:")}
    expected = {specmap.algorithm_name(m): m["id"] for m in spec_doc["models"]}
    missing = sorted(mid for name, mid in expected.items() if name not in listed)
    assert not missing, f"registered models without a QGIS algorithm: {missing} (listed: {sorted(listed)})"
    assert len(listed) == len(spec_doc["models"])


def _totals(run: Path) -> list[tuple]:
    s = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return [(m["label"], m["total_MgC"]) for m in s["maps"]]


def test_stock_on_willamette_gives_the_cli_totals(qgis, shared_data, tmp_path):
    from landcarbon.cli.main import main

    d = shared_data / "invest_willamette"
    if not (d / "lulc_current_willamette.tif").is_file():
        pytest.skip(f"InVEST Willamette sample not found at {d}")
    maps = [str(d / "lulc_current_willamette.tif"), str(d / "lulc_future_willamette.tif")]
    pools = str(d / "carbon_pools_willamette.csv")
    with pytest.raises(SystemExit) as e:
        main(["stock", "--landuse", maps[0], "--landuse", maps[1], "--years", "2020", "--years", "2050",
              "--pools", pools, "--out", str(tmp_path / "cli")]) or sys.exit(0)
    assert e.value.code in (0, None)
    r = _run(qgis, "stock", {"landuse": maps, "years": "2020 2050", "pools": pools, "out": tmp_path / "qgis"})
    cli, q = _totals(tmp_path / "cli"), _totals(tmp_path / "qgis")
    assert q == cli and len(q) == 2
    assert (tmp_path / "cli" / "by_class.csv").read_bytes() == (tmp_path / "qgis" / "by_class.csv").read_bytes()
    assert "c_storage_2020.tif" in r.stdout  # the layers output
    qml = (tmp_path / "qgis" / "c_change_2020_2050.qml").read_text(encoding="utf-8")
    assert 'type="singlebandpseudocolor"' in qml and "Mg C/ha" in qml


def test_change_simulate_emissions_run(qgis, county_data, tmp_path):
    import numpy as np
    import pandas as pd
    import rasterio

    c = {k: str(v) for k, v in county_data.items()}
    _run(qgis, "change", {"landuse": [c["landuse_2010"], c["landuse_2020"]], "years": "2010 2020",
                          "zones": c["zones"], "zone_field": "name", "lang": "zh", "sankey": "false",
                          "out": tmp_path / "change"})
    with open(tmp_path / "change" / "class_change.csv", encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) >= 5

    with rasterio.open(c["landuse_2020"]) as src:
        a = src.read(1)
        codes, n = np.unique(a[a != src.nodata], return_counts=True)
    cells = dict(zip(codes.tolist(), n.tolist()))
    cells[5] += 150
    cells[1] -= 150
    pd.DataFrame({"year": 2025, "code": list(cells), "cells": list(cells.values())}).to_csv(tmp_path / "demand.csv",
                                                                                            index=False)
    _run(qgis, "simulate", {"calibrate_from": c["landuse_2010"], "calibrate_to": c["landuse_2015"],
                            "landuse": c["landuse_2020"], "drivers": [c["dem"], c["dist_road"]],
                            "demand": tmp_path / "demand.csv",
                            "lines": f"{c['eco_redline']};urban_boundary={c['urban_boundary_gpkg']}",
                            "seed": 3, "trees": 5, "sample_rate": 0.2, "jobs": 1, "potential": "false",
                            "out": tmp_path / "sim"})
    assert (tmp_path / "sim" / "sim_2025.tif").is_file()
    qml = (tmp_path / "sim" / "sim_2025.qml").read_text(encoding="utf-8")
    assert 'type="paletted"' in qml and 'label="Cropland"' in qml  # national6, the spec's default scheme

    _run(qgis, "emissions", {"landuse": c["landuse_2020"], "year": 2020, "zones": c["zones"], "zone_field": "name",
                             "energy": c["energy"], "grid_factor": 0.58, "out": tmp_path / "em"})
    with open(tmp_path / "em" / "emissions_by_zone.csv", encoding="utf-8-sig") as f:
        zones = {row["zone"] for row in csv.DictReader(f)}
    assert len(zones) == 4


def test_bad_input_is_one_readable_error(qgis, county_data, tmp_path):
    c = county_data
    r = _run(qgis, "stock", {"landuse": c["landuse_2020"], "pools": c["energy"], "out": tmp_path / "bad"}, ok=False)
    text = r.stdout + r.stderr
    assert r.returncode != 0
    assert "Traceback" not in text
    err = [line for line in text.splitlines() if line.startswith("ERROR:")]
    assert len(err) == 1, text[-3000:]
    assert "pools" in err[0] and "error:" not in err[0]
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


def test_dialog_in_chinese(qgis, spec_doc, tmp_path):
    py = _qgis_python()
    if py is None:
        pytest.skip("no Python with the qgis module (Debian: python3-qgis)")
    png = tmp_path / "dialog.png"
    r = subprocess.run([py, str(ROOT / "tests" / "qgis" / "dialog_screenshot.py"), "stock", str(png), "zh_CN"],
                       capture_output=True, text=True, env=qgis.env, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    m = next(m for m in spec_doc["models"] if m["id"] == "carbon_stock")
    assert lines[0] == m["title_zh"]
    for inp in m["inputs"]:
        if inp.get("label_zh"):
            assert any(line.startswith(inp["label_zh"]) for line in lines), inp["name"]
    assert png.stat().st_size > 10_000
