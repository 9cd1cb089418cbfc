"""The results catalog on both backends: one test body, run on SQLite and on a real PostgreSQL server.

PostgreSQL: ``LANDCARBON_PG_URL`` (postgresql://USER@HOST:PORT/DB) when set, each test in its own
schema of that database (dropped at the end). Otherwise this module starts a throw-away cluster from
Debian's ``postgresql`` binaries (/usr/lib/postgresql/*/bin) in a temporary folder, on a free port of
127.0.0.1 and a unix socket in that folder, as the ``postgres`` user when run as root (the server
refuses root), and removes it at the end. Only the PostgreSQL cases are skipped, with the reason,
when no binaries exist. The SQLite cases always run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.io.catalog import OBSERVED, REGION, Catalog, CatalogError

# --------------------------------------------------------------------------------------------------
# a throw-away PostgreSQL cluster


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Cluster:
    """initdb + pg_ctl start in a temp folder; ``stop()`` removes everything."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="landcarbon-pg-"))
        self.data = self.tmp / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.tmp, ignore_errors=True)
                pytest.skip("running as root and there is no 'postgres' user to run the PostgreSQL server as")
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            self.as_user = (["runuser", "-u", "postgres", "--"] if shutil.which("runuser")
                            else ["su", "postgres", "-s", "/bin/sh", "-c"])

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.as_user[:1] == ["su"]:
            import shlex

            cmd = [*self.as_user, shlex.join(cmd)]
        else:
            cmd = [*self.as_user, *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=self.tmp)
        if r.returncode != 0:
            log = (self.tmp / "log").read_text(errors="replace") if (self.tmp / "log").exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}\n{log}")
        return r

    def start(self) -> str:
        self._run(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        opts = (f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off")
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.tmp / "log", "-w", "-t", "30",
                  "start")
        self._run(self.bindir / "createdb", "-h", self.tmp, "-p", str(self.port), "-U", "postgres", "landcarbon")
        return f"postgresql://postgres@127.0.0.1:{self.port}/landcarbon"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    url = os.environ.get("LANDCARBON_PG_URL")
    if url:
        yield url
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install Debian's 'postgresql' "
                    "package, as .ci/run does, or set LANDCARBON_PG_URL)")
    cluster = _Cluster(bindir)
    try:
        t0 = time.perf_counter()
        url = cluster.start()
        print(f"\nthrow-away PostgreSQL cluster on port {cluster.port} in {time.perf_counter() - t0:.1f} s")
        yield url
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


def _open(backend: str, request, tmp_path: Path) -> Catalog:
    if backend == "sqlite":
        cat = Catalog.open(tmp_path / "catalog.sqlite", create=True)
        request.addfinalizer(cat.close)
        return cat
    url = request.getfixturevalue("pg_url")
    schema = "t_" + uuid.uuid4().hex[:12]
    cat = Catalog.open(url, schema=schema, create=True)

    def _drop() -> None:
        import sqlalchemy as sa

        with cat._engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        cat.close()

    request.addfinalizer(_drop)
    return cat


@pytest.fixture
def catalog(backend, request, tmp_path) -> Catalog:
    return _open(backend, request, tmp_path)


# --------------------------------------------------------------------------------------------------
# hand-made rows: a two-district study, observed 2020, scenarios natural / eco to 2035

CREATED = "2026-01-02T03:04:05+00:00"


def _variables() -> pd.DataFrame:
    rows = []
    for zone, forest in (("420102", 120.5), ("420103", 80.25), (REGION, 200.75)):
        rows.append((OBSERVED, 2020, zone, "area_forest_ha", forest, "ha"))
        rows.append(("natural", 2035, zone, "area_forest_ha", forest - 10, "ha"))
        rows.append(("eco", 2035, zone, "area_forest_ha", forest + 5, "ha"))
        rows.append((OBSERVED, 2020, zone, "stock_MgC", forest * 100.0, "Mg C"))
    return pd.DataFrame(rows, columns=["scenario", "year", "zone", "variable", "value", "unit"])


def _indicators() -> pd.DataFrame:
    rows = []
    for zone, fc in (("420102", 30.0), ("420103", 20.0), (REGION, 25.0)):
        for scenario, year, v, kind in ((OBSERVED, 2010, fc - 2, "observed"), (OBSERVED, 2015, fc - 1, "observed"),
                                        (OBSERVED, 2020, fc, "observed"), ("natural", 2035, fc - 3, "projected"),
                                        ("eco", 2035, fc + 2, "projected")):
            status = "met" if v >= 24 else ("warning" if v >= 24 * 0.95 else "breached")
            rows.append({"scenario": scenario, "year": year, "zone": zone, "indicator": "FC", "value": v,
                         "unit": "%", "direction": "higher", "target": 24.0, "warning": 0.05, "status": status,
                         "trend": False, "kind": kind, "p_met": 0.75 if kind == "projected" else None})
        rows.append({"scenario": OBSERVED, "year": 2020, "zone": zone, "indicator": "RE", "value": 0.0,
                     "unit": "ha", "direction": "zero", "target": 0.0, "status": "met", "kind": "observed"})
    df = pd.DataFrame(rows)
    df.loc[(df.zone == "420103") & (df.year == 2020) & (df.indicator == "FC"), ["status", "trend", "trend_year"]] = \
        ["warning", True, 2031]
    return df


def _record_all(cat: Catalog) -> None:
    with cat.transaction():
        cat.record_study("wuhan", name="武汉市双碳国土空间规划", region="武汉市", plan_hash="ab" * 32,
                         software_version="0.1.0", language="zh", created=CREATED)
        cat.record_scenarios("wuhan", pd.DataFrame({"scenario": ["natural", "eco"], "name": ["自然发展", "生态保护"],
                                                    "name_en": ["natural trend", "ecological protection"],
                                                    "method": ["markov", "markov"]}))
        cat.record_years("wuhan", [{"year": 2020, "kind": "observed", "is_base": True},
                                   {"year": 2010, "kind": "observed"}, {"year": 2035, "kind": "target"}])
        cat.record_zones("wuhan", pd.DataFrame({
            "zone": ["420102", "420103", REGION], "name": ["江岸区", "江汉区", "武汉市"],
            "name_en": ["Jiang'an", "Jianghan", "Wuhan"], "area_ha": [8000.5, 2800.0, 10800.5],
            "geometry": ['{"type":"Point","coordinates":[114.3,30.6]}', None, None]}))
        cat.record_step("wuhan", "stock/observed/2020", model="carbon_stock", model_version="1", year=2020,
                        status="done", cache_key="c" * 64, out_dir="steps/stock/observed/2020",
                        started="2026-01-02T03:04:06+00:00", finished="2026-01-02T03:04:08+00:00", seconds=2.0)
        cat.record_step("wuhan", "indicators", model="indicators", model_version="1", status="done")
        cat.record_variables("wuhan", _variables(), source_step="stock/observed/2020")
        cat.record_indicators("wuhan", _indicators(), source_step="indicators")
        cat.record_outputs("wuhan", "stock/observed/2020", pd.DataFrame({
            "path": ["steps/stock/observed/2020/stock_by_zone.csv", "steps/stock/observed/2020/c_storage.tif"],
            "kind": ["table", "raster"], "units": ["Mg C", "Mg C/ha"], "sha256": ["1" * 64, "2" * 64],
            "bytes": [1234, 5_000_000_000]}))


# --------------------------------------------------------------------------------------------------
# the body, on both backends


def test_round_trip(catalog):
    _record_all(catalog)
    st = catalog.studies()
    assert st.to_dict("records") == [{"study": "wuhan", "name": "武汉市双碳国土空间规划", "region": "武汉市",
                                      "plan_hash": "ab" * 32, "software_version": "0.1.0", "language": "zh",
                                      "created": CREATED}]
    assert catalog.scenarios("wuhan")["scenario"].tolist() == ["eco", "natural"]       # byte order
    y = catalog.years("wuhan")
    assert y["year"].tolist() == [2010, 2020, 2035] and y["is_base"].tolist() == [False, True, False]
    z = catalog.zones("wuhan")
    assert z["zone"].tolist() == [REGION, "420102", "420103"] and "geometry" not in z
    assert catalog.zones("wuhan", geometry=True)["geometry"].tolist()[1] == \
        '{"type":"Point","coordinates":[114.3,30.6]}'
    s = catalog.steps("wuhan")
    assert s["step"].tolist() == ["indicators", "stock/observed/2020"]
    assert s.loc[1, "seconds"] == 2.0 and s.loc[1, "year"] == 2020 and pd.isna(s.loc[0, "year"])
    v = catalog.variables("wuhan")
    assert len(v) == 12 and v["value"].dtype == np.float64
    assert v.loc[1].to_dict() == {"study": "wuhan", "scenario": "", "year": 2020, "zone": "420102",
                                  "variable": "area_forest_ha", "value": 120.5, "unit": "ha",
                                  "source_step": "stock/observed/2020"}
    ind = catalog.indicators("wuhan")
    assert len(ind) == 18
    w = ind[(ind.zone == "420103") & (ind.year == 2020) & (ind.indicator == "FC")].iloc[0]
    assert (w.status, bool(w.trend), int(w.trend_year), w.kind) == ("warning", True, 2031, "observed")
    o = catalog.outputs("wuhan")
    assert o["bytes"].tolist() == [5_000_000_000, 1234]          # BIGINT, ordered by path
    assert o["step"].unique().tolist() == ["stock/observed/2020"]


def test_idempotent_re_record(catalog):
    _record_all(catalog)
    first = catalog.tables("wuhan")
    _record_all(catalog)                                         # the same rows again: no duplicates
    again = catalog.tables("wuhan")
    for name, df in first.items():
        pd.testing.assert_frame_equal(df, again[name], obj=name)
    # an update changes the row in place
    catalog.record_variables("wuhan", pd.DataFrame({"zone": ["420102"], "year": [2020], "variable": ["stock_MgC"],
                                                    "value": [1.5], "unit": ["Mg C"]}), source_step="fix")
    v = catalog.variables("wuhan", zone="420102", variable="stock_MgC")
    assert v[["value", "source_step"]].values.tolist() == [[1.5, "fix"]]
    # re-recording a study keeps its first created time unless one is given
    catalog.record_study("wuhan", name="renamed")
    assert catalog.studies()[["name", "created"]].values.tolist() == [["renamed", CREATED]]


def test_filters_and_pagination(catalog):
    _record_all(catalog)
    q = catalog.indicators("wuhan", zone="420102", indicator="FC")
    assert q[["scenario", "year"]].values.tolist() == [["", 2010], ["", 2015], ["", 2020], ["eco", 2035],
                                                     ["natural", 2035]]
    assert catalog.indicators("wuhan", year=2035, scenario="eco")["zone"].tolist() == [REGION, "420102", "420103"]
    assert len(catalog.indicators("wuhan", zone=["420102", "420103"], year=[2010, 2020])) == 4 + 2
    assert catalog.indicators("wuhan", status="breached")["zone"].tolist() == ["420103"] * 3 + [REGION, "420103"]
    assert catalog.indicators("wuhan", indicator="RE", kind="observed")["value"].tolist() == [0.0] * 3
    # pages cover the rows exactly once, in order
    full = catalog.indicators("wuhan")
    assert catalog.count_indicators("wuhan") == len(full) == 18
    pages = [catalog.indicators("wuhan", limit=5, offset=o) for o in range(0, 20, 5)]
    assert [len(p) for p in pages] == [5, 5, 5, 3]
    pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), full)
    assert catalog.indicators("wuhan", limit=5, offset=100).empty
    assert catalog.count_indicators("wuhan", scenario=OBSERVED, indicator="FC") == 9
    assert catalog.count_variables("wuhan", variable="stock_MgC") == 3
    assert catalog.variables("wuhan", variable="area_forest_ha", scenario="natural", limit=1)["zone"].tolist() \
        == [REGION]
    with pytest.raises(InputValidationError, match="limit"):
        catalog.indicators("wuhan", limit=-1)


def test_series(catalog):
    _record_all(catalog)
    s = catalog.series("wuhan", "FC", zone="420102", scenario="eco")
    assert s[["scenario", "year", "value"]].values.tolist() == [["", 2010, 28.0], ["", 2015, 29.0],
                                                               ["", 2020, 30.0], ["eco", 2035, 32.0]]
    assert s["p_met"].isna().tolist() == [True, True, True, False]
    s = catalog.series("wuhan", "FC", scenario="natural", include_observed=False)
    assert s[["scenario", "year", "value"]].values.tolist() == [["natural", 2035, 22.0]]
    assert len(catalog.series("wuhan", "FC")) == 5                 # observed + both scenarios, region
    v = catalog.series("wuhan", variable="area_forest_ha", zone="420103")
    assert v[["scenario", "year", "value"]].values.tolist() == [["", 2020, 80.25], ["eco", 2035, 85.25],
                                                               ["natural", 2035, 70.25]]


def test_deletion(catalog):
    _record_all(catalog)
    catalog.record_study("other", created=CREATED)
    catalog.record_variables("other", _variables().head(2))
    assert catalog.clear_step("wuhan", "stock/observed/2020") == 12 + 2   # its variables and outputs
    assert catalog.variables("wuhan").empty and catalog.outputs("wuhan").empty
    assert len(catalog.indicators("wuhan")) == 18
    assert catalog.delete_study("wuhan") is True
    assert catalog.delete_study("wuhan") is False
    assert catalog.studies()["study"].tolist() == ["other"]
    for name, df in catalog.tables("wuhan").items():
        assert df.empty, name
    assert len(catalog.variables("other")) == 2


def test_half_recorded_step_never_shows(catalog):
    _record_all(catalog)
    before = catalog.tables("wuhan")
    with pytest.raises(RuntimeError, match="killed"):
        with catalog.transaction():
            catalog.record_step("wuhan", "stock/eco/2035", model="carbon_stock", status="done")
            catalog.record_variables("wuhan", pd.DataFrame({"scenario": ["eco"], "zone": ["420102"], "year": [2035],
                                                            "variable": ["stock_MgC"], "value": [1.0],
                                                            "unit": ["Mg C"]}))
            assert len(catalog.steps("wuhan")) == 3                 # visible inside the transaction
            raise RuntimeError("killed mid-step")
    after = catalog.tables("wuhan")
    for name, df in before.items():
        pd.testing.assert_frame_equal(df, after[name], obj=name)
    # a bad row in a batch records nothing of it
    bad = _variables().assign(scenario="late")
    bad["value"] = bad["value"].astype(object)
    bad.loc[3, "value"] = "many"
    with pytest.raises(InputValidationError, match="value"):
        catalog.record_variables("wuhan", bad)
    assert catalog.variables("wuhan", scenario="late").empty


def test_refusals(catalog):
    with pytest.raises(CatalogError, match="record_study"):
        catalog.record_variables("nope", _variables())
    catalog.record_study("wuhan", created=CREATED)
    with pytest.raises(InputValidationError, match="missing columns"):
        catalog.record_variables("wuhan", _variables().drop(columns="unit"))
    with pytest.raises(InputValidationError, match="more than once"):
        catalog.record_variables("wuhan", pd.concat([_variables(), _variables().head(1)]))
    with pytest.raises(InputValidationError, match="unknown columns"):
        catalog.record_variables("wuhan", _variables().assign(colour="red"))
    with pytest.raises(InputValidationError, match="status"):
        catalog.record_indicators("wuhan", _indicators().assign(status="fine"))
    with pytest.raises(InputValidationError, match="p_met"):
        catalog.record_indicators("wuhan", _indicators().assign(p_met=1.5))
    with pytest.raises(InputValidationError, match="relative"):
        catalog.record_outputs("wuhan", "s", [{"path": "/etc/passwd"}])
    with pytest.raises(InputValidationError, match="key columns"):
        catalog.record_variables("wuhan", _variables().assign(zone=None))


def test_outputs_hashed_from_the_run_folder(catalog, tmp_path):
    catalog.record_study("wuhan", created=CREATED)
    f = tmp_path / "run" / "steps" / "a.csv"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"zone,value\n1,2\n")
    catalog.record_outputs("wuhan", "a", [{"path": str(f), "kind": "table"}], root=tmp_path / "run")
    o = catalog.outputs("wuhan").iloc[0]
    import hashlib

    assert (o.path, o.bytes, o.sha256) == ("steps/a.csv", 15, hashlib.sha256(b"zone,value\n1,2\n").hexdigest())


# --------------------------------------------------------------------------------------------------
# PostgreSQL against SQLite: the same rows


def test_sqlite_and_postgresql_hold_the_same_rows(request, tmp_path):
    lite = _open("sqlite", request, tmp_path)
    pg = _open("postgresql", request, tmp_path)
    _record_all(lite)
    lite.copy_study("wuhan", pg)                 # the acceptance path: a run's SQLite catalog onto a server
    a, b = lite.tables("wuhan"), pg.tables("wuhan")
    assert set(a) == set(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert pg.dialect == "postgresql" and "postgresql" in pg.url
    # and the queries agree, page by page
    for kw in ({"zone": "420102"}, {"year": 2035, "limit": 2, "offset": 1}, {"indicator": "RE"}):
        pd.testing.assert_frame_equal(lite.indicators("wuhan", **kw), pg.indicators("wuhan", **kw))
    pd.testing.assert_frame_equal(lite.series("wuhan", "FC", zone="420103"), pg.series("wuhan", "FC", zone="420103"))
