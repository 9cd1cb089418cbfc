"""The Wuhan study end to end (issue 9): ``landcarbon run examples/wuhan.toml``.

Measures, each in a fresh child process (wall time and its peak resident set, ``os.wait4``):

1. the clean run (every step);
2. the cached re-run (nothing changed: every step cached);
3. an edited scenario (``--edit``: the low-carbon scenario's built-up bound changed): only its steps run;
4. the catalog of the study recorded into PostgreSQL (``--pg``: LANDCARBON_PG_URL, else a throw-away
   cluster from Debian's postgresql binaries) and compared with the SQLite catalog, table by table.

    nice -n 10 .venv/bin/python benchmarks/study_wuhan.py --out /tmp/lc_wuhan_study --jobs 2 --edit --pg
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "wuhan.toml"


def run(args: list[str]) -> dict:
    """One child run, with its own peak RSS (ru_maxrss of the children is a running maximum, so each
    measurement runs through a fresh intermediate process)."""
    code = ("import json, os, resource, subprocess, sys, time\n"
            "t0 = time.perf_counter()\n"
            "p = subprocess.run([sys.executable, '-c', 'import sys; from landcarbon.cli.main import main; "
            "main(sys.argv[1:])', *sys.argv[1:]], capture_output=True, text=True)\n"
            "w = time.perf_counter() - t0\n"
            "mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(json.dumps({'wall_s': round(w, 1), 'peak_MB': round(mb), 'code': p.returncode, "
            "'tail': (p.stderr + p.stdout)[-2500:], 'stdout': p.stdout[-20000:]}))\n")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def _pg_cluster(tmp: Path) -> tuple[str, callable]:
    import glob
    import pwd
    import socket

    if os.environ.get("LANDCARBON_PG_URL"):
        return os.environ["LANDCARBON_PG_URL"], lambda: None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("no PostgreSQL binaries; install Debian's postgresql or set LANDCARBON_PG_URL")
    bindir = Path(found[-1]).parent
    as_user = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def sh(*a):
        subprocess.run([*as_user, *map(str, a)], check=True, capture_output=True, cwd=tmp)

    data = tmp / "data"
    sh(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
    sh(bindir / "pg_ctl", "-D", data, "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off", "-l",
       tmp / "log", "-w", "start")
    sh(bindir / "createdb", "-h", tmp, "-p", port, "-U", "postgres", "landcarbon")
    return f"postgresql://postgres@127.0.0.1:{port}/landcarbon", lambda: sh(bindir / "pg_ctl", "-D", data, "-m",
                                                                            "immediate", "stop")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/lc_wuhan_study", help="study folder (replaced)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--edit", action="store_true", help="also re-run with the low-carbon scenario edited")
    ap.add_argument("--pg", action="store_true", help="also record into PostgreSQL and compare with SQLite")
    ap.add_argument("--keep", action="store_true", help="keep an existing study folder (measure a resume)")
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.keep:
        shutil.rmtree(out)
    res = {}
    res["clean"] = run(["run", str(PLAN), "--out", str(out), "--jobs", str(a.jobs)])
    print("clean run:" if not a.keep else "run (kept folder):",
          {k: v for k, v in res["clean"].items() if k not in ("tail", "stdout")}, res["clean"]["tail"][-600:])
    res["cached"] = run(["run", str(PLAN), "--out", str(out), "--jobs", str(a.jobs)])
    print("cached re-run:", {k: v for k, v in res["cached"].items() if k not in ("tail", "stdout")})
    if a.edit:
        edited = out.parent / "wuhan_edited.toml"
        text = PLAN.read_text(encoding="utf-8").replace("built_up_max_ha = 77000", "built_up_max_ha = 75000")
        edited.write_text(text.replace("../../shared", os.path.relpath(ROOT.parent / "shared", edited.parent)),
                          encoding="utf-8")
        r = run(["run", str(edited), "--out", str(out), "--jobs", str(a.jobs), "--json"])
        summary = json.loads([ln for ln in r["stdout"].splitlines() if ln.startswith("{")][-1])
        res["edited"] = {**{k: v for k, v in r.items() if k not in ("tail", "stdout")}, "ran": summary["ran"]}
        print("edited low_carbon:", res["edited"])
        res["restore"] = run(["run", str(PLAN), "--out", str(out), "--jobs", str(a.jobs)])
        print("restored:", {k: v for k, v in res["restore"].items() if k not in ("tail", "stdout")})
    if a.pg:
        from landcarbon.io.catalog import Catalog

        tmp = Path(tempfile.mkdtemp(prefix="lc-pg-"))
        url, stop = _pg_cluster(tmp)
        try:
            r = run(["run", str(PLAN), "--out", str(out), "--catalog", url])
            with Catalog.open(out) as lite, Catalog.open(url) as pg:
                ta, tb = lite.tables("wuhan"), pg.tables("wuhan")
                import pandas as pd

                same = {}
                for name in ta:
                    try:
                        pd.testing.assert_frame_equal(ta[name], tb[name])
                        same[name] = len(ta[name])
                    except AssertionError as err:
                        same[name] = f"DIFFERS: {err}"[:200]
            res["postgresql"] = {"wall_s": r["wall_s"], "rows": same}
            print("SQLite vs PostgreSQL:", res["postgresql"])
        finally:
            stop()
            shutil.rmtree(tmp, ignore_errors=True)
    (out.parent / "study_wuhan_benchmark.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
