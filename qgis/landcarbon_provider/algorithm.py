"""One QgsProcessingAlgorithm per landcarbon model, generated from the model's spec (``landcarbon spec --json``).

Nothing here names a model: parameters come from the spec's inputs (``specmap.param_defs``), the
command line from the spec's options (``specmap.command_line``), layer styles from the spec's outputs
(``styles``). The run itself is the installed ``landcarbon`` command in a subprocess.
"""

from __future__ import annotations

import glob
import json
import os
import shlex
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsVectorLayer,
)

from . import runner, specmap, styles

#: enum values as the spec's choices (QGIS ≥ 3.18), not indices
_STATIC_ENUMS = hasattr(QgsProcessingParameterEnum, "setUsesStaticStrings")
#: post-processors must outlive the algorithm instance that created them (QGIS keeps raw pointers)
_KEEP: list[Any] = []


def current_lang() -> str:
    """The language of QGIS's interface: "zh" for a Chinese locale, else "en"."""
    try:
        loc = QgsApplication.locale()
    except Exception:  # pragma: no cover - very old QGIS
        loc = ""
    if not loc:
        from qgis.core import QgsSettings

        s = QgsSettings()
        loc = s.value("locale/userLocale", "") or ""
    return specmap.lang_of(str(loc))


def _min_max(path: str) -> tuple[float | None, float | None]:
    """Approximate min and max of band 1 (from overviews or a sample; writes no .aux.xml into the run)."""
    try:
        from osgeo import gdal

        ds = gdal.Open(path)
        lo, hi = ds.GetRasterBand(1).ComputeRasterMinMax(True)
        return float(lo), float(hi)
    except Exception:  # noqa: BLE001 - an all-nodata map: the ramp's default range
        return None, None


class _StyleLayer(QgsProcessingLayerPostProcessorInterface):
    """Applies a QML style (and a name) to an output layer once it is in the project."""

    def __init__(self, qml: str | None):
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API
        if layer is None or not self.qml:
            return
        msg, ok = layer.loadNamedStyle(self.qml)
        if not ok:
            feedback.pushInfo(f"style {self.qml} not applied: {msg}")
        layer.triggerRepaint()


class LandcarbonAlgorithm(QgsProcessingAlgorithm):
    """A landcarbon model as a Processing algorithm (see the module doc)."""

    def __init__(self, model: dict[str, Any], env: dict[str, Any]):
        super().__init__()
        self._model = model
        self._env = env  # {"executable": str, "cache_dir": str, "styles": callable}
        self._lang = env.get("lang") or current_lang()

    # -- identity ----------------------------------------------------------------------------------
    def createInstance(self):  # noqa: N802 - QGIS API
        return LandcarbonAlgorithm(self._model, self._env)

    def name(self):
        return specmap.algorithm_name(self._model)

    def displayName(self):  # noqa: N802
        return specmap.display_name(self._model, self._lang)

    def group(self):
        return specmap.group_of(self._model, self._lang)[1]

    def groupId(self):  # noqa: N802
        return specmap.group_of(self._model, self._lang)[0]

    def tags(self):
        m = self._model
        return [w for w in (m["id"], *m.get("command", []), m.get("title_zh", ""), "landcarbon", "碳") if w]

    def shortDescription(self):  # noqa: N802
        m = self._model
        return m.get("title_zh") if self._lang == "zh" else m.get("title_en")

    def shortHelpString(self):  # noqa: N802
        m, zh = self._model, self._lang == "zh"
        title = f"{m.get('title_zh', '')} / {m.get('title_en', '')}" if zh else m.get("title_en", "")
        cmd = "landcarbon " + " ".join(m.get("command", [m["id"]]))
        parts = [f"<b>{title}</b>", f"<p>{m.get('doc') or ''}</p>" if m.get("doc") else "",
                 f"<p>{'命令行' if zh else 'Command line'}: <code>{cmd}</code>"
                 + (f" · {m['methods']}" if m.get("methods") else "") + "</p>", "<dl>"]
        for p in specmap.param_defs(m, self._lang):
            if p.inp:
                parts.append(f"<dt><b>{p.label}</b> <code>{p.inp['option']}</code></dt><dd>{p.help}</dd>")
        parts.append("</dl><p>" + ("输出" if zh else "Outputs") + ":</p><ul>")
        for o in m.get("outputs", []):
            doc = (o.get("doc_zh") or o.get("doc_en")) if zh else (o.get("doc_en") or "")
            unit = f" [{o['units']}]" if o.get("units") else ""
            parts.append(f"<li><code>{o['name']}</code>{unit}: {doc}</li>")
        parts.append("</ul>")
        return "".join(x for x in parts if x)

    # -- parameters --------------------------------------------------------------------------------
    def initAlgorithm(self, config=None):  # noqa: N802
        defs = specmap.param_defs(self._model, self._lang)
        for p in defs:
            q = self._parameter(p)
            if q is None:
                continue
            if hasattr(q, "setHelp"):
                q.setHelp(p.help)
            if p.advanced:
                q.setFlags(q.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(q)
        self.addOutput(QgsProcessingOutputMultipleLayers("layers", "图层" if self._lang == "zh" else "Layers"))
        self.addOutput(QgsProcessingOutputString("summary", "运行摘要" if self._lang == "zh" else "Run summary"))

    def _parameter(self, p: specmap.ParamDef):
        t, opt = p.type, p.optional
        if t == specmap.RASTER:
            return QgsProcessingParameterRasterLayer(p.name, p.label, optional=opt)
        if t == specmap.RASTERS:
            return QgsProcessingParameterMultipleLayers(p.name, p.label, QgsProcessing.TypeRaster, optional=opt)
        if t == specmap.VECTOR:
            types = [QgsProcessing.TypeVectorPolygon] if p.geometry == "polygon" else [QgsProcessing.TypeVectorAnyGeometry]
            return QgsProcessingParameterFeatureSource(p.name, p.label, types, optional=opt)
        if t == specmap.FIELD:
            return QgsProcessingParameterField(p.name, p.label, parentLayerParameterName=p.parent, optional=opt)
        if t == specmap.FILE:
            q = QgsProcessingParameterFile(p.name, p.label, optional=opt)
            if p.extensions:
                q.setFileFilter(p.extensions)
            return q
        if t in (specmap.NUMBER, specmap.INTEGER):
            typ = QgsProcessingParameterNumber.Double if t == specmap.NUMBER else QgsProcessingParameterNumber.Integer
            q = QgsProcessingParameterNumber(p.name, p.label, typ, defaultValue=p.default, optional=opt or p.default is None)
            if p.minimum is not None:
                q.setMinimum(p.minimum)
            if p.maximum is not None:
                q.setMaximum(p.maximum)
            return q
        if t == specmap.ENUM:
            default = p.default
            if _STATIC_ENUMS and default is not None:  # values are the choices themselves: lang=zh
                default = [p.options[i] for i in default] if p.multiple else p.options[default]
            q = QgsProcessingParameterEnum(p.name, p.label, options=p.options, allowMultiple=p.multiple,
                                           defaultValue=default, optional=opt or p.default is None)
            if _STATIC_ENUMS:
                q.setUsesStaticStrings(True)
            return q
        if t == specmap.BOOLEAN:
            return QgsProcessingParameterBoolean(p.name, p.label, defaultValue=bool(p.default), optional=True)
        if t == "folder":
            return QgsProcessingParameterFolderDestination(p.name, p.label)
        return QgsProcessingParameterString(p.name, p.label, defaultValue=p.default, multiLine=p.multiline,
                                            optional=opt or p.default is not None)

    # -- values ------------------------------------------------------------------------------------
    @staticmethod
    def _given(parameters, name) -> bool:
        v = parameters.get(name)
        return v is not None and v != "" and v != [] and not (hasattr(v, "isNull") and v.isNull())

    def _values(self, parameters, context, feedback) -> dict[str, Any]:
        vals: dict[str, Any] = {}
        names = {i["name"] for i in self._model.get("inputs", [])}
        for p in specmap.param_defs(self._model, self._lang):
            if not p.inp:
                continue
            n, t = p.name, p.type
            if t == specmap.BOOLEAN:
                vals[n] = self.parameterAsBoolean(parameters, n, context) if self._given(parameters, n) else None
                continue
            if not self._given(parameters, n):
                continue
            if t == specmap.RASTER:
                lay = self.parameterAsRasterLayer(parameters, n, context)
                vals[n] = specmap.split_source(lay.source())[0] if lay else None
            elif t == specmap.RASTERS:
                vals[n] = [specmap.split_source(lay.source())[0]
                           for lay in self.parameterAsLayerList(parameters, n, context)] or None
            elif t == specmap.VECTOR:
                path, layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
                    parameters, n, context, ["gpkg", "shp", "geojson", "fgb"], "gpkg", feedback)
                vals[n] = path or None
                sub = ("zone" if n == "zones" else n.rstrip("s")) + "_layer"
                if layer and sub in names and not self._given(parameters, sub):
                    vals[sub] = layer
            elif t == specmap.FIELD:
                fields = self.parameterAsFields(parameters, n, context)
                vals[n] = fields[0] if fields else None
            elif t == specmap.FILE:
                vals[n] = self.parameterAsFile(parameters, n, context) or None
            elif t == specmap.NUMBER:
                vals[n] = self.parameterAsDouble(parameters, n, context)
            elif t == specmap.INTEGER:
                vals[n] = self.parameterAsInt(parameters, n, context)
            elif t == specmap.ENUM:
                if _STATIC_ENUMS:
                    vals[n] = (self.parameterAsEnumStrings(parameters, n, context) if p.multiple
                               else self.parameterAsEnumString(parameters, n, context))
                else:
                    vals[n] = (self.parameterAsEnums(parameters, n, context) if p.multiple
                               else self.parameterAsEnum(parameters, n, context))
            else:
                vals[n] = self.parameterAsString(parameters, n, context) or None
        return vals

    # -- run ---------------------------------------------------------------------------------------
    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        m, lang = self._model, self._lang
        try:
            exe = self._env.get("executable") or runner.find_executable(None)
        except runner.LandcarbonNotFound as err:
            raise QgsProcessingException(str(err)) from None
        vals = self._values(parameters, context, feedback)
        out = self.parameterAsFileOutput(parameters, specmap.OUT, context) or \
            self.parameterAsString(parameters, specmap.OUT, context)
        if not out:
            raise QgsProcessingException("输出目录未给出" if lang == "zh" else "no run folder (out) was given")
        overwrite = self.parameterAsBoolean(parameters, specmap.OVERWRITE, context)
        argv = specmap.command_line(m, vals, out, overwrite)
        feedback.pushCommandInfo("landcarbon " + " ".join(shlex.quote(a) for a in argv))
        feedback.setProgress(1)

        last: list[str] = []

        def on_line(kind: str, text: str) -> None:
            if kind == "error":
                return  # reported once, as the exception's message
            if kind == "warning":
                feedback.pushWarning(("警告: " if lang == "zh" else "warning: ") + text)
            elif kind == "progress":
                pct = specmap.progress_of(text)
                if pct is not None:
                    feedback.setProgress(max(1.0, min(99.0, pct)))
                feedback.pushConsoleInfo(text)
            elif kind == "stdout":
                feedback.pushInfo(text)
            else:
                last.append(text)
                feedback.pushConsoleInfo(text)

        try:
            rc, _, errors = runner.run_streaming(exe, argv, on_line=on_line, is_canceled=feedback.isCanceled)
        except runner.Canceled:
            raise QgsProcessingException("已取消" if lang == "zh" else "canceled") from None
        except OSError as err:
            raise QgsProcessingException(f"{exe}: {err}") from None
        if rc != 0:
            msgs = errors or last[-1:] or [f"landcarbon exited {rc}"]
            raise QgsProcessingException(specmap.readable_error(m, msgs, lang))
        feedback.setProgress(99)
        summary: dict[str, Any] = {}
        sp = Path(out) / "summary.json"
        if sp.is_file():
            try:
                summary = json.loads(sp.read_text(encoding="utf-8"))
            except ValueError:
                summary = {}
        layers = self._outputs(out, vals, context, feedback, summary)
        feedback.setProgress(100)
        return {specmap.OUT: out, "layers": layers, "summary": json.dumps(summary, ensure_ascii=False)}

    # -- outputs -----------------------------------------------------------------------------------
    def _styles(self, vals: dict[str, Any]) -> dict[str, Any]:
        getter = self._env.get("styles")
        scheme = vals.get("scheme")
        try:
            return getter([scheme] if scheme else []) if getter else {}
        except Exception as err:  # styles are a nicety: the run's results stand without them
            return {"error": str(err)}

    def _outputs(self, out, vals, context, feedback, summary) -> list[str]:
        m, lang = self._model, self._lang
        files: list[tuple[str, dict[str, Any]]] = []
        for o in m.get("outputs", []):
            if o.get("kind") not in ("raster", "vector"):
                continue
            for f in sorted(glob.glob(os.path.join(out, o["name"]))):
                files.append((f, o))
        st = self._styles(vals) if files else {}
        if st.get("error"):
            feedback.pushInfo(f"layer styles not available: {st['error']}")
        loaded: list[str] = []
        for f, o in files:
            rel = os.path.relpath(f, out).replace("\\", "/")
            qml = None
            try:
                qml = self._write_style(f, rel, o, vals, st)
            except Exception as err:  # noqa: BLE001 - a style that fails leaves the layer unstyled
                feedback.pushInfo(f"{rel}: no style ({err})")
            loaded.append(f)
            details = QgsProcessingContext.LayerDetails(styles.layer_name(m, rel, lang), context.project(), rel)
            post = _StyleLayer(qml)
            _KEEP.append(post)
            del _KEEP[:-500]
            details.setPostProcessor(post)
            context.addLayerToLoadOnCompletion(f, details)
        for t in summary.get("main_outputs") or []:
            p = os.path.join(out, t)
            if t.lower().endswith(".csv") and os.path.isfile(p):
                details = QgsProcessingContext.LayerDetails(Path(t).stem, context.project(), t)
                if hasattr(QgsProcessingUtils, "LayerHint") and hasattr(details, "layerTypeHint"):
                    details.layerTypeHint = QgsProcessingUtils.LayerHint.Vector
                context.addLayerToLoadOnCompletion(p, details)
                loaded.append(p)
        for o in m.get("outputs", []):
            if o.get("kind") in ("html", "figure"):
                for f in sorted(glob.glob(os.path.join(out, o["name"]))):
                    feedback.pushInfo(("文件: " if lang == "zh" else "file: ") + f)
        return loaded

    def _write_style(self, path: str, rel: str, o: dict[str, Any], vals: dict[str, Any], st: dict[str, Any]) -> str | None:
        """Write ``<file>.qml`` beside an output (QGIS loads it with the layer, in this project and later)."""
        if not st or st.get("error"):
            return None
        qml_path = str(Path(path).with_suffix(".qml"))
        if o.get("kind") == "raster":
            style = styles.raster_style(self._model, rel, vals, st)
            vmin = vmax = None
            if style["kind"] == "ramp":
                vmin, vmax = _min_max(path)
            text = styles.raster_qml(style, st, self._lang, vmin, vmax)
        else:
            lay = QgsVectorLayer(path, "fields", "ogr")
            if not lay.isValid():
                return None
            names = [f.name() for f in lay.fields()]
            vs = styles.vector_style(names, st)
            if vs is None:
                return None
            geom = {0: "point", 1: "line", 2: "polygon"}.get(int(lay.geometryType()), "polygon")
            text = styles.categorised_qml(vs[0], vs[1], self._lang, geom)
        Path(qml_path).write_text(text, encoding="utf-8")
        return qml_path
