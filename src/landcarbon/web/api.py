"""The read-only open-data API: studies, scenarios, years, zones (GeoJSON), indicators (JSON / CSV),
variables, time series, balance zoning, steps, outputs and downloads, model specs, class schemes and
the dashboard's words. Every answer comes from the catalog (``landcarbon.io.catalog``), the model
registry or the study's recorded output files; nothing is computed by a model here.

Filters take one value or repeat (``?zone=a&zone=b`` is SQL ``IN``); an empty value means the whole
region (``zone=``) or the observed years (``scenario=``), as in the catalog.
"""

from __future__ import annotations

import io
import json
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from ..io.catalog import OBSERVED, REGION
from .errors import NotFound, Unavailable
from .paths import OutsideError, safe_join
from .service import Service

router = APIRouter()

MAX_LIMIT = 10_000
CSV_MAX_ROWS = 1_000_000
JSON = "application/json"
GEOJSON = "application/geo+json"

Text = Annotated[str, Query(max_length=200)]
_Str = Annotated[str, StringConstraints(max_length=200)]
_Year = Annotated[int, Field(ge=0, le=9999)]
TextList = Annotated[list[_Str] | None, Query(max_length=100)]
Years = Annotated[list[_Year] | None, Query(max_length=100)]
Limit = Annotated[int | None, Query(ge=0, le=MAX_LIMIT, description="rows per page (JSON default 100; CSV default all)")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json (default) or csv (UTF-8 with BOM)")]
StudyId = Annotated[str, PathParam(max_length=200, description="study id")]


def svc(request: Request) -> Service:
    return request.app.state.service


def _body(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _json(obj: Any, media_type: str = JSON, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(_body(obj), media_type=media_type, headers=headers, status_code=status)


def _rows_json(df: pd.DataFrame) -> str:
    """The rows of ``df`` as a JSON array (NaN / NA as null; floats in their shortest round-trip form)."""
    if df.empty:
        return "[]"
    return json.dumps(_plain(df), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _plain(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (None for NaN / NA)."""
    cols = [str(c) for c in df.columns]
    data = [df[c].tolist() for c in df.columns]
    na = pd.NA
    return [{c: (None if v is None or v is na or (isinstance(v, float) and v != v) else v)
             for c, v in zip(cols, row, strict=True)} for row in zip(*data, strict=True)]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return _plain(df)


def _filter(v: list[Any] | None) -> Any:
    if v is None:
        return None
    return v[0] if len(v) == 1 else list(v)


async def _known(s: Service, study: str) -> None:
    studies = await _studies(s)
    if study not in set(studies["study"]):
        known = list(studies["study"])[:20]
        raise NotFound(f"study {study!r} is not in the catalog (known: {known})")


async def _studies(s: Service) -> pd.DataFrame:
    fp = s.fingerprint.current()
    hit = s.memo.get(("studies-frame",))
    if hit is not None and hit[0] == fp:
        return hit[1]
    df = await run_in_threadpool(s.catalog.studies)
    s.memo.put(("studies-frame",), (fp, df))
    return df


def _csv(df: pd.DataFrame, name: str) -> Response:
    buf = io.StringIO()
    buf.write("\ufeff")
    df.to_csv(buf, index=False, lineterminator="\r\n")
    return Response(buf.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def _page(request: Request, df: pd.DataFrame, total: int, limit: int, offset: int, **extra: Any) -> Response:
    nxt = None
    headers = {"x-total-count": str(total)}
    if offset + len(df) < total and limit > 0:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        nxt = f"{request.url.path}?{urlencode([*params, ('offset', str(offset + limit))])}"
        headers["link"] = f'<{nxt}>; rel="next"'
    head = _body({**extra, "total": total, "limit": limit, "offset": offset, "next": nxt})
    body = head[:-1] + b',"items":' + _rows_json(df).encode() + b"}"
    return Response(body, media_type=JSON, headers=headers)


# ------------------------------------------------------------------------------------------------------
# index, studies


@router.get("/api", summary="What this API offers (links)", tags=["meta"])
async def index(request: Request) -> Response:
    return _json({
        "name": "landcarbon open-data API", "openapi": "/openapi.json", "docs": "/docs", "dashboard": "/",
        "studies": "/api/studies", "models": "/api/models", "health": "/health", "ready": "/ready",
        "conventions": {"zone": f"{REGION!r} (empty) is the whole region",
                        "scenario": f"{OBSERVED!r} (empty) holds the observed years, shared by every scenario",
                        "filters": "repeat a parameter for several values (SQL IN)",
                        "csv": "UTF-8 with BOM (opens in Excel)"},
    })


@router.get("/api/studies", summary="Every study in the catalog", tags=["studies"])
async def studies(request: Request) -> Response:
    return Response(_rows_json(await _studies(svc(request))).encode(), media_type=JSON)


@router.get("/api/studies/{study}", summary="One study with the sizes of its tables", tags=["studies"],
            responses={404: {"description": "unknown study"}})
async def study(request: Request, study: StudyId) -> Response:
    s = svc(request)
    await _known(s, study)

    def _get() -> dict[str, Any]:
        row = s.catalog.studies()
        row = _records(row[row["study"] == study])[0]
        steps = s.catalog.steps(study)
        row["counts"] = {
            "scenarios": len(s.catalog.scenarios(study)), "years": len(s.catalog.years(study)),
            "zones": len(s.catalog.zones(study)), "indicators": s.catalog.count_indicators(study),
            "variables": s.catalog.count_variables(study), "outputs": len(s.catalog.outputs(study)),
            "steps": {k: int(v) for k, v in steps["status"].value_counts().sort_index().items()},
        }
        return row

    return _json(await run_in_threadpool(_get))


@router.get("/api/studies/{study}/scenarios", summary="Scenarios of a study", tags=["studies"])
async def scenarios(request: Request, study: StudyId) -> Response:
    s = svc(request)
    await _known(s, study)
    return Response(_rows_json(await run_in_threadpool(s.catalog.scenarios, study)).encode(), media_type=JSON)


@router.get("/api/studies/{study}/years", summary="Observed and target years of a study", tags=["studies"])
async def years(request: Request, study: StudyId) -> Response:
    s = svc(request)
    await _known(s, study)
    return Response(_rows_json(await run_in_threadpool(s.catalog.years, study)).encode(), media_type=JSON)


@router.get("/api/studies/{study}/zones", summary="Zones as GeoJSON (WGS 84), or as rows without geometry",
            tags=["studies"])
async def zones(request: Request, study: StudyId,
                geometry: Annotated[bool, Query(description="false: plain rows without geometry")] = True
                ) -> Response:
    s = svc(request)
    await _known(s, study)
    df = await run_in_threadpool(lambda: s.catalog.zones(study, geometry=geometry))
    if not geometry:
        return Response(_rows_json(df).encode(), media_type=JSON)
    feats = []
    for r in _records(df.drop(columns=["geometry"])):
        g = df.loc[df["zone"] == r["zone"], "geometry"].iloc[0]
        r.pop("study", None)
        feats.append({"type": "Feature", "id": r["zone"], "properties": r,
                      "geometry": json.loads(g) if g else None})
    return _json({"type": "FeatureCollection", "features": feats}, media_type=GEOJSON)


# ------------------------------------------------------------------------------------------------------
# indicators, variables, series


@router.get("/api/studies/{study}/indicator-definitions", summary="Indicator names (中文/English), units, "
            "directions", tags=["indicators"])
async def indicator_defs(request: Request, study: StudyId) -> Response:
    s = svc(request)
    await _known(s, study)
    return Response(_rows_json(await run_in_threadpool(s.catalog.indicator_defs, study)).encode(), media_type=JSON)


@router.get("/api/studies/{study}/indicators", summary="Indicator values with status (met / warning / breached)",
            tags=["indicators"], responses={200: {"content": {"text/csv": {}}}})
async def indicators(request: Request, study: StudyId, zone: TextList = None, year: Years = None,
                     scenario: TextList = None, indicator: TextList = None,
                     status: Annotated[list[Literal["met", "warning", "breached"]] | None, Query(max_length=3)] = None,
                     kind: Annotated[list[Literal["observed", "projected"]] | None, Query(max_length=2)] = None,
                     limit: Limit = None, offset: Offset = 0, format: Format = "json") -> Response:
    s = svc(request)
    await _known(s, study)
    filters = {"zone": _filter(zone), "year": _filter(year), "scenario": _filter(scenario),
               "indicator": _filter(indicator), "status": _filter(status), "kind": _filter(kind)}
    if format == "csv":
        n = limit if limit is not None else CSV_MAX_ROWS
        df = await run_in_threadpool(lambda: s.catalog.indicators(study, **filters, limit=n, offset=offset))
        return _csv(df.drop(columns=["study"]), f"{study}_indicators.csv")
    n = 100 if limit is None else limit

    def _get() -> tuple[pd.DataFrame, int]:
        return (s.catalog.indicators(study, **filters, limit=n, offset=offset),
                s.catalog.count_indicators(study, **filters))

    df, total = await run_in_threadpool(_get)
    return _page(request, df.drop(columns=["study"]), total, n, offset, study=study)


@router.get("/api/studies/{study}/variables", summary="Variables per zone, year and scenario (areas, stock, "
            "emissions, GDP …)", tags=["indicators"], responses={200: {"content": {"text/csv": {}}}})
async def variables(request: Request, study: StudyId, zone: TextList = None, year: Years = None,
                    scenario: TextList = None, variable: TextList = None, limit: Limit = None,
                    offset: Offset = 0, format: Format = "json") -> Response:
    s = svc(request)
    await _known(s, study)
    filters = {"zone": _filter(zone), "year": _filter(year), "scenario": _filter(scenario),
               "variable": _filter(variable)}
    if format == "csv":
        n = limit if limit is not None else CSV_MAX_ROWS
        df = await run_in_threadpool(lambda: s.catalog.variables(study, **filters, limit=n, offset=offset))
        return _csv(df.drop(columns=["study"]), f"{study}_variables.csv")
    n = 100 if limit is None else limit

    def _get() -> tuple[pd.DataFrame, int]:
        return (s.catalog.variables(study, **filters, limit=n, offset=offset),
                s.catalog.count_variables(study, **filters))

    df, total = await run_in_threadpool(_get)
    return _page(request, df.drop(columns=["study"]), total, n, offset, study=study)


@router.get("/api/studies/{study}/series", summary="Time series of one indicator or variable in one zone: "
            "the observed years, then each scenario's", tags=["indicators"])
async def series(request: Request, study: StudyId, indicator: Text | None = None, variable: Text | None = None,
                 zone: Text = REGION, scenario: TextList = None) -> Response:
    s = svc(request)
    await _known(s, study)
    if (indicator is None) == (variable is None):
        from .errors import BadRequest

        raise BadRequest("give exactly one of indicator= or variable=")
    df = await run_in_threadpool(lambda: s.catalog.series(study, indicator, variable=variable, zone=zone,
                                                          scenario=_filter(scenario)))
    head = _body({"study": study, "indicator": indicator, "variable": variable, "zone": zone})
    return Response(head[:-1] + b',"items":' + _rows_json(df).encode() + b"}", media_type=JSON)


# ------------------------------------------------------------------------------------------------------
# balance zoning


_BALANCE_COLUMNS = ("zone", "year", "emission_tCO2e", "absorption_tCO2", "NCE_tCO2e", "CCR", "CCR_relative",
                    "ECC", "ESC", "zone_balance3", "zone_quadrant", "zone_balance3_value", "value_CNY",
                    "allowance_tCO2e", "value_allowance_CNY")


def _balance_tables(s: Service, study: str) -> list[tuple[str, str, pd.DataFrame]]:
    """(step, scenario, table) of every balance_by_zone.csv the study recorded."""
    from ..io import read_table

    root = s.study_root(study)
    if root is None:
        return []
    outs = s.catalog.outputs(study)
    outs = outs[outs["path"].str.endswith("balance_by_zone.csv")]
    steps = s.catalog.steps(study).set_index("step")
    found = []
    for path, step in zip(outs["path"], outs["step"], strict=True):
        try:
            f = safe_join(root, path)
        except OutsideError:
            continue
        if not f.is_file():
            continue
        st = f.stat()
        key = ("balance", str(f), st.st_mtime_ns, st.st_size)
        df = s.memo.get(key)
        if df is None:
            df = read_table(f, dtype={"zone": str})
            s.memo.put(key, df)
        scenario = str(steps.loc[step, "scenario"]) if step in steps.index else OBSERVED
        found.append((step, scenario, df))
    return found


@router.get("/api/studies/{study}/balance", summary="Carbon balance and compensation zoning per zone "
            "(from the balance step's balance_by_zone.csv), with the zoning legend", tags=["indicators"])
async def balance(request: Request, study: StudyId, year: Years = None, scenario: TextList = None,
                  zone: TextList = None, lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh") -> Response:
    from ..report import style

    s = svc(request)
    await _known(s, study)
    tables = await run_in_threadpool(_balance_tables, s, study)
    rows = []
    for step, sc, df in tables:
        if scenario is not None and sc not in scenario:
            continue
        d = df[[c for c in _BALANCE_COLUMNS if c in df.columns]].copy()
        d["zone"] = d["zone"].astype(str)
        if year is not None:
            d = d[d["year"].isin(year)]
        if zone is not None:
            d = d[d["zone"].isin(zone)]
        d.insert(0, "scenario", sc)
        d.insert(1, "step", step)
        rows.append(d)
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["scenario", "step", *_BALANCE_COLUMNS])
    df = df.sort_values(["scenario", "year", "zone"], kind="stable").reset_index(drop=True)
    legend = {}
    for scheme in ("zone_balance3", "zone_quadrant"):
        legend[scheme] = [{"class": c, "name_zh": style.zone_class_name(c, "zh"), "name_en": style.zone_class_name(c, "en"),
                           "name": style.zone_class_name(c, lang), "colour": style.zone_colour(c)}
                          for c in style.zoning_classes(scheme)]
    head = _body({"study": study, "legend": legend,
                  "title": style.text("zoning_balance3", lang)})
    return Response(head[:-1] + b',"items":' + _rows_json(df).encode() + b"}", media_type=JSON)


# ------------------------------------------------------------------------------------------------------
# steps, outputs, downloads


@router.get("/api/studies/{study}/steps", summary="Steps of the study graph with status and timing",
            tags=["runs"])
async def steps(request: Request, study: StudyId,
                status: Annotated[list[Literal["pending", "running", "done", "cached", "failed", "skipped"]] | None,
                                  Query(max_length=6)] = None) -> Response:
    s = svc(request)
    await _known(s, study)
    df = await run_in_threadpool(lambda: s.catalog.steps(study, status=_filter(status)))
    return Response(_rows_json(df.drop(columns=["study"])).encode(), media_type=JSON)


@router.get("/api/studies/{study}/outputs", summary="Output files the study recorded (download links)",
            tags=["files"])
async def outputs(request: Request, study: StudyId, step: TextList = None, kind: TextList = None) -> Response:
    s = svc(request)
    await _known(s, study)
    df = await run_in_threadpool(lambda: s.catalog.outputs(study, step=_filter(step), kind=_filter(kind)))
    df = df.drop(columns=["study"])
    df["href"] = [f"/api/studies/{study}/files/{p}" for p in df["path"]]
    return Response(_rows_json(df).encode(), media_type=JSON)


_MEDIA = {".csv": "text/csv; charset=utf-8", ".json": JSON, ".html": "text/html; charset=utf-8",
          ".pdf": "application/pdf", ".png": "image/png", ".svg": "image/svg+xml", ".tif": "image/tiff",
          ".tiff": "image/tiff", ".gpkg": "application/geopackage+sqlite3", ".parquet": "application/vnd.apache.parquet",
          ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/api/studies/{study}/files/{path:path}", summary="Download one recorded output file (report, "
            "table, map)", tags=["files"], responses={404: {"description": "not a recorded output"}})
async def download(request: Request, study: StudyId, path: str) -> Response:
    s = svc(request)
    await _known(s, study)
    root = s.study_root(study)
    if root is None:
        raise Unavailable("this server serves no files (start it with --root FOLDER for a PostgreSQL catalog)")
    try:
        full = safe_join(root, path)
    except OutsideError as err:
        raise NotFound(str(err)) from None
    outs = await run_in_threadpool(s.catalog.outputs, study)
    recorded = set(outs["path"])
    if path not in recorded and not any(path.startswith(p.rstrip("/") + "/") for p in recorded
                                        if (root / p).is_dir()):
        raise NotFound(f"{path!r} is not an output recorded for study {study!r}; see /api/studies/{study}/outputs")
    if not full.is_file():
        raise NotFound(f"output {path!r} is recorded but its file is missing")
    st = full.stat()
    etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag, "cache-control": "no-cache"})
    media = _MEDIA.get(full.suffix.lower(), "application/octet-stream")
    disp = "inline" if full.suffix.lower() in (".html", ".png", ".svg", ".pdf") else "attachment"
    return FileResponse(full, media_type=media, headers={"etag": etag, "cache-control": "no-cache"},
                        content_disposition_type=disp, filename=full.name)


@router.get("/api/studies/{study}/report", summary="The study report (report.html, or ?format=pdf|docx)",
            tags=["files"], responses={307: {"description": "to the file"}, 404: {"description": "no report"}})
async def report(request: Request, study: StudyId,
                 format: Annotated[str, Query(pattern="^(html|pdf|docx)$")] = "html") -> Response:
    s = svc(request)
    await _known(s, study)
    outs = await run_in_threadpool(s.catalog.outputs, study)
    hits = sorted(p for p in outs["path"] if re.search(rf"(^|/)report[^/]*\.{format}$", p))
    if not hits:
        raise NotFound(f"study {study!r} recorded no {format} report (the report step writes it)")
    return RedirectResponse(f"/api/studies/{study}/files/{hits[0]}", status_code=307)


# ------------------------------------------------------------------------------------------------------
# models, schemes, words


@router.get("/api/models", summary="Registered models (id, version, title)", tags=["models"])
async def models() -> Response:
    from ..models import registry

    def _list() -> list[dict[str, Any]]:
        out = []
        for mid in registry.MODELS:
            try:
                sp = registry.spec(mid)
                out.append({"id": mid, "version": sp.version, "title_en": sp.title_en, "title_zh": sp.title_zh,
                            "spec": f"/api/models/{mid}/spec"})
            except Exception:  # a model being migrated: listed without its spec
                out.append({"id": mid, "version": None, "title_en": None, "title_zh": None, "spec": None})
        return out

    return _json(await run_in_threadpool(_list))


@router.get("/api/models/{model}/spec", summary="A model's spec from the registry: inputs and outputs with units "
            "and zh/en labels", tags=["models"], responses={404: {"description": "unknown model"}})
async def model_spec(model: Annotated[str, PathParam(max_length=200, description="model id")]) -> Response:
    from ..models import registry

    if model not in registry.MODELS:
        from ..core.validation import did_you_mean

        raise NotFound(f"model {model!r} is not registered{did_you_mean(model, registry.MODELS)}; the models are "
                       f"{', '.join(registry.MODELS)}")
    try:
        spec = await run_in_threadpool(registry.spec, model)
    except Exception as err:
        raise Unavailable(f"the spec of {model!r} cannot be loaded now ({type(err).__name__})") from None
    return _json(spec.to_json(), headers={"cache-control": "public, max-age=300"})


@router.get("/api/schemes/{scheme}", summary="A class scheme: code, key, 中文/English name, colour, group",
            tags=["models"], responses={404: {"description": "unknown scheme"}})
async def scheme(scheme: Annotated[str, PathParam(max_length=200, description="scheme name")]) -> Response:
    from ..core.classes import BUILTIN_SCHEMES

    sc = BUILTIN_SCHEMES.get(scheme.lower())
    if sc is None:
        raise NotFound(f"class scheme {scheme!r} is unknown; built-in schemes are {sorted(BUILTIN_SCHEMES)}")
    return _json({"name": sc.name, "citation": sc.citation,
                  "classes": [dict(c.__dict__) for c in sc.classes]}, headers={"cache-control": "public, max-age=300"})


#: status colours of the indicator table (met green, warning amber, breached red, no target grey)
STATUS_COLOURS = {"met": "#1a9850", "warning": "#f1a340", "breached": "#d73027", "": "#bdbdbd"}


@router.get("/api/words", summary="The dashboard's words and colours in Chinese and English (statuses, zoning "
            "classes, chart terms, scenario names)", tags=["meta"])
async def words() -> Response:
    from ..report import style

    def _get() -> dict[str, Any]:
        from ..models.indicators.status import BREACHED, MET, WARNING, status_label

        status = {k: {"zh": status_label(k, False, "zh"), "en": status_label(k, False, "en"),
                      "trend_zh": status_label(k, True, "zh"), "trend_en": status_label(k, True, "en"),
                      "colour": STATUS_COLOURS[k]} for k in (MET, WARNING, BREACHED)}
        zoning = {c: {"zh": style.zone_class_name(c, "zh"), "en": style.zone_class_name(c, "en"),
                      "colour": style.zone_colour(c)}
                  for sch in ("zone_balance3", "zone_quadrant") for c in style.zoning_classes(sch)}
        return {"status": status, "status_none_colour": STATUS_COLOURS[""], "zoning": zoning,
                "terms": {k: {"en": en, "zh": zh} for k, (en, zh) in style.TERMS.items()},
                "scenarios": {k: {"en": en, "zh": zh} for k, (en, zh) in style.SCENARIO_NAMES.items()},
                "scenario_colours": list(style.SCENARIO_COLOURS)}

    return _json(await run_in_threadpool(_get), headers={"cache-control": "public, max-age=300"})


__all__ = ["STATUS_COLOURS", "router"]
