"""Map layers: the study's recorded rasters (Cloud-Optimized GeoTIFFs) as XYZ tiles, rendered with
rio-tiler in the class scheme's colours (categorical maps) or on the report's colour ramps
(continuous maps), and a legend for each.

A layer is one recorded output whose file is a GeoTIFF. Its scenario and year come from its step
(the ``steps`` table), else the year from a four-digit number in the file name. It is *categorical*
when the output kind says so (``landuse`` / ``categorical``) or when it holds integer codes without
units; its class scheme is the raster's ``scheme`` tag, else the ``scheme`` parameter of the step's
``manifest.json``, else ``national6`` when the codes fit 1…6, else a plain palette. Colours and
names come from ``landcarbon.core.classes`` and ``landcarbon.report.style`` (the report's colours).
Layer ids are a hash of the path and the file's content hash (or size and time), so a tile URL
never changes its picture: tiles are sent with a day of public caching.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..io.catalog import OBSERVED
from .api import _known
from .errors import NotFound
from .paths import OutsideError, safe_join
from .service import Service

router = APIRouter()

TILE_SIZE = 256
TILE_CACHE_CONTROL = "public, max-age=86400"
_RASTER = (".tif", ".tiff")
_CATEGORICAL_KINDS = ("landuse", "categorical", "classes", "lulc")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


@dataclass(frozen=True)
class Layer:
    id: str
    path: str
    step: str
    model: str
    scenario: str
    year: int | None
    kind: str                     # categorical | continuous
    units: str
    scheme: str | None
    title_zh: str
    title_en: str
    bounds: tuple[float, float, float, float]   # WGS 84 west, south, east, north
    minzoom: int
    maxzoom: int
    codes: tuple[int, ...] = ()
    vmin: float | None = None
    vmax: float | None = None
    ramp: str | None = None
    file: str = field(default="", repr=False)

    def public(self, study: str) -> dict[str, Any]:
        d = asdict(self)
        d.pop("file")
        d["bounds"] = list(self.bounds)
        d["codes"] = list(self.codes)
        base = f"/api/studies/{study}/layers/{self.id}"
        d["tiles"] = base + "/tiles/{z}/{x}/{y}.png"
        d["legend"] = base + "/legend"
        return d



def _ramp_for(name: str, units: str) -> str:
    s = f"{name} {units}".lower()
    if any(w in s for w in ("change", "delta", "diff")):
        return "change"
    if "emission" in s or "co2" in s:
        return "emission"
    if any(w in s for w in ("mg c", "t c", "stock", "storage", "density", "c_")):
        return "density"
    return "score"


def _manifest_scheme(root: Path, out_dir: str) -> str | None:
    if not out_dir:
        return None
    try:
        m = safe_join(root, f"{out_dir.rstrip('/')}/manifest.json")
        params = json.loads(m.read_text(encoding="utf-8")).get("parameters", {})
    except (OutsideError, OSError, ValueError, AttributeError):
        return None
    v = params.get("scheme") if isinstance(params, dict) else None
    return v if isinstance(v, str) else None


def _describe(root: Path, row: dict[str, Any], step: dict[str, Any] | None) -> Layer | None:
    import rasterio
    from rasterio.warp import transform_bounds

    from ..core.classes import BUILTIN_SCHEMES, NATIONAL6
    from ..report import style

    rel = str(row["path"])
    try:
        f = safe_join(root, rel)
    except OutsideError:
        return None
    if not f.is_file():
        return None
    st = f.stat()
    ident = row.get("sha256") or f"{st.st_mtime_ns}:{st.st_size}"
    lid = hashlib.blake2b(f"{rel}\0{ident}".encode(), digest_size=8).hexdigest()
    try:
        with rasterio.open(f) as src:
            if src.crs is None:
                return None
            west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
            integer = np.issubdtype(np.dtype(src.dtypes[0]), np.integer)
            tags = src.tags()
            band_units = src.units[0] if src.units and src.units[0] else ""
            width = src.width
            scale = max(src.width, src.height)
            step_px = max(1, scale // 1024)
            out_shape = (max(1, src.height // step_px), max(1, src.width // step_px))
            sample = src.read(1, out_shape=out_shape, masked=True)
    except Exception:  # not a raster GDAL can read: not a layer
        return None
    units = str(row.get("units") or band_units or "")
    kind_hint = str(row.get("kind") or "").lower()
    stem = Path(rel).stem
    categorical = kind_hint in _CATEGORICAL_KINDS or (integer and not units)
    model = str((step or {}).get("model") or "")
    scenario = str((step or {}).get("scenario") or OBSERVED)
    year = (step or {}).get("year")
    if year is None or (isinstance(year, float) and np.isnan(year)):
        m = _YEAR.search(stem)
        year = int(m.group(1)) if m else None
    else:
        year = int(year)
    # zoom range from the pixel size: native tiles to 8 screen pixels per raster cell (crisp classes)
    lat = (south + north) / 2
    metres = (east - west) * 111_320 * np.cos(np.radians(lat)) / max(width, 1) if east > west else 100.0
    maxzoom = int(np.clip(np.ceil(np.log2(156_543.0 * np.cos(np.radians(lat)) / max(metres, 1e-3))) + 3, 5, 20))
    minzoom = max(0, maxzoom - 14)
    vals = sample.compressed() if np.ma.isMaskedArray(sample) else np.asarray(sample).ravel()
    if categorical:
        codes = tuple(int(c) for c in np.unique(vals)[:256])
        scheme = tags.get("scheme") or tags.get("class_scheme") or _manifest_scheme(root, str((step or {}).get("out_dir") or ""))
        if scheme not in BUILTIN_SCHEMES:
            scheme = NATIONAL6.name if codes and set(codes) <= set(NATIONAL6.codes) else None
        title_zh, title_en = style.text("landuse", "zh"), style.text("landuse", "en")
        return Layer(lid, rel, str(row.get("step") or ""), model, scenario, year, "categorical", units, scheme,
                     title_zh, title_en, (west, south, east, north), minzoom, maxzoom, codes=codes, file=str(f))
    fin = vals[np.isfinite(vals)] if vals.dtype.kind == "f" else vals
    ramp = _ramp_for(stem, units)
    if fin.size:
        lo, hi = (float(v) for v in np.percentile(fin, [2, 98]))
        if ramp == "change":
            a = max(abs(lo), abs(hi), 1e-9)
            lo, hi = -a, a
        if hi <= lo:
            hi = lo + 1.0
    else:
        lo, hi = 0.0, 1.0
    title_zh = style.label(stem, "zh", model=model or None)
    title_en = style.label(stem, "en", model=model or None)
    return Layer(lid, rel, str(row.get("step") or ""), model, scenario, year, "continuous", units, None, title_zh,
                 title_en, (west, south, east, north), minzoom, maxzoom, vmin=lo, vmax=hi, ramp=ramp, file=str(f))


def layers_of(s: Service, study: str) -> list[Layer]:
    """The study's raster layers (cached while the catalog fingerprint is unchanged)."""
    fp = s.fingerprint.current()
    key = ("layers", study)
    hit = s.memo.get(key)
    if hit is not None and hit[0] == fp:
        return hit[1]
    root = s.study_root(study)
    out: list[Layer] = []
    if root is not None:
        outs = s.catalog.outputs(study)
        steps = {r["step"]: r for r in s.catalog.steps(study).to_dict("records")}
        for row in outs.to_dict("records"):
            if not str(row["path"]).lower().endswith(_RASTER):
                continue
            lay = _describe(root, row, steps.get(row["step"]))
            if lay is not None:
                out.append(lay)
    out.sort(key=lambda la: (la.kind != "categorical", la.scenario, la.year or 0, la.path))
    s.memo.put(key, (fp, out))
    return out


def _layer(s: Service, study: str, layer_id: str) -> Layer:
    for la in layers_of(s, study):
        if la.id == layer_id:
            return la
    raise NotFound(f"layer {layer_id!r} is not a layer of study {study!r}; see /api/studies/{study}/layers")


def _hex_rgba(colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha


def _palette_colour(code: int) -> str:
    from ..report import style

    return style.PALETTE[code % len(style.PALETTE)]


def class_colours(layer: Layer) -> dict[int, str]:
    from ..report import style

    known = style.class_colours(layer.scheme) if layer.scheme else {}
    return {c: known.get(c) or _palette_colour(c) for c in layer.codes}


def _lut(ramp: str) -> np.ndarray:
    key = ("lut", ramp)
    hit = _LUTS.get(key)
    if hit is None:
        from ..report import style

        hit = (np.asarray(style.cmap(ramp)(np.linspace(0.0, 1.0, 256))) * 255).round().astype(np.uint8)
        _LUTS[key] = hit
    return hit


_LUTS: dict[Any, np.ndarray] = {}
_EMPTY: bytes | None = None


def empty_tile() -> bytes:
    global _EMPTY
    if _EMPTY is None:
        from rio_tiler.utils import render

        _EMPTY = render(np.zeros((1, TILE_SIZE, TILE_SIZE), dtype="uint8"),
                        np.zeros((TILE_SIZE, TILE_SIZE), dtype="uint8"), img_format="PNG")
    return _EMPTY


def render_tile(layer: Layer, z: int, x: int, y: int) -> bytes:
    """The PNG of tile z/x/y (Web Mercator) of ``layer``; a transparent tile outside the raster."""
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    method = "nearest" if layer.kind == "categorical" else "bilinear"
    with Reader(layer.file) as src:
        if not src.tile_exists(x, y, z):
            return empty_tile()
        try:
            img = src.tile(x, y, z, tilesize=TILE_SIZE, indexes=1, resampling_method="nearest",
                           reproject_method=method)
        except TileOutsideBounds:
            return empty_tile()
    if layer.kind == "categorical":
        cmap = {c: _hex_rgba(col) for c, col in class_colours(layer).items()}
        data = img.data[0]
        known = np.isin(data, list(cmap)) if cmap else np.zeros(data.shape, bool)
        mask = (img.mask > 0) & known
        lut = np.zeros((max(cmap, default=0) + 1 if cmap else 1, 4), np.uint8)
        for c, rgba in cmap.items():
            if c >= 0:
                lut[c] = rgba
        idx = np.where(mask, np.clip(data, 0, len(lut) - 1), 0).astype(np.intp)
        rgba = lut[idx]
        rgba[..., 3] = np.where(mask, rgba[..., 3], 0)
    else:
        v = img.data[0].astype("float64")
        mask = (img.mask > 0) & np.isfinite(v)
        t = np.clip((v - layer.vmin) / (layer.vmax - layer.vmin), 0.0, 1.0)
        idx = np.where(mask, np.round(t * 255), 0).astype(np.intp)
        rgba = _lut(layer.ramp or "score")[idx]
        rgba[..., 3] = np.where(mask, 220, 0)
    from rio_tiler.utils import render

    return render(np.moveaxis(rgba[..., :3], -1, 0).copy(), rgba[..., 3].copy(), img_format="PNG")


def legend_of(layer: Layer, lang: str) -> dict[str, Any]:
    from ..core.classes import get_scheme
    from ..report import style

    lang = style.check_lang(lang)
    head = {"layer": layer.id, "kind": layer.kind, "title": layer.title_zh if lang == "zh" else layer.title_en,
            "title_zh": layer.title_zh, "title_en": layer.title_en, "units": layer.units,
            "units_text": style.unit_text(layer.units)}
    if layer.kind == "categorical":
        scheme = get_scheme(layer.scheme) if layer.scheme else None
        colours = class_colours(layer)
        items = []
        for c in layer.codes:
            info = scheme[c] if scheme is not None and c in scheme else None
            zh = info.name_zh if info else f"{style.text('level', 'zh')} {c}"
            en = info.name_en if info else f"class {c}"
            items.append({"code": c, "key": info.key if info else f"class_{c}", "name_zh": zh, "name_en": en,
                          "name": zh if lang == "zh" else en, "colour": colours[c]})
        return {**head, "scheme": layer.scheme, "classes": items}
    lut = _lut(layer.ramp or "score")
    stops = []
    for i in range(11):
        t = i / 10
        r, g, b, _ = (int(v) for v in lut[round(t * 255)])
        stops.append({"value": layer.vmin + t * (layer.vmax - layer.vmin), "colour": f"#{r:02x}{g:02x}{b:02x}"})
    return {**head, "ramp": layer.ramp, "min": layer.vmin, "max": layer.vmax, "stops": stops,
            "note": "colours stretch between the 2nd and 98th percentiles; values beyond take the end colours"}


StudyId = Annotated[str, PathParam(max_length=200, description="study id")]
LayerId = Annotated[str, PathParam(max_length=64, description="layer id from /layers")]


def svc(request: Request) -> Service:
    return request.app.state.service


@router.get("/api/studies/{study}/layers", summary="Raster map layers of a study (land use by year and scenario, "
            "carbon density …) with tile URL templates and legends", tags=["maps"])
async def layers(request: Request, study: StudyId) -> Response:
    s = svc(request)
    await _known(s, study)
    found = await run_in_threadpool(layers_of, s, study)
    body = json.dumps([la.public(study) for la in found], ensure_ascii=False, allow_nan=False)
    return Response(body.encode(), media_type="application/json")


@router.get("/api/studies/{study}/layers/{layer}/legend", summary="Legend of a layer: classes with colours, or "
            "the colour ramp with its values", tags=["maps"])
async def legend(request: Request, study: StudyId, layer: LayerId,
                 lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh") -> Response:
    s = svc(request)
    await _known(s, study)
    la = await run_in_threadpool(_layer, s, study, layer)
    body = json.dumps(legend_of(la, lang), ensure_ascii=False, allow_nan=False)
    return Response(body.encode(), media_type="application/json")


@router.get("/api/studies/{study}/layers/{layer}/tiles/{z}/{x}/{y}.png", summary="One XYZ tile (Web Mercator, "
            "256 px PNG) of a layer", tags=["maps"], responses={200: {"content": {"image/png": {}}}})
async def tile(request: Request, study: StudyId, layer: LayerId,
               z: Annotated[int, PathParam(ge=0, le=24)], x: Annotated[int, PathParam(ge=0, le=2**24)],
               y: Annotated[int, PathParam(ge=0, le=2**24)]) -> Response:
    s = svc(request)
    await _known(s, study)
    if x >= 2**z or y >= 2**z:
        raise NotFound(f"tile {z}/{x}/{y} does not exist; x and y are below 2^z = {2**z}")
    la = await run_in_threadpool(_layer, s, study, layer)
    key = ("tile", la.id, z, x, y)
    png = s.tiles.get(key)
    if png is None:
        png = await run_in_threadpool(render_tile, la, z, x, y)
        s.tiles.put(key, png)
    return Response(png, media_type="image/png", headers={"cache-control": TILE_CACHE_CONTROL})


__all__ = ["Layer", "class_colours", "layers_of", "legend_of", "render_tile", "router"]
