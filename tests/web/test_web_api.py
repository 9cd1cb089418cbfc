"""The read-only API against the sample study: answers equal the catalog's, GeoJSON, CSV with BOM, filters
and pages, ETag / 304 / Cache-Control, JSON errors without traces, malformed filters, tiles in the class
scheme's colours, legends, downloads and path traversal, CORS, health and readiness."""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from landcarbon.io.catalog import Catalog

from .conftest import make_client

S = "/api/studies/county"


@pytest.fixture(scope="module")
def cat(sample_dir):
    c = Catalog.open(sample_dir)
    yield c
    c.close()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_openapi_is_served_and_lists_the_routes(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/studies", "/api/studies/{study}/zones", "/api/studies/{study}/indicators",
              "/api/studies/{study}/series", "/api/studies/{study}/balance", "/api/models/{model}/spec",
              "/api/studies/{study}/layers/{layer}/tiles/{z}/{x}/{y}.png", "/api/studies/{study}/layers/{layer}/legend",
              "/api/studies/{study}/report", "/api/plans", "/api/runs", "/api/runs/{run}/cancel", "/health", "/ready"):
        assert p in paths, p
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/studies/{study}/indicators" in docs.text
    assert "cdn" not in docs.text.lower()


def test_study_tables_equal_the_catalog(client, cat):
    assert client.get("/api/studies").json()[0]["study"] == "county"
    one = client.get(S).json()
    assert one["counts"]["zones"] == 4 and one["counts"]["indicators"] == cat.count_indicators("county")
    assert [r["scenario"] for r in client.get(f"{S}/scenarios").json()] == list(cat.scenarios("county")["scenario"])
    years = client.get(f"{S}/years").json()
    assert [(r["year"], r["kind"]) for r in years] == [(2010, "observed"), (2015, "observed"), (2020, "observed"),
                                                       (2035, "target")]


def test_zones_are_geojson_in_wgs84(client, cat):
    r = client.get(f"{S}/zones")
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and [f["id"] for f in fc["features"]] == ["CG", "DX", "QS", "XG"]
    qs = next(f for f in fc["features"] if f["id"] == "QS")
    assert qs["properties"]["name"] == "青山县" and qs["geometry"]["type"] == "Polygon"
    xy = np.array(qs["geometry"]["coordinates"][0])
    assert (116 < xy[:, 0]).all() and (xy[:, 0] < 118).all() and (30 < xy[:, 1]).all() and (xy[:, 1] < 31).all()
    rows = client.get(f"{S}/zones?geometry=false").json()
    assert "geometry" not in rows[0] and rows[0]["area_ha"] == cat.zones("county")["area_ha"].iloc[0]


def test_indicators_filter_and_page_like_the_catalog(client, cat):
    want = cat.indicators("county", zone=["QS", "CG"], scenario=["natural", ""], indicator="FC")
    got = client.get(f"{S}/indicators?zone=QS&zone=CG&scenario=natural&scenario=&indicator=FC").json()
    assert got["total"] == len(want) == 8
    assert [(r["zone"], r["year"], r["scenario"], r["value"], r["status"]) for r in got["items"]] == \
        list(zip(want["zone"], want["year"], want["scenario"], want["value"], want["status"], strict=True))
    region = client.get(f"{S}/indicators?zone=&year=2020&indicator=FC").json()["items"]
    assert len(region) == 1 and region[0]["zone"] == "" and region[0]["scenario"] == ""
    # pages: concatenated pages equal the whole, in the catalog's order; next link and Link header
    total = cat.count_indicators("county")
    seen, url = [], f"{S}/indicators?limit=7"
    while url:
        r = client.get(url)
        page = r.json()
        assert page["total"] == total and int(r.headers["x-total-count"]) == total
        seen += [(x["indicator"], x["scenario"], x["zone"], x["year"]) for x in page["items"]]
        if page["next"]:
            assert r.headers["link"] == f'<{page["next"]}>; rel="next"'
        url = page["next"]
    full = cat.indicators("county")
    assert seen == list(zip(full["indicator"], full["scenario"], full["zone"], full["year"], strict=True))
    breached = client.get(f"{S}/indicators?status=breached&limit=1000").json()
    assert breached["total"] == cat.count_indicators("county", status="breached") > 0
    assert {r["status"] for r in breached["items"]} == {"breached"}


def test_indicators_csv_is_utf8_with_bom(client, cat):
    r = client.get(f"{S}/indicators?zone=QS&format=csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf") and "attachment" in r.headers["content-disposition"]
    df = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", keep_default_na=False, dtype={"zone": str})
    want = cat.indicators("county", zone="QS")
    assert len(df) == len(want) and list(df["value"]) == pytest.approx(list(want["value"]))
    assert "study" not in df.columns and df.columns[0] == "scenario"


def test_series_and_variables(client, cat):
    s = client.get(f"{S}/series?indicator=FC&zone=QS").json()
    want = cat.series("county", "FC", zone="QS")
    assert [(r["scenario"], r["year"], r["value"]) for r in s["items"]] == \
        list(zip(want["scenario"], want["year"], want["value"], strict=True))
    v = client.get(f"{S}/series?variable=stock_MgC&zone=").json()["items"]
    assert {r["scenario"] for r in v} == {"", "natural", "ecological_protection"}
    page = client.get(f"{S}/variables?variable=area_forest_ha&year=2020").json()
    assert page["total"] == 5 and {r["unit"] for r in page["items"]} == {"ha"}


def test_balance_zoning_with_the_report_colours(client):
    from landcarbon.report import style

    b = client.get(f"{S}/balance?year=2035&scenario=natural").json()
    assert [r["zone"] for r in b["items"]] == ["CG", "DX", "QS", "XG"]
    assert {r["zone_balance3"] for r in b["items"]} <= {"payment", "balance", "receiving"}
    qs = next(r for r in b["items"] if r["zone"] == "QS")
    assert qs["zone_balance3"] == "receiving" and qs["NCE_tCO2e"] == pytest.approx(qs["emission_tCO2e"] - qs["absorption_tCO2"])
    legend = {c["class"]: c for c in b["legend"]["zone_balance3"]}
    assert legend["payment"]["colour"] == style.zone_colour("payment") and legend["payment"]["name_zh"] == "支付区"
    assert client.get(f"{S}/balance").json()["items"][0]["scenario"] == ""


def test_model_specs_come_from_the_registry(client):
    from landcarbon.models import registry

    ids = [m["id"] for m in client.get("/api/models").json()]
    assert ids == list(registry.MODELS)
    assert client.get("/api/models/balance/spec").json() == json.loads(json.dumps(registry.spec("balance").to_json()))
    bad = client.get("/api/models/balanse/spec")
    assert bad.status_code == 404 and "balance" in bad.json()["detail"]
    sch = client.get("/api/schemes/national6").json()
    assert [c["colour"] for c in sch["classes"]][:2] == ["#f2d16b", "#2e8b3a"]


def test_words_reuse_the_report_and_model_words(client):
    from landcarbon.models.indicators import status_label
    from landcarbon.report import style

    w = client.get("/api/words").json()
    assert w["status"]["breached"]["zh"] == status_label("breached", False, "zh")
    assert w["zoning"]["receiving"]["colour"] == style.zone_colour("receiving")
    assert w["terms"]["year"] == {"en": "Year", "zh": "年份"}


def test_etag_304_and_cache_control(client):
    r = client.get(f"{S}/indicators?zone=QS")
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "no-cache" and etag.startswith('"')
    assert client.get(f"{S}/indicators?zone=QS").headers["etag"] == etag
    again = client.get(f"{S}/indicators?zone=QS", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    head = client.head(f"{S}/indicators?zone=QS")
    assert head.status_code == 200 and head.headers["etag"] == etag and head.content == b""
    assert client.get(f"{S}/indicators?zone=CG").headers["etag"] != etag


def test_a_catalog_write_changes_the_answer_and_its_etag(study_dir):
    with make_client(study_dir) as c:
        before = c.get(f"{S}/indicators?zone=QS&year=2020&indicator=FC")
        cat = Catalog.open(study_dir)
        cat.record_indicators("county", pd.DataFrame([{"zone": "QS", "year": 2020, "indicator": "FC", "value": 1.5,
                                                       "unit": "%", "status": "breached"}]), source_step="indicators")
        cat.close()
        after = c.get(f"{S}/indicators?zone=QS&year=2020&indicator=FC")
        assert after.json()["items"][0]["value"] == 1.5 != before.json()["items"][0]["value"]
        assert after.headers["etag"] != before.headers["etag"]


@pytest.mark.parametrize("query, status", [
    ("indicators?year=abc", 422), ("indicators?year=2020.5", 422), ("indicators?year=99999999999999999999", 422),
    ("indicators?limit=-1", 422), ("indicators?limit=100000000", 422), ("indicators?offset=-3", 422),
    ("indicators?status=bogus", 422), ("indicators?kind=both", 422), ("indicators?format=xml", 422),
    ("indicators?zone=" + "x" * 300, 422), ("indicators?zone=a%00b", 400), ("indicators?zone=%0a", 400),
    ("series", 400), ("series?indicator=FC&variable=stock_MgC", 400), ("balance?lang=fr", 422),
    ("layers/nope/legend", 404), ("layers/nope/tiles/3/1/1.png", 404), ("layers/nope/tiles/30/1/1.png", 422),
    ("layers/nope/tiles/2/4/1.png", 404), ("steps?status=finished", 422),
])
def test_malformed_filters_are_json_errors(client, query, status):
    r = client.get(f"{S}/{query}")
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] and body["detail"] and body["request_id"]
    assert "Traceback" not in r.text


def test_unknown_study_is_404(client):
    r = client.get("/api/studies/nope/indicators")
    assert r.status_code == 404 and "county" in r.json()["detail"]


def test_internal_errors_carry_no_trace(sample_dir, monkeypatch):
    from fastapi.testclient import TestClient

    from landcarbon.web import Settings, create_app

    app = create_app(Settings(catalog=str(sample_dir)))

    def boom(*a, **k):
        raise RuntimeError("secret detail /srv/internal/path")

    monkeypatch.setattr(app.state.service.catalog, "indicators", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get(f"{S}/indicators")
    assert r.status_code == 500 and r.json()["error"] == "internal" and r.json()["request_id"]
    assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text


def test_layers_tiles_and_legends_in_the_scheme_colours(client):
    from PIL import Image

    from landcarbon.core.classes import NATIONAL6

    layers = client.get(f"{S}/layers").json()
    cats = [la for la in layers if la["kind"] == "categorical"]
    assert [(la["scenario"], la["year"]) for la in cats] == [("", 2010), ("", 2015), ("", 2020),
                                                             ("ecological_protection", 2035), ("natural", 2035)]
    la = cats[2]
    assert la["scheme"] == "national6" and la["codes"] == [1, 2, 3, 4, 5, 6]
    legend = client.get(f"{la['legend']}?lang=en").json()
    assert [(c["code"], c["name"], c["colour"]) for c in legend["classes"]] == \
        [(c.code, c.name_en, c.colour) for c in NATIONAL6.classes]
    assert client.get(f"{la['legend']}?lang=zh").json()["classes"][1]["name"] == "林地"
    w, s, e, n = la["bounds"]
    x, y = _tile_of((w + e) / 2, (s + n) / 2, 13)
    r = client.get(la["tiles"].format(z=13, x=x, y=y))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "public, max-age=86400"
    img = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))
    opaque = img[img[..., 3] > 0][:, :3]
    colours = {"#{:02x}{:02x}{:02x}".format(*tuple(int(v) for v in px)) for px in np.unique(opaque, axis=0)}
    assert colours and colours <= {c.colour for c in NATIONAL6.classes}
    assert len(colours) >= 3
    # far away from the study: a transparent tile
    x0, y0 = _tile_of(0.0, 0.0, 13)
    far = np.asarray(Image.open(io.BytesIO(client.get(la["tiles"].format(z=13, x=x0, y=y0)).content)).convert("RGBA"))
    assert (far[..., 3] == 0).all()
    cont = next(la for la in layers if la["kind"] == "continuous")
    lg = client.get(cont["legend"]).json()
    assert cont["units"] == "Mg C/ha" and lg["min"] < lg["max"] and len(lg["stops"]) == 11 and lg["ramp"] == "density"


def test_downloads_and_the_report(client):
    r = client.get(f"{S}/report", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == f"{S}/files/steps/report/report.html"
    f = client.get(r.headers["location"])
    assert f.status_code == 200 and "示例县" in f.text and f.headers["etag"]
    assert client.get(r.headers["location"], headers={"if-none-match": f.headers["etag"]}).status_code == 304
    outs = client.get(f"{S}/outputs").json()
    csv = next(o for o in outs if o["path"].endswith("balance_by_zone.csv"))
    assert client.get(csv["href"]).content.startswith(b"\xef\xbb\xbf")
    assert client.get(f"{S}/report?format=pdf").status_code == 404


@pytest.mark.parametrize("path", [
    "%2e%2e/catalog.sqlite", "..%2fcatalog.sqlite", "steps/..%2f..%2fcatalog.sqlite", "%2fetc%2fpasswd",
    "steps/report/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", "..%5c..%5cetc%5cpasswd", "~/.bashrc",
    "steps/report/report.html%00.png", "catalog.sqlite", "steps/maps/2010/manifest.json",
])
def test_path_traversal_never_serves_a_file(client, path):
    r = client.get(f"{S}/files/{path}")
    assert r.status_code in (400, 404), (path, r.status_code)
    assert r.headers["content-type"].startswith("application/json")
    assert "root:" not in r.text and "SQLite format" not in r.text


def test_a_recorded_link_out_of_the_folder_is_refused(study_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (study_dir / "steps" / "leak.txt").symlink_to(secret)
    cat = Catalog.open(study_dir)
    cat.record_outputs("county", "report", [{"path": "steps/leak.txt", "sha256": "x", "bytes": 10}])
    cat.close()
    with make_client(study_dir) as c:
        r = c.get(f"{S}/files/steps/leak.txt")
    assert r.status_code == 404 and "top secret" not in r.text


def test_cors_only_when_configured(sample_dir, client):
    pre = {"origin": "http://intranet.bureau", "access-control-request-method": "GET"}
    assert "access-control-allow-origin" not in client.get("/api/studies", headers={"origin": pre["origin"]}).headers
    with make_client(sample_dir, cors_origins=("http://intranet.bureau",)) as c:
        r = c.options("/api/studies", headers=pre)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://intranet.bureau"
        g = c.get("/api/studies", headers={"origin": pre["origin"]})
        assert g.headers["access-control-allow-origin"] == "http://intranet.bureau"
        assert "etag" in g.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-origin" not in c.get("/api/studies", headers={"origin": "http://evil"}).headers


def test_health_and_readiness(study_dir):
    import sqlalchemy as sa

    with make_client(study_dir) as c:
        h = c.get("/health").json()
        assert h["status"] == "ok" and h["pid"] == os.getpid()
        ready = c.get("/ready")
        assert ready.status_code == 200 and ready.json()["studies"] == 1 and ready.headers["cache-control"] == "no-store"

        def down(*a, **k):
            raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

        svc = c.app.state.service
        svc.catalog.studies = down
        svc.responses.clear()
        svc.memo.clear()
        gone = c.get("/ready")
        assert gone.status_code == 503 and gone.json()["status"] == "unavailable"
        r = c.get("/api/studies")
        assert r.status_code == 503 and "closed" not in r.text


def test_dashboard_page_and_vendor_files(client):
    from landcarbon.web.dashboard import missing_assets

    page = client.get("/")
    if missing_assets():
        assert page.status_code == 503 and "npm ci" in page.text
        pytest.skip(f"JavaScript libraries not installed: {missing_assets()} (make install runs npm ci)")
    assert page.status_code == 200 and "/vendor/leaflet/leaflet.js" in page.text
    for src in ("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css", "/vendor/echarts/echarts.min.js",
                "/static/dashboard.js", "/vendor/leaflet/images/layers.png"):
        r = client.get(src)
        assert r.status_code == 200, src
    assert client.get("/vendor/leaflet/leaflet.js").headers["cache-control"] == "public, max-age=86400"
    assert client.get("/vendor/leaflet/../../package.json").status_code == 404
    assert client.get("/vendor/echarts/%2e%2e/package.json").status_code == 404
    # nothing in our page or script names another host
    for src in ("/", "/static/dashboard.js", "/static/dashboard.css"):
        text = client.get(src).text
        assert "http://" not in text and "https://" not in text, src
