"""The study runner on the synthetic county (issue 9 acceptance): a clean run; SIGKILL in the middle of a
simulation step and a re-run that resumes, with every table byte-identical and every raster value-identical
to the clean run; an edited scenario re-runs only its own steps; the catalog of the study on SQLite and on
PostgreSQL holds the same rows. A reduced plan (three scenarios, one target year) keeps it under a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from landcarbon.cli.main import main
from landcarbon.io.catalog import Catalog

# --------------------------------------------------------------------------------------------------
# a throw-away PostgreSQL cluster (as tests/io/test_catalog_postgres.py), or LANDCARBON_PG_URL


def _pg_bindir() -> Path | None:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def pg_url():
    import pwd
    import socket
    import tempfile

    url = os.environ.get("LANDCARBON_PG_URL")
    if url:
        yield url
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install Debian's 'postgresql', as "
                    ".ci/run does, or set LANDCARBON_PG_URL)")
    tmp = Path(tempfile.mkdtemp(prefix="landcarbon-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*args):
        r = subprocess.run([*as_user, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=tmp)
        assert r.returncode == 0, r.stdout + r.stderr

    data = tmp / "data"
    try:
        run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        run(bindir / "pg_ctl", "-D", data, "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-l", tmp / "log", "-w", "-t", "30", "start")
        run(bindir / "createdb", "-h", tmp, "-p", port, "-U", "postgres", "landcarbon")
        yield f"postgresql://postgres@127.0.0.1:{port}/landcarbon"
    finally:
        if (data / "postmaster.pid").exists():
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


PLAN = """
[study]
id = "small"
name = "small county study"
region = "示例县"

[maps]
2015 = "data/landuse_2015.tif"
2020 = "data/landuse_2020.tif"

[zones]
file = "data/districts.gpkg"
field = "name"

[lines]
eco_redline = "data/eco_redline.tif"
basic_farmland = "data/basic_farmland.tif"
urban_boundary = "data/urban_boundary.tif"

[rules]
planned = "default"

[drivers]
continuous = ["data/dem.tif", "data/dist_road.tif"]
dem = "data/dem.tif"

[tables]
pools = "data/pools.csv"
socioeconomic = "data/socioeconomic.csv"

[calibration]
from = 2015
to = 2020

[years]
base = 2020
targets = [2030]

[seeds]
simulate = 3

[simulate]
sample_rate = 0.2
trees = 8
potential = false

[scenarios.trend]
demand = "markov"
rules = "none"

[scenarios.eco]
demand = "markov"
demand_scenario = "ecological_protection"
demand_rules = [{ from = "*", to = "built_up", change_pct = -60 }]
rules = "planned"

[scenarios.lowc]
demand = "optimize"
rules = "planned"

[scenarios.lowc.optimize]
objectives = ["carbon"]
method = "lp"

[scenarios.lowc.optimize.constraints]
cropland_min_ha = 23000
built_up_min_ha = 6566
max_change = 0.2
water_tolerance = 0.0
bounds = { unused = [98, 98], grassland = [460, 460], forest = [5865, 6300] }

[indicators]
crop_target = { "" = 23000 }

[[indicators.targets]]
indicator = "FC"
target = 15.0

[[indicators.targets]]
indicator = "UB"

[[indicators.targets]]
indicator = "CR"
target = 100.0
"""
SCENARIO_STEPS = ("demand", "simulate", "stock", "variables", "indicators")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, county_data):
    d = tmp_path_factory.mktemp("study")
    (d / "data").symlink_to(Path(county_data["landuse_2010"]).parent)
    (d / "plan.toml").write_text(PLAN, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def clean(folder):
    out = folder / "clean"
    t0 = time.perf_counter()
    main(["run", str(folder / "plan.toml"), "--out", str(out), "--jobs", "2"])
    return out, time.perf_counter() - t0


def _files(root: Path) -> dict[str, Path]:
    skip = {"manifest.json", "summary.json", "study.json"}
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*")
            if p.is_file() and p.name not in skip and ".cache" not in p.parts and p.suffix != ".sqlite"}


def _same_outputs(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert set(fa) == set(fb), sorted(set(fa) ^ set(fb))
    tables = rasters = 0
    for rel, pa in fa.items():
        if pa.suffix == ".csv":
            assert pa.read_bytes() == fb[rel].read_bytes(), rel
            tables += 1
        elif pa.suffix == ".tif":
            with rasterio.open(pa) as x, rasterio.open(fb[rel]) as y:
                assert (x.dtypes, str(x.nodata), x.shape, x.transform, x.crs) == (
                    y.dtypes, str(y.nodata), y.shape, y.transform, y.crs), rel
                np.testing.assert_array_equal(x.read(), y.read(), err_msg=rel)
            rasters += 1
    assert tables > 40 and rasters > 8, (tables, rasters)


def test_clean_run(clean):
    out, seconds = clean
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = [p for p in out.rglob("*") if p.is_file()]
    assert (out / "manifest.json").stat().st_mtime_ns == max(p.stat().st_mtime_ns for p in files)  # written last
    assert {s["status"] for s in man["steps"]} == {"ran"} and len(man["steps"]) >= 18
    ind = pd.read_csv(out / "results" / "indicators.csv", encoding="utf-8-sig", keep_default_na=False)
    assert set(ind["scenario"]) == {"", "trend", "eco", "lowc"}
    assert set(ind.loc[(ind["scenario"] == "") & (ind["indicator"] == "FC"), "year"]) == {2015, 2020}
    assert set(ind.loc[ind["scenario"] != "", "year"]) == {2030}
    ub = ind[(ind["indicator"] == "UB") & (ind["zone"] == "") & (ind["year"] == 2030)].set_index("scenario")
    assert ub.loc["trend", "status"] == "breached" and ub.loc["eco", "status"] == "met"  # the lines bind only eco
    assert seconds < 60, seconds


def test_sigkill_mid_simulation_resumes_identically(folder, clean):
    out = folder / "killed"
    code = "import sys; from landcarbon.cli.main import main; main(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "run", str(folder / "plan.toml"), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_end = time.time() + 120
    killed_in = None
    while time.time() < t_end and proc.poll() is None:
        steps = out / "steps"
        staging = [p.name for p in steps.glob(".simulate__*.staging-*")] if steps.is_dir() else []
        if staging:
            os.kill(proc.pid, signal.SIGKILL)
            killed_in = staging[0]
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert killed_in is not None, "the runner finished before a simulation step could be interrupted"
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()
    done_before = {p.name for p in (out / "steps").iterdir() if (p / "manifest.json").is_file()}
    lines: list[str] = []
    t0 = time.perf_counter()
    from landcarbon.workflow.study import run_study

    summary = run_study(folder / "plan.toml", out=out, jobs=2, echo=lines.append)
    resumed = time.perf_counter() - t0
    sim = killed_in.split(".staging-")[0].lstrip(".").replace("__", "/")
    assert sim in summary["ran"], (sim, summary["ran"])
    assert {s.replace("/", "__") for s in summary["cached"]} == done_before  # finished steps were kept
    assert not list((out / "steps").glob(".*staging*"))
    _same_outputs(clean[0], out)
    print(f"\nkilled in {sim}; resumed in {resumed:.1f} s, {len(summary['ran'])} steps ran, "
          f"{len(summary['cached'])} cached")


def test_edit_one_scenario_reruns_only_its_steps(folder, clean):
    out = folder / "edited"
    shutil.copytree(clean[0], out)
    plan = folder / "plan_edited.toml"
    plan.write_text(PLAN.replace("change_pct = -60", "change_pct = -50"), encoding="utf-8")
    t0 = time.perf_counter()
    from landcarbon.workflow.study import run_study

    summary = run_study(plan, out=out, jobs=2, echo=lambda s: None)
    seconds = time.perf_counter() - t0
    assert sorted(summary["ran"]) == sorted(f"{k}/eco" for k in SCENARIO_STEPS)
    print(f"\nedited scenario eco: {', '.join(summary['ran'])} ran in {seconds:.1f} s; "
          f"{len(summary['cached'])} cached")
    a = pd.read_csv(clean[0] / "results" / "indicators.csv", encoding="utf-8-sig", keep_default_na=False)
    b = pd.read_csv(out / "results" / "indicators.csv", encoding="utf-8-sig", keep_default_na=False)
    pd.testing.assert_frame_equal(a[a["scenario"] != "eco"].reset_index(drop=True),
                                  b[b["scenario"] != "eco"].reset_index(drop=True))


def test_catalog_same_rows_on_sqlite_and_postgresql(folder, clean, pg_url):
    out = clean[0]
    schema = "s_" + uuid.uuid4().hex[:10]
    main(["run", str(folder / "plan.toml"), "--out", str(out), "--catalog", pg_url, "--catalog-schema", schema])
    with Catalog.open(out) as lite, Catalog.open(pg_url, schema=schema) as pg:
        a, b = lite.tables("small"), pg.tables("small")
        assert set(a) == set(b)
        counts = {}
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name], obj=name)
            counts[name] = len(a[name])
        assert counts["indicators"] > 100 and counts["outputs"] > 50 and counts["zones"] == 5
        print(f"\ncatalog rows (SQLite = PostgreSQL): {counts}")
        import sqlalchemy as sa

        with pg._engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
