/* landcarbon monitoring dashboard: one page over the open-data API of this server.
   Libraries: Leaflet (map) and ECharts (charts), served by this server from npm; no other request leaves it.
   Words of the data (classes, zoning, status, indicator and scenario names) come from the API; the words of
   the page itself are below. */
(function () {
  "use strict";

  var UI = {
    zh: {
      title: "国土空间碳监测评估", study: "研究", scenario: "情景", year: "年份", layer: "图层", indicator: "指标",
      pick_zone: "点击地图上的分区", compare: "情景对比", table: "指标监测表", csv: "下载 CSV", runs: "运行进度",
      footer: "数据来自研究成果目录；页面不访问任何外部服务。", observed: "观测", zone: "分区", value: "数值",
      unit: "单位", target: "目标", status: "状态", none: "无", zoning: "碳补偿分区", region: "全域",
      no_runs: "没有从接口启动的运行。", no_data: "无数据", emission: "碳排放", absorption: "碳吸收",
      net: "净碳排放", zoning_class: "补偿分区", trend: "趋势", balance: "碳收支", area: "面积",
      assets_missing: "页面所需的脚本库缺失：", loading: "加载中…", error: "出错："
    },
    en: {
      title: "Territorial carbon monitoring", study: "Study", scenario: "Scenario", year: "Year", layer: "Layer",
      indicator: "Indicator", pick_zone: "Click a zone on the map", compare: "Scenario comparison",
      table: "Indicator monitoring table", csv: "Download CSV", runs: "Runs", footer:
      "Data from the study results catalog; this page calls no outside service.", observed: "observed",
      zone: "Zone", value: "Value", unit: "Unit", target: "Target", status: "Status", none: "none",
      zoning: "Carbon compensation zoning", region: "whole region", no_runs: "No run started through the API.",
      no_data: "no data", emission: "Emission", absorption: "Absorption", net: "Net emission",
      zoning_class: "Compensation zone", trend: "Trend", balance: "Carbon balance", area: "Area",
      assets_missing: "Scripts missing: ", loading: "loading…", error: "error: "
    }
  };

  var S = {
    lang: "zh", study: null, studyRow: null, scenarios: [], years: [], zonesGeo: null, zoneById: {},
    layers: [], defs: {}, words: null, zone: null, indicator: null, balance: { items: [], legend: {} },
    scenario: "", year: null, layerKey: "landuse", map: null, zoneLayer: null, raster: null, legend: null,
    charts: {}, pending: 0, rev: 0
  };

  // ---------------------------------------------------------------------------------------------- helpers

  function t(key) { return (UI[S.lang] && UI[S.lang][key]) || key; }
  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function busy(delta) {
    S.pending += delta;
    if (S.pending <= 0) { S.pending = 0; S.rev += 1; document.body.dataset.state = "idle"; document.body.dataset.rev = S.rev; }
    else { document.body.dataset.state = "busy"; }
  }
  function get(url) {
    busy(1);
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { return r.json().catch(function () { return {}; }).then(function (b) { throw new Error(url + ": " + r.status + " " + (b.detail || "")); }); }
      return r.json();
    }).finally(function () { busy(-1); });
  }
  function qs(params) {
    var u = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === undefined || v === null) return;
      (Array.isArray(v) ? v : [v]).forEach(function (x) { u.append(k, x); });
    });
    return u.toString();
  }
  // the numbers as the report prints them (landcarbon.report.style.fmt_number)
  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    var a = Math.abs(v);
    if (digits === undefined) digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 0.1 ? 2 : 4;
    var s = Number(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return s.charAt(0) === "-" ? "−" + s.slice(1) : s;
  }
  function term(key) { var w = S.words && S.words.terms[key]; return w ? w[S.lang] : key; }
  function scenarioName(id) {
    if (id === "") return t("observed");
    var row = S.scenarios.find(function (r) { return r.scenario === id; });
    var known = S.words && S.words.scenarios[id];
    if (row && (S.lang === "zh" ? row.name : row.name_en)) return S.lang === "zh" ? row.name : row.name_en;
    if (known) return known[S.lang];
    return id;
  }
  function zoneName(id) {
    if (id === "") return t("region");
    var z = S.zoneById[id];
    if (!z) return id;
    return (S.lang === "zh" ? z.name : z.name_en) || z.name || id;
  }
  function indName(id) {
    var d = S.defs[id];
    if (!d) return id;
    return (S.lang === "zh" ? d.name_zh : d.name_en) || id;
  }
  function statusBadge(status, trend) {
    if (!status) return '<span class="status none" data-status="">–</span>';
    var w = S.words.status[status];
    var label = trend ? w["trend_" + S.lang] : w[S.lang];
    return '<span class="status" data-status="' + esc(status) + '" style="background:' + w.colour + '">' + esc(label) + "</span>";
  }
  function unitText(u) {
    return String(u || "").replace("10^4", "10⁴").replace("10^8", "10⁸").replace("CO2", "CO₂").replace("km2", "km²").replace("m2", "m²");
  }
  function scenarioColour(i) { var c = S.words.scenario_colours; return c[i % c.length]; }
  function chart(id) {
    if (!S.charts[id]) { S.charts[id] = echarts.init($(id), null, { renderer: "canvas" }); }
    return S.charts[id];
  }
  function note(msg) {
    var n = $("notice");
    if (!n) { n = document.createElement("p"); n.id = "notice"; document.body.insertBefore(n, document.querySelector("main")); }
    n.textContent = msg;
  }

  // ---------------------------------------------------------------------------------------------- language

  function applyLang() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.dataset.i18n); });
    document.title = "landcarbon · " + t("title");
    $("lang-zh").classList.toggle("on", S.lang === "zh");
    $("lang-en").classList.toggle("on", S.lang === "en");
    document.body.dataset.lang = S.lang;
  }

  function setLang(lang) {
    S.lang = lang;
    try { localStorage.setItem("landcarbon.lang", lang); } catch (e) { /* private mode */ }
    applyLang();
    fillSelects();
    drawRuns();
    refresh();
  }

  // ---------------------------------------------------------------------------------------------- selects

  function targetYears() { return S.years.filter(function (y) { return y.kind === "target"; }).map(function (y) { return y.year; }); }
  function observedYears() { return S.years.filter(function (y) { return y.kind !== "target"; }).map(function (y) { return y.year; }); }
  function yearsFor(scenario) { return scenario === "" ? observedYears() : observedYears().concat(targetYears()); }

  function fillSelects() {
    var sc = $("scenario");
    sc.innerHTML = [""].concat(S.scenarios.map(function (r) { return r.scenario; })).map(function (id) {
      return '<option value="' + esc(id) + '"' + (id === S.scenario ? " selected" : "") + ">" + esc(scenarioName(id)) + "</option>";
    }).join("");
    var ys = yearsFor(S.scenario);
    if (ys.indexOf(S.year) < 0) S.year = ys[ys.length - 1];
    $("year").innerHTML = ys.map(function (y) {
      return '<option value="' + y + '"' + (y === S.year ? " selected" : "") + ">" + y + "</option>";
    }).join("");
    var ind = $("indicator");
    ind.innerHTML = Object.keys(S.defs).map(function (id) {
      return '<option value="' + esc(id) + '"' + (id === S.indicator ? " selected" : "") + ">" + esc(indName(id)) + "</option>";
    }).join("");
    fillLayers();
  }

  function layerKeyOf(l) { return l.kind === "categorical" ? "landuse" : l.path.split("/").pop().replace(/\.tiff?$/i, "").replace(/_?(1[89]|2[01])\d\d/, ""); }
  function layersNow() {
    return S.layers.filter(function (l) {
      return l.year === S.year && (l.scenario === S.scenario || l.scenario === "");
    });
  }
  function balanceRows(zone) {
    var sc = targetYears().indexOf(S.year) >= 0 ? S.scenario : "";
    return S.balance.items.filter(function (r) {
      return r.year === S.year && r.scenario === sc && (zone === undefined || r.zone === zone);
    });
  }

  function fillLayers() {
    var opts = layersNow().map(function (l) {
      return { key: layerKeyOf(l), id: l.id, label: S.lang === "zh" ? l.title_zh : l.title_en };
    });
    if (balanceRows().length) opts.push({ key: "zoning", id: "zoning", label: t("zoning") });
    opts.push({ key: "none", id: "none", label: t("none") });
    if (!opts.some(function (o) { return o.key === S.layerKey; })) S.layerKey = opts[0].key;
    $("layer").innerHTML = opts.map(function (o) {
      return '<option value="' + esc(o.key) + '" data-layer="' + esc(o.id) + '"' + (o.key === S.layerKey ? " selected" : "") + ">" + esc(o.label) + "</option>";
    }).join("");
  }

  // ---------------------------------------------------------------------------------------------- map

  function zoneStyle(feature) {
    var base = { color: "#333", weight: 1.5, fillOpacity: 0.04, fillColor: "#ffffff" };
    if (S.layerKey === "zoning") {
      var r = balanceRows(feature.id)[0];
      var cls = r && r.zone_balance3;
      base.fillColor = cls && S.words.zoning[cls] ? S.words.zoning[cls].colour : "#cccccc";
      base.fillOpacity = 0.75;
    }
    if (feature.id === S.zone) { base.color = "#000"; base.weight = 3.5; }
    return base;
  }

  function drawZones() {
    if (S.zoneLayer) S.map.removeLayer(S.zoneLayer);
    S.zoneLayer = L.geoJSON(S.zonesGeo, {
      style: zoneStyle,
      onEachFeature: function (feature, layer) {
        layer.options.className = "zone zone-" + String(feature.id).replace(/[^A-Za-z0-9_-]/g, "_");
        layer.on("click", function () { selectZone(feature.id); });
        layer.bindTooltip(function () { return esc(zoneName(feature.id)); }, { sticky: true });
      }
    }).addTo(S.map);
    S.zoneLayer.bringToFront();
  }

  function showLayer() {
    if (S.raster) { S.map.removeLayer(S.raster); S.raster = null; }
    var opt = $("layer").selectedOptions[0];
    var id = opt ? opt.dataset.layer : "none";
    document.body.dataset.layer = id;
    var layer = S.layers.find(function (l) { return l.id === id; });
    if (layer) {
      var b = layer.bounds;
      S.raster = L.tileLayer(layer.tiles, {
        bounds: L.latLngBounds([b[1], b[0]], [b[3], b[2]]), maxNativeZoom: layer.maxzoom, maxZoom: 20,
        minZoom: 0, opacity: 0.92, className: "raster-" + layer.id
      });
      S.raster.on("loading", function () { document.body.dataset.tiles = "loading"; });
      S.raster.on("load", function () { document.body.dataset.tiles = "loaded:" + layer.id; });
      S.raster.addTo(S.map);
    } else {
      document.body.dataset.tiles = "none";
    }
    S.zoneLayer.setStyle(zoneStyle);
    S.zoneLayer.bringToFront();
    drawLegend(layer);
  }

  function drawLegend(layer) {
    var box = S.legend.getContainer();
    if (S.layerKey === "zoning") {
      var items = S.balance.legend.zone_balance3 || [];
      box.innerHTML = "<h4>" + esc(t("zoning")) + "</h4>" + items.map(function (c) {
        return '<div><i style="background:' + c.colour + '"></i>' + esc(S.lang === "zh" ? c.name_zh : c.name_en) + "</div>";
      }).join("");
      return;
    }
    if (!layer) { box.innerHTML = ""; return; }
    get(layer.legend + "?lang=" + S.lang).then(function (lg) {
      if (lg.kind === "categorical") {
        box.innerHTML = "<h4>" + esc(lg.title) + "</h4>" + lg.classes.map(function (c) {
          return '<div data-code="' + c.code + '"><i style="background:' + c.colour + '"></i>' + esc(c.name) + "</div>";
        }).join("");
      } else {
        var grad = lg.stops.map(function (s, i) { return s.colour + " " + (i * 10) + "%"; }).join(",");
        box.innerHTML = "<h4>" + esc(lg.title) + (lg.units ? " (" + esc(unitText(lg.units)) + ")" : "") + "</h4>" +
          '<div class="ramp" style="background:linear-gradient(to right,' + grad + ')"></div>' +
          '<div class="ends"><span>' + fmt(lg.min) + "</span><span>" + fmt(lg.max) + "</span></div>";
      }
    }).catch(function (e) { box.textContent = t("error") + e.message; });
  }

  // ---------------------------------------------------------------------------------------------- zone panel

  function selectZone(id) {
    S.zone = id;
    S.zoneLayer.setStyle(zoneStyle);
    showZone();
    drawCompare();
  }

  function rowScenarios() { return S.scenario === "" ? [""] : [S.scenario, ""]; }

  function showZone() {
    var id = S.zone;
    if (id === null) return;
    var panel = $("zone-panel");
    panel.dataset.zone = id;
    $("zone-name").textContent = zoneName(id);
    var z = S.zoneById[id] || {};
    $("zone-meta").textContent = (z.area_ha ? t("area") + " " + fmt(z.area_ha) + " ha · " : "") +
      scenarioName(S.scenario) + " · " + S.year;
    var url = "/api/studies/" + encodeURIComponent(S.study) + "/indicators?" +
      qs({ zone: id, year: S.year, scenario: rowScenarios(), limit: 1000 });
    get(url).then(function (page) {
      var rows = page.items.filter(function (r) { return r.scenario === S.scenario || (targetYears().indexOf(S.year) < 0 && r.scenario === ""); });
      $("zone-indicators").innerHTML = "<thead><tr><th>" + t("indicator") + "</th><th>" + t("value") + "</th><th>" +
        t("unit") + "</th><th>" + t("target") + "</th><th>" + t("status") + "</th></tr></thead><tbody>" +
        (rows.length ? rows.map(function (r) {
          return '<tr data-indicator="' + esc(r.indicator) + '"><td>' + esc(indName(r.indicator)) + '</td><td class="value" data-indicator="' +
            esc(r.indicator) + '" data-value="' + r.value + '">' + fmt(r.value) + "</td><td>" + esc(unitText(r.unit)) +
            '</td><td class="num">' + (r.target === null ? "–" : fmt(r.target)) + "</td><td>" + statusBadge(r.status, r.trend) + "</td></tr>";
        }).join("") : '<tr><td colspan="5">' + t("no_data") + "</td></tr>") + "</tbody>";
      panel.dataset.loaded = id + "|" + S.scenario + "|" + S.year + "|" + S.lang;
    }).catch(function (e) { $("zone-indicators").textContent = t("error") + e.message; });
    var b = balanceRows(id)[0];
    $("zone-balance").innerHTML = b ? "<table class='grid'><tr><td>" + t("emission") + "</td><td class='num'>" + fmt(b.emission_tCO2e) +
      " t CO₂e</td></tr><tr><td>" + t("absorption") + "</td><td class='num'>" + fmt(b.absorption_tCO2) + " t CO₂</td></tr><tr><td>" +
      t("net") + "</td><td class='num'>" + fmt(b.NCE_tCO2e) + " t CO₂e</td></tr><tr><td>" + t("zoning_class") + "</td><td>" +
      (b.zone_balance3 ? '<span class="status" style="background:' + S.words.zoning[b.zone_balance3].colour + '">' +
        esc(S.words.zoning[b.zone_balance3][S.lang]) + "</span>" : "–") + "</td></tr></table>" : "";
    drawTrend();
    drawBalance();
  }

  function drawTrend() {
    var zone = S.zone === null ? "" : S.zone;
    var ind = S.indicator;
    if (!ind) return;
    get("/api/studies/" + encodeURIComponent(S.study) + "/series?" + qs({ indicator: ind, zone: zone })).then(function (s) {
      var obs = s.items.filter(function (r) { return r.scenario === ""; });
      var scen = S.scenarios.map(function (r) { return r.scenario; });
      var years = Array.from(new Set(s.items.map(function (r) { return r.year; }))).sort();
      var last = obs[obs.length - 1];
      var series = [{ name: t("observed"), type: "line", symbolSize: 7, color: "#333",
        data: years.map(function (y) { var r = obs.find(function (o) { return o.year === y; }); return r ? r.value : null; }) }];
      scen.forEach(function (sc, i) {
        var rows = s.items.filter(function (r) { return r.scenario === sc; });
        if (!rows.length) return;
        series.push({ name: scenarioName(sc), type: "line", lineStyle: { type: "dashed" }, color: scenarioColour(i), connectNulls: true,
          data: years.map(function (y) {
            var r = rows.find(function (o) { return o.year === y; });
            if (r) return r.value;
            return last && y === last.year ? last.value : null;
          }) });
      });
      var unit = s.items.length ? unitText(s.items[0].unit) : "";
      chart("chart-trend").setOption({
        title: { text: indName(ind) + " · " + zoneName(zone), textStyle: { fontSize: 13 } },
        tooltip: { trigger: "axis" }, legend: { bottom: 0, type: "scroll" }, grid: { left: 56, right: 16, top: 36, bottom: 48 },
        xAxis: { type: "category", data: years, name: term("year") },
        yAxis: { type: "value", name: unit, scale: true }, series: series
      }, true);
    });
  }

  function drawBalance() {
    var zone = S.zone;
    var rows = S.balance.items.filter(function (r) { return r.zone === zone; });
    var el = $("chart-balance");
    if (!rows.length) { el.style.display = "none"; return; }
    el.style.display = "";
    var cats = rows.map(function (r) { return (r.scenario === "" ? t("observed") : scenarioName(r.scenario)) + " " + r.year; });
    chart("chart-balance").setOption({
      title: { text: t("balance"), textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis" },
      legend: { bottom: 0 }, grid: { left: 64, right: 16, top: 36, bottom: 48 },
      xAxis: { type: "category", data: cats, axisLabel: { interval: 0, width: 110, overflow: "break" } },
      yAxis: { type: "value", name: "t CO₂e" },
      series: [
        { name: t("emission"), type: "bar", color: "#d7301f", data: rows.map(function (r) { return r.emission_tCO2e; }) },
        { name: t("absorption"), type: "bar", color: "#2e8b3a", data: rows.map(function (r) { return r.absorption_tCO2; }) }
      ]
    }, true);
    chart("chart-balance").resize();
  }

  // ---------------------------------------------------------------------------------------------- comparison, table

  function drawCompare() {
    var zone = S.zone === null ? "" : S.zone;
    var ind = S.indicator;
    if (!ind) return;
    get("/api/studies/" + encodeURIComponent(S.study) + "/indicators?" + qs({ indicator: ind, zone: zone, limit: 1000 })).then(function (page) {
      var years = Array.from(new Set(page.items.map(function (r) { return r.year; }))).sort();
      var groups = [""].concat(S.scenarios.map(function (r) { return r.scenario; }));
      var series = groups.map(function (sc, i) {
        return { name: scenarioName(sc), type: "bar", color: sc === "" ? "#888888" : scenarioColour(i - 1),
          data: years.map(function (y) {
            var r = page.items.find(function (o) { return o.scenario === sc && o.year === y; });
            return r ? { value: r.value, itemStyle: r.status ? { borderColor: S.words.status[r.status].colour, borderWidth: 2 } : {} } : null;
          }) };
      }).filter(function (s) { return s.data.some(function (d) { return d !== null; }); });
      var unit = page.items.length ? unitText(page.items[0].unit) : "";
      chart("chart-compare").setOption({
        title: { text: indName(ind) + " · " + zoneName(zone), textStyle: { fontSize: 13 } },
        tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 64, right: 16, top: 36, bottom: 48 },
        xAxis: { type: "category", data: years, name: term("year") }, yAxis: { type: "value", name: unit },
        series: series
      }, true);
    });
  }

  function loadTable() {
    var params = { year: S.year, scenario: rowScenarios(), limit: 10000 };
    var base = "/api/studies/" + encodeURIComponent(S.study) + "/indicators?";
    $("csv-link").href = base + qs(Object.assign({}, params, { format: "csv" }));
    get(base + qs(params)).then(function (page) {
      var rows = page.items.filter(function (r) { return r.scenario === S.scenario || (targetYears().indexOf(S.year) < 0 && r.scenario === ""); });
      $("indicator-table").innerHTML = "<thead><tr><th>" + t("zone") + "</th><th>" + t("indicator") + "</th><th>" + t("value") +
        "</th><th>" + t("unit") + "</th><th>" + t("target") + "</th><th>" + t("status") + "</th></tr></thead><tbody>" +
        rows.map(function (r) {
          return '<tr data-zone="' + esc(r.zone) + '"><td>' + esc(zoneName(r.zone)) + "</td><td>" + esc(indName(r.indicator)) +
            '</td><td class="value">' + fmt(r.value) + "</td><td>" + esc(unitText(r.unit)) + '</td><td class="num">' +
            (r.target === null ? "–" : fmt(r.target)) + "</td><td>" + statusBadge(r.status, r.trend) + "</td></tr>";
        }).join("") + "</tbody>";
    });
  }

  // ---------------------------------------------------------------------------------------------- runs

  function drawRuns() {
    var runs = S.runs || [];
    $("runs").innerHTML = runs.length ? runs.map(function (r) {
      var p = r.progress || {};
      var pct = p.fraction === null || p.fraction === undefined ? 0 : Math.round(p.fraction * 100);
      return '<div class="run" data-run="' + esc(r.id) + '" data-status="' + esc(r.status) + '"><b>' + esc(r.study) + "</b> " +
        esc(r.status) + '<span class="progress"><span style="width:' + pct + '%"></span></span>' +
        (p.total ? p.finished + "/" + p.total : "") + (p.running && p.running.length ? " · " + esc(p.running.join(", ")) : "") + "</div>";
    }).join("") : esc(t("no_runs"));
  }

  function loadRuns() {
    fetch("/api/runs").then(function (r) { return r.ok ? r.json() : []; }).then(function (runs) {
      S.runs = runs;
      drawRuns();
      var active = runs.some(function (r) { return ["queued", "running", "cancelling"].indexOf(r.status) >= 0; });
      setTimeout(loadRuns, active ? 2000 : 10000);
    }).catch(function () { setTimeout(loadRuns, 15000); });
  }

  // ---------------------------------------------------------------------------------------------- flow

  function refresh() {
    fillLayers();
    showLayer();
    loadTable();
    drawCompare();
    if (S.zone !== null) showZone(); else drawTrend();
  }

  function loadStudy(study) {
    S.study = study;
    S.studyRow = S.studies.find(function (r) { return r.study === study; });
    var base = "/api/studies/" + encodeURIComponent(study);
    return Promise.all([get(base + "/scenarios"), get(base + "/years"), get(base + "/zones"), get(base + "/layers"),
      get(base + "/indicator-definitions"), get(base + "/balance")]).then(function (res) {
      S.scenarios = res[0]; S.years = res[1]; S.zonesGeo = res[2]; S.layers = res[3]; S.balance = res[5];
      S.defs = {}; res[4].forEach(function (d) { S.defs[d.indicator] = d; });
      S.zoneById = {}; S.zonesGeo.features.forEach(function (f) { S.zoneById[f.id] = f.properties; });
      S.indicator = S.indicator && S.defs[S.indicator] ? S.indicator : Object.keys(S.defs)[0] || null;
      var base = S.years.find(function (y) { return y.is_base; });
      S.scenario = "";
      S.year = base ? base.year : observedYears().slice(-1)[0];
      S.zone = null;
      drawZones();
      if (S.zonesGeo.features.length) S.map.fitBounds(S.zoneLayer.getBounds(), { padding: [10, 10] });
      fillSelects();
      refresh();
    });
  }

  function init() {
    if (typeof L === "undefined" || typeof echarts === "undefined") { note(UI.zh.assets_missing + " Leaflet / ECharts"); return; }
    var params = new URLSearchParams(location.search);
    var stored = null;
    try { stored = localStorage.getItem("landcarbon.lang"); } catch (e) { /* private mode */ }
    S.map = L.map("map", { attributionControl: false, zoomSnap: 0.25 });
    S.legend = L.control({ position: "bottomright" });
    S.legend.onAdd = function () { var d = L.DomUtil.create("div", "legend"); d.id = "legend"; return d; };
    S.legend.addTo(S.map);
    window.addEventListener("resize", function () { Object.keys(S.charts).forEach(function (k) { S.charts[k].resize(); }); });
    $("lang-zh").onclick = function () { setLang("zh"); };
    $("lang-en").onclick = function () { setLang("en"); };
    $("scenario").onchange = function (e) { S.scenario = e.target.value; fillSelects(); refresh(); };
    $("year").onchange = function (e) { S.year = Number(e.target.value); fillLayers(); refresh(); };
    $("layer").onchange = function (e) { S.layerKey = e.target.value; showLayer(); };
    $("indicator").onchange = function (e) { S.indicator = e.target.value; drawTrend(); drawCompare(); };
    $("study").onchange = function (e) { loadStudy(e.target.value); };
    Promise.all([get("/api/words"), get("/api/studies")]).then(function (res) {
      S.words = res[0]; S.studies = res[1];
      if (!S.studies.length) { note("no study in the catalog"); return; }
      var want = params.get("study");
      var study = S.studies.some(function (r) { return r.study === want; }) ? want : S.studies[0].study;
      var row = S.studies.find(function (r) { return r.study === study; });
      S.lang = params.get("lang") || stored || (row && row.language) || "zh";
      if (!UI[S.lang]) S.lang = "zh";
      $("study").innerHTML = S.studies.map(function (r) {
        return '<option value="' + esc(r.study) + '"' + (r.study === study ? " selected" : "") + ">" + esc(r.name || r.study) + "</option>";
      }).join("");
      applyLang();
      return loadStudy(study);
    }).then(loadRuns).catch(function (e) { note(t("error") + e.message); });
  }

  window.landcarbonDashboard = S;
  document.addEventListener("DOMContentLoaded", init);
})();
