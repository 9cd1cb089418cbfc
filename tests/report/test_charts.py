"""Every chart renders in zh and en from small synthetic run folders: no missing glyph, no offset text
on axes, PNG + SVG; conflicts have one legend entry per category, zoning titles the year, balance
charts the zone names."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from landcarbon.core.grid import grid_of
from landcarbon.io import write_csv, write_gpkg, write_raster
from landcarbon.report import charts_carbon, charts_plan, maps, sankey, style
from landcarbon.testing import make_lulc

ZONES = ["城关区", "新港区", "青山县"]


@pytest.fixture
def figures(monkeypatch):
    """Each figure a chart saves (kept open for the test), and glyph warnings as errors."""
    made = []
    save = style.save_figure

    def keep(fig, path, **kw):
        made.append(fig)
        return save(fig, path, **{**kw, "close": False})

    monkeypatch.setattr(style, "save_figure", keep)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        yield made
    for f in made:
        style.plt().close(f)


def _no_offset(fig):
    for ax in fig.axes:
        for a in (ax.xaxis, ax.yaxis):
            assert a.get_offset_text().get_text() == "", (ax.get_title(), a.get_offset_text().get_text())


def _both(png):
    assert png.suffix == ".png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.with_suffix(".svg").stat().st_size > 1000


@pytest.fixture
def balance_run(tmp_path):
    d = tmp_path / "balance"
    geoms = [box(500_000 + 3000 * i, 3_300_000, 503_000 + 3000 * i, 3_303_000) for i in range(3)]
    gdf = gpd.GeoDataFrame({"zone": ZONES, "year": [2023] * 3, "zone_balance3": ["payment", "balance", "receiving"],
                            "zone_quadrant": ["economic_development", "high_carbon_optimisation",
                                              "carbon_sink_function"]}, geometry=geoms, crs="EPSG:32650")
    write_gpkg(gdf, d / "zoning.gpkg")
    bal = pd.DataFrame({"zone": ZONES * 2, "year": [2022] * 3 + [2023] * 3,
                        "emission_tCO2e": [2.6e6, 5.9e6, 3.4e5, 2.7e6, 6.0e6, 3.6e5],
                        "absorption_tCO2": [2.6e3, 1.0e3, 1.4e4, 2.6e3, 1.0e3, 1.4e4]})
    bal["NCE_tCO2e"] = bal["emission_tCO2e"] - bal["absorption_tCO2"]
    write_csv(bal, d / "balance_by_zone.csv")
    return d


@pytest.fixture
def peak_run(tmp_path):
    d = tmp_path / "peak"
    years = np.arange(2023, 2061)
    rows = []
    for s, k in (("baseline", 2035), ("low_carbon", 2026)):
        e = 2000 - (years - k) ** 2 * 0.8
        rows += [{"scenario": s, "year": y, "emissions_1e4tCO2": v, "p05_1e4tCO2": v - 50, "p95_1e4tCO2": v + 50}
                 for y, v in zip(years, e)]
    write_csv(pd.DataFrame(rows), d / "projection.csv")
    write_csv(pd.DataFrame({"scenario": ["baseline", "low_carbon"], "peak_year": [2035, 2026],
                            "peak_value": [2000.0, 2000.0], "status": ["peaked", "peaked"]}), d / "peaks.csv")
    hy = np.arange(2005, 2023)
    write_csv(pd.DataFrame({"year": hy, "observed_1e4tCO2": 900 + 50 * (hy - 2005),
                            "fitted_1e4tCO2": 905 + 50 * (hy - 2005)}), d / "fitted.csv")
    return d


@pytest.fixture
def planning_run(tmp_path):
    d = tmp_path / "planning"
    lev = make_lulc([[1, 2, 3, 0], [2, 3, 4, 5], [3, 4, 5, 5]], nodata=0, dtype="uint8", cell_size=30.0)
    write_raster(lev.values, d / "agriculture_level5.tif", grid_of(lev), nodata=0, dtype="uint8")
    conf = make_lulc([[0, 1, 1, 3], [0, 2, 2, 0], [0, 0, 1, 0]], nodata=None, dtype="uint16", cell_size=30.0)
    write_raster(conf.values, d / "conflicts.tif", grid_of(conf), dtype="uint16")
    write_csv(pd.DataFrame({"solution": range(4), "obj_carbon": [1.2e10, 1.2e10 + 2e6, 1.2e10 + 4e6, 1.2e10 + 5e6],
                            "obj_economy": [5.0e9, 4.9e9, 4.7e9, 4.4e9], "chosen": [False, True, False, False],
                            "compromise_method": "ideal"}), d / "pareto_front.csv")
    return d


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_zoning_maps_show_the_year_and_zone_names(balance_run, figures, lang):
    p3 = charts_carbon.zoning_choropleth(balance_run, lang=lang)
    pq = charts_carbon.zoning_choropleth(balance_run, scheme="zone_quadrant", lang=lang)
    _both(p3)
    _both(pq)
    for fig in figures:
        ax = fig.axes[0]
        assert "2023" in ax.get_title()
        assert {t.get_text() for t in ax.texts} >= set(ZONES)  # names, not "#n"
        _no_offset(fig)
    leg3 = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    assert leg3 == (["支付区", "平衡区", "受偿区"] if lang == "zh" else ["payment zone", "balanced zone",
                                                                        "receiving zone"])


def test_zoning_names_can_be_translated(balance_run, figures):
    names = {"城关区": "Chengguan", "新港区": "Xingang", "青山县": "Qingshan"}
    charts_carbon.zoning_choropleth(balance_run, lang="en", zone_names=names, year=2023)
    assert {t.get_text() for t in figures[0].axes[0].texts} >= set(names.values())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_balance_bars_use_zone_names(balance_run, figures, lang):
    png = charts_carbon.balance_bars(balance_run, lang=lang, year=2022)
    _both(png)
    ax = figures[0].axes[0]
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(ZONES)
    assert "2022" in ax.get_title()
    assert ("碳" in ax.get_xlabel()) == (lang == "zh")
    _no_offset(figures[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_peak_chart(peak_run, figures, lang):
    _both(charts_carbon.peak_chart(peak_run, lang=lang))
    ax = figures[0].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert ("基准情景" in labels) == (lang == "zh") and ("baseline" in labels) == (lang == "en")
    assert "10⁴ t CO₂/a" in ax.get_ylabel()  # units from the peak spec
    _no_offset(figures[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_planning_charts(planning_run, figures, lang):
    made = charts_plan.render_run(planning_run, lang=lang, year=2030)
    assert [p.name for p in made] == ["agriculture_level5.png", "conflicts.png", "pareto_front.png"]
    for p in made:
        _both(p)
    suit, conf, pareto = (f.axes[0] for f in figures)
    assert suit.get_title().startswith("农业生产适宜性" if lang == "zh" else "Agricultural production suitability")
    assert "agriculture_level5" not in suit.get_title() and "2030" in suit.get_title()
    assert len(suit.get_legend().get_texts()) == 5
    # conflicts: bits 1 and 2 and cells with both (3): three categories, three colours
    entries = conf.get_legend().get_texts()
    names = style.conflict_names(lang)
    joined = [t.get_text().replace("\n", " " if lang == "en" else "") for t in entries]  # long names wrap
    assert joined == [names[1], names[2], style.text("conflict_multiple", lang)]
    colours = {tuple(h.get_facecolor()) for h in conf.get_legend().legend_handles}
    assert len(colours) == 3
    # Pareto axes: plain numbers with separators, no 1e10 offset
    for f in figures:
        _no_offset(f)
    ticks = [t.get_text() for t in pareto.get_xticklabels() if t.get_text()]
    assert ticks and all("," in t and "e" not in t for t in ticks), ticks
    assert ("碳储量" in pareto.get_xlabel()) == (lang == "zh") and "Mg C" in pareto.get_xlabel()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_maps_and_sankey(tmp_path, figures, lang):
    lu = make_lulc([[1, 1, 2, 2], [1, 3, 3, 5], [6, 6, 5, 0]], nodata=0, crs="EPSG:4326", cell_size=0.05,
                   origin=(110.0, 30.0))
    out = maps.landuse_map(lu, tmp_path / "lu.png", scheme="national6", lang=lang, year=2020, scenario="baseline")
    _both(out.png)
    ax = figures[-1].axes[0]
    assert "2020" in ax.get_title()
    leg = [t.get_text() for t in ax.get_legend().get_texts()]
    assert leg == [style.class_names("national6", lang)[c] for c in (1, 2, 3, 5, 6)]
    dens = lu.copy(data=np.where(lu.values > 0, lu.values * 20.0, np.nan))
    info = maps.density_map(dens, tmp_path / "d.png", lang=lang, year=2020, formats=("png", "svg"))
    assert info["lang"] == lang and info["svg"].endswith("d.svg") and "2020" in figures[-1].axes[0].get_title()
    ch = maps.change_map(dens - 50.0, tmp_path / "c.png", lang=lang, years=(2010, 2020))
    _both(ch.png)
    m = np.array([[50.0, 5.0, 0.0], [2.0, 30.0, 1.0], [0.0, 0.0, 12.0]])
    png = sankey.sankey_png(m, [], tmp_path / "s.png", years=(2010, 2020), lang=lang, scheme="national6",
                            codes=[1, 2, 6])
    _both(png)
    texts = [t.get_text() for t in figures[-1].axes[0].texts]
    assert any(t.startswith(style.class_names("national6", lang)[6]) for t in texts)
    for f in figures:
        _no_offset(f)
