"""Bounded load test of `landcarbon serve` on loopback (issue 11): indicator queries and map tiles.

Starts `landcarbon serve` on 127.0.0.1 over the sample study (landcarbon.web.sample, built under /tmp)
or over --catalog, then runs --clients concurrent keep-alive HTTP/1.1
clients for --duration seconds (default 30 s, 50 clients), each picking an indicator query (varied
zone / year / scenario / indicator / page filters) or, with probability --tile-share, a tile of one of the
study's raster layers at zoom 12-14. A first pass requests every URL once (renders every tile; its
latencies are reported as first_requests) before the measured run. It stops by itself, stops the server, and prints throughput and
p50 / p90 / p99 / max latency per kind as JSON. Only 127.0.0.1 is ever contacted.

    .venv/bin/python benchmarks/web_load.py [--duration 30] [--clients 50] [--workers 1] [--no-cache]

The client is a small asyncio HTTP/1.1 client in this file (no library overhead), so most of the CPU
the machine has goes to the server; both run on the same machine, which the figures include.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - loopback only
        return json.loads(r.read())


def _urls(base: str, study: str, rng: random.Random) -> tuple[list[str], list[str]]:
    """Indicator query paths and tile paths of the study."""
    zones = [""] + [z["zone"] for z in _get_json(f"{base}/api/studies/{study}/zones?geometry=false")]
    years = [y["year"] for y in _get_json(f"{base}/api/studies/{study}/years")]
    scen = [s["scenario"] for s in _get_json(f"{base}/api/studies/{study}/scenarios")]
    defs = [d["indicator"] for d in _get_json(f"{base}/api/studies/{study}/indicator-definitions")]
    ind = []
    for zone in zones:
        for year in years:
            for sc in scen:
                for i in (*defs, None):
                    q = f"zone={zone}&year={year}&scenario={sc}&scenario=" + (f"&indicator={i}" if i else "")
                    ind.append(f"/api/studies/{study}/indicators?{q}")
        ind.append(f"/api/studies/{study}/indicators?zone={zone}&limit=20&offset={rng.randrange(0, 40)}")
        ind.append(f"/api/studies/{study}/indicators?zone={zone}&status=breached")
    tiles = []
    for la in _get_json(f"{base}/api/studies/{study}/layers"):
        w, s, e, n = la["bounds"]
        for z in (12, 13, 14):
            x0, y0 = _tile_of(w, n, z)
            x1, y1 = _tile_of(e, s, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    tiles.append(la["tiles"].format(z=z, x=x, y=y).replace(base, ""))
    return ind, tiles


class Stats:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = {"indicators": [], "tiles": []}
        self.errors: dict[str, int] = {"indicators": 0, "tiles": 0}
        self.bytes = 0


async def _client(port: int, ind: list[str], tiles: list[str], share: float, until: float, stats: Stats | None,
                  rng: random.Random) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < until:
            kind = "tiles" if tiles and rng.random() < share else "indicators"
            path = rng.choice(tiles if kind == "tiles" else ind)
            t0 = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            dt = time.perf_counter() - t0
            if stats is not None:
                stats.lat[kind].append(dt)
                stats.bytes += len(body) + len(head)
                if status != 200:
                    stats.errors[kind] += 1
    finally:
        writer.close()


async def _walk(port: int, paths: list[str], clients: int) -> dict[str, list[float]]:
    """Every path once (the warm-up: renders every tile, fills the response cache); latencies by kind."""
    queue = list(paths)
    lat: dict[str, list[float]] = {"indicators": [], "tiles": []}

    async def one() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while queue:
                path = queue.pop()
                t0 = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(ln[15:]) for ln in head.split(b"\r\n") if ln[:15].lower() == b"content-length:"), 0)
                await reader.readexactly(length)
                lat["tiles" if "/tiles/" in path else "indicators"].append(time.perf_counter() - t0)
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return lat


async def _run(port: int, ind: list[str], tiles: list[str], clients: int, seconds: float, share: float,
               stats: Stats | None, seed: int) -> float:
    t0 = time.perf_counter()
    until = t0 + seconds
    await asyncio.gather(*(_client(port, ind, tiles, share, until, stats, random.Random(seed + i))
                           for i in range(clients)))
    return time.perf_counter() - t0


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(math.ceil(p / 100 * len(s))) - 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", help="catalog to serve (default: the sample study, built under /tmp)")
    ap.add_argument("--root", help="study folders (with --catalog)")
    ap.add_argument("--study", default="county")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--no-warmup", action="store_true", help="measure from a cold server (no first pass)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--tile-share", type=float, default=0.2, help="share of requests that are tiles")
    ap.add_argument("--no-cache", action="store_true", help="serve without the response cache (every indicator "
                    "query goes to the catalog)")
    ap.add_argument("--log-level", default="warning", help="server log level (info logs every request)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", help="also write the JSON here")
    a = ap.parse_args(argv)
    if a.duration > 120 or a.clients > 500:
        ap.error("keep it bounded: --duration ≤ 120 s and --clients ≤ 500")

    catalog, root = a.catalog, a.root
    if catalog is None:
        from landcarbon.web.sample import build_sample

        catalog = str(build_sample(Path(tempfile.mkdtemp(prefix="lc_web_load_"))))
    port = _free_port()
    base = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "landcarbon.cli.main", "serve", "--catalog", catalog, "--host", HOST, "--port",
           str(port), "--workers", str(a.workers), "--log-level", a.log_level]
    if root:
        cmd += ["--root", root]
    if a.no_cache:
        cmd += ["--cache-entries", "0"]
    server = subprocess.Popen(cmd, stderr=open(os.environ.get("LC_WEB_LOAD_LOG", os.devnull), "w"), stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get_json(f"{base}/ready")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)
        rng = random.Random(a.seed)
        ind, tiles = _urls(base, a.study, rng)
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        cold = {}
        if not a.no_warmup:  # every URL once (every tile rendered, response cache filled), not counted
            t0 = time.perf_counter()
            walk = list(ind) + (list(tiles) if a.tile_share > 0 else [])
            random.Random(a.seed).shuffle(walk)
            lat = asyncio.run(_walk(port, walk, 4))
            cold = {"warmup_s": round(time.perf_counter() - t0, 1), **{
                f"{k}_first_p50_ms": round(_pct(v, 50) * 1000, 1) for k, v in lat.items()}, **{
                f"{k}_first_p99_ms": round(_pct(v, 99) * 1000, 1) for k, v in lat.items()}}
        stats = Stats()
        load_before = os.getloadavg()
        wall = asyncio.run(_run(port, ind, tiles, a.clients, a.duration, a.tile_share, stats, a.seed + 1000))
        out = {"duration_s": round(wall, 2), "clients": a.clients, "workers": a.workers,
               "cache": not a.no_cache, "log_level": a.log_level, "cpus": os.cpu_count(),
               "loadavg_before": [round(x, 2) for x in load_before],
               "loadavg_after": [round(x, 2) for x in os.getloadavg()],
               "distinct_urls": {"indicators": len(ind), "tiles": len(tiles)}, "first_requests": cold,
               "mb_received": round(stats.bytes / 1e6, 1)}
        for kind, xs in stats.lat.items():
            out[kind] = {"requests": len(xs), "per_s": round(len(xs) / wall, 1), "errors": stats.errors[kind],
                         "p50_ms": round(_pct(xs, 50) * 1000, 2), "p90_ms": round(_pct(xs, 90) * 1000, 2),
                         "p99_ms": round(_pct(xs, 99) * 1000, 2), "max_ms": round(max(xs, default=float("nan")) * 1000, 2)}
        out["total_per_s"] = round(sum(len(x) for x in stats.lat.values()) / wall, 1)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    text = json.dumps(out, indent=2)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")
    errors = sum(stats.errors.values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
