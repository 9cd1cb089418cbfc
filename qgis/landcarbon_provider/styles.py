"""QML styles of landcarbon's outputs, from the spec (output units) and ``landcarbon qgis styles``.

Pure Python (no ``qgis`` import). The style of an output follows what the spec says it is:

- units ``class code`` (simulated maps): a paletted renderer with the class scheme's colours and
  names (the scheme is the model's ``scheme`` input, else its default, else national6);
- units ``level …`` (suitability levels), ``class 1-5`` (MCE classes): paletted, 1 = best;
- units ``bit flags`` (control-line conflicts): paletted, one entry per conflict check;
- files the styles document lists by name (``fom_categories.tif``): paletted with those categories;
- any other raster: a colour ramp with its units in the legend: change maps (``*change*``, ``npv*``)
  diverging around 0, densities (``… C/ha``) YlGn, the rest a score ramp;
- vector outputs with a zoning field (``zone_balance3``, ``zone_quadrant``): categorised by that field.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePath
from typing import Any
from xml.sax.saxutils import quoteattr

_HEAD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"{r},{g},{b},{alpha}"


def _hex(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return "#" + h[:6].lower()


def _name(entry: dict[str, Any], lang: str) -> str:
    zh, en = entry.get("name_zh") or "", entry.get("name_en") or str(entry.get("value", ""))
    return (zh or en) if lang == "zh" else en


def paletted_qml(entries: list[dict[str, Any]], lang: str = "en") -> str:
    """A paletted (unique values) raster style: entries ``{value, colour, name_zh, name_en}``."""
    items = "\n".join(
        f'        <paletteEntry value="{int(e["value"])}" color="{_hex(e["colour"])}" alpha="255" '
        f'label={quoteattr(_name(e, lang))}/>' for e in entries)
    return (_HEAD + '<qgis version="3.22.0" styleCategories="Symbology">\n  <pipe>\n'
            '    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">\n'
            '      <rasterTransparency/>\n      <colorPalette>\n' + items + '\n      </colorPalette>\n'
            '    </rasterrenderer>\n    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>\n'
            '    <rasterresampler maxOversampling="2"/>\n  </pipe>\n  <blendMode>0</blendMode>\n</qgis>\n')


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.01 or v == 0:
        return f"{v:.2f}"
    return f"{v:.3g}"


def ramp_qml(colours: list[str], vmin: float, vmax: float, units: str = "") -> str:
    """A single-band pseudocolour style interpolating ``colours`` from ``vmin`` to ``vmax``; the
    legend labels carry the units."""
    if not (vmax > vmin):
        vmax = vmin + 1.0
    n = len(colours)
    unit = f" {units}" if units and units not in ("-",) else ""
    items = []
    for i, c in enumerate(colours):
        v = vmin + (vmax - vmin) * i / (n - 1)
        items.append(f'          <item value="{v!r}" color="{_hex(c)}" alpha="255" label={quoteattr(_fmt(v) + unit)}/>')
    stops = ":".join(f"{i / (n - 1):.4f};{_rgba(c)}" for i, c in enumerate(colours[1:-1], start=1))
    ramp = (f'          <colorramp type="gradient" name="[source]">\n'
            f'            <Option type="Map">\n'
            f'              <Option type="QString" name="color1" value="{_rgba(colours[0])}"/>\n'
            f'              <Option type="QString" name="color2" value="{_rgba(colours[-1])}"/>\n'
            f'              <Option type="QString" name="discrete" value="0"/>\n'
            f'              <Option type="QString" name="rampType" value="gradient"/>\n'
            f'              <Option type="QString" name="stops" value="{stops}"/>\n'
            f'            </Option>\n          </colorramp>\n')
    return (_HEAD + '<qgis version="3.22.0" styleCategories="Symbology">\n  <pipe>\n'
            f'    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" '
            f'classificationMin="{vmin!r}" classificationMax="{vmax!r}">\n'
            '      <rasterTransparency/>\n      <rastershader>\n'
            f'        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" '
            f'minimumValue="{vmin!r}" maximumValue="{vmax!r}" labelPrecision="2">\n' + ramp
            + "\n".join(items) + '\n        </colorrampshader>\n      </rastershader>\n    </rasterrenderer>\n'
            '    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>\n'
            '    <rasterresampler maxOversampling="2"/>\n  </pipe>\n  <blendMode>0</blendMode>\n</qgis>\n')


_GEOM = {"polygon": "fill", "line": "line", "point": "marker"}


def _symbol(i: int, colour: str, geometry: str) -> str:
    kind = _GEOM.get(geometry, "fill")
    cls = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}[kind]
    props = {"fill": {"color": _rgba(colour), "outline_color": "60,60,60,255", "outline_width": "0.26",
                      "outline_width_unit": "MM", "style": "solid", "outline_style": "solid"},
             "line": {"line_color": _rgba(colour), "line_width": "0.6", "line_width_unit": "MM",
                      "line_style": "solid"},
             "marker": {"color": _rgba(colour), "outline_color": "60,60,60,255", "size": "2.4", "name": "circle"}}[kind]
    opts = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in props.items())
    legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())
    return (f'      <symbol type="{kind}" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">\n'
            f'        <layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{opts}</Option>'
            f'{legacy}</layer>\n      </symbol>\n')


def categorised_qml(field: str, entries: list[dict[str, Any]], lang: str = "en", geometry: str = "polygon") -> str:
    """A categorised vector style on ``field``: entries ``{value, colour, name_zh, name_en}``."""
    cats = "\n".join(f'      <category render="true" symbol="{i}" value={quoteattr(str(e["value"]))} '
                     f'label={quoteattr(_name(e, lang))}/>' for i, e in enumerate(entries))
    syms = "".join(_symbol(i, e["colour"], geometry) for i, e in enumerate(entries))
    return (_HEAD + '<qgis version="3.22.0" styleCategories="Symbology">\n'
            f'  <renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" enableorderby="0" '
            'forceraster="0">\n    <categories>\n' + cats + '\n    </categories>\n    <symbols>\n' + syms
            + '    </symbols>\n  </renderer-v2>\n</qgis>\n')


# --------------------------------------------------------------------------------------------------
# which style an output gets


def output_of(model: dict[str, Any], relpath: str) -> dict[str, Any] | None:
    """The spec output a file of the run folder belongs to (by name or glob)."""
    rel = relpath.replace("\\", "/")
    for o in model.get("outputs", []):
        if fnmatch.fnmatchcase(rel, o["name"]) or rel == o["name"]:
            return o
    return None


def _scheme_of(model: dict[str, Any], values: dict[str, Any]) -> str:
    v = values.get("scheme")
    if v:
        return str(v)
    for inp in model.get("inputs", []):
        if inp["name"] == "scheme" and inp.get("default"):
            return str(inp["default"])
    return "national6"


def raster_style(model: dict[str, Any], relpath: str, values: dict[str, Any], styles: dict[str, Any]) -> dict[str, Any]:
    """How to style one raster output: ``{"kind": "paletted", "entries": [...]}`` or
    ``{"kind": "ramp", "ramp": "density" | "change" | "score", "units": ..., "diverging": bool}``."""
    o = output_of(model, relpath) or {}
    units = (o.get("units") or "").strip()
    stem = PurePath(relpath).stem
    fname = PurePath(relpath).name
    named = (styles.get("rasters") or {}).get(fname) or (styles.get("rasters") or {}).get(o.get("name", ""))
    if named:
        return {"kind": "paletted", "entries": named}
    if units == "class code":
        scheme = _scheme_of(model, values)
        schemes = styles.get("schemes") or {}
        key = scheme if scheme in schemes else PurePath(scheme).stem
        entries = schemes.get(key) or schemes.get(scheme)
        if entries:
            return {"kind": "paletted", "entries": entries, "scheme": scheme}
        return {"kind": "ramp", "ramp": "score", "units": units, "diverging": False}
    levels = styles.get("levels") or {}
    if units.startswith("level"):
        evaluation = stem.split("_level")[0]
        scale = "level3" if "level3" in stem else "level5"
        entries = (levels.get(evaluation) or levels.get("generic") or {}).get(scale)
        if entries:
            return {"kind": "paletted", "entries": entries}
    if units.startswith("class 1-5"):
        entries = (levels.get("generic") or {}).get("level5")
        if entries:
            return {"kind": "paletted", "entries": entries}
    if units == "bit flags" and styles.get("conflicts"):
        return {"kind": "paletted", "entries": styles["conflicts"]}
    low = stem.lower()
    if "change" in low or low.startswith("npv") or "gap" in low:
        return {"kind": "ramp", "ramp": "change", "units": units, "diverging": True}
    if "c/ha" in units.lower() or "mg c" in units.lower() or "density" in low or "storage" in low:
        return {"kind": "ramp", "ramp": "density", "units": units, "diverging": False}
    return {"kind": "ramp", "ramp": "score", "units": units, "diverging": False}


def raster_qml(style: dict[str, Any], styles: dict[str, Any], lang: str, vmin: float | None = None,
               vmax: float | None = None) -> str:
    if style["kind"] == "paletted":
        return paletted_qml(style["entries"], lang)
    colours = (styles.get("ramps") or {}).get(style["ramp"]) or ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
    lo, hi = (0.0 if vmin is None else vmin), (1.0 if vmax is None else vmax)
    if style.get("diverging"):
        m = max(abs(lo), abs(hi)) or 1.0
        lo, hi = -m, m
    return ramp_qml(colours, lo, hi, style.get("units") or "")


def vector_style(field_names: list[str], styles: dict[str, Any]) -> tuple[str, list[dict[str, Any]]] | None:
    """``(field, entries)`` of the first zoning field a vector output has, or None."""
    zonings = styles.get("zonings") or {}
    for f in zonings:
        if f in field_names:
            return f, zonings[f]
    return None


def layer_name(model: dict[str, Any], relpath: str, lang: str) -> str:
    """The layer's name in the project: the file name, with the output's units."""
    o = output_of(model, relpath) or {}
    units = o.get("units")
    stem = PurePath(relpath).stem
    return f"{stem} [{units}]" if units and units not in ("-", "class code") else stem


__all__ = ["categorised_qml", "layer_name", "output_of", "paletted_qml", "ramp_qml", "raster_qml", "raster_style",
           "vector_style"]
