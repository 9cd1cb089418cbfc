"""The results catalog: opening, schema, conversions and refusals (SQLite; no server needed).

The shared body (round trips, idempotent re-record, filters, pagination, series, deletion,
transactions) runs on SQLite and PostgreSQL in test_catalog_postgres.py.
"""

from __future__ import annotations

import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from landcarbon.core.errors import InputValidationError
from landcarbon.io import catalog_schema as S
from landcarbon.io.catalog import DEFAULT_FILENAME, OBSERVED, REGION, Catalog, CatalogError

CREATED = "2026-01-02T03:04:05+00:00"


def _new(tmp_path) -> Catalog:
    return Catalog.open(tmp_path / "c.sqlite", create=True)


def test_a_folder_opens_its_catalog_file(tmp_path):
    cat = Catalog.open(tmp_path)
    cat.create_schema()
    cat.create_schema()                                    # idempotent
    assert (tmp_path / DEFAULT_FILENAME).is_file()
    assert cat.dialect == "sqlite" and cat.url.endswith(DEFAULT_FILENAME)
    assert cat.studies().empty
    assert list(cat.studies().columns) == ["study", "name", "region", "plan_hash", "software_version", "language",
                                           "created"]
    cat.close()


def test_open_refusals(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        Catalog.open(tmp_path / "missing" / "c.sqlite")
    with pytest.raises(CatalogError, match="postgresql://"):
        Catalog.open("mysql://u@h/db")
    with pytest.raises(CatalogError, match="PostgreSQL"):
        Catalog.open(tmp_path / "c.sqlite", schema="x")
    # a file without the schema: the query says how to create it
    cat = Catalog.open(tmp_path / "empty.sqlite")
    with pytest.raises(CatalogError, match="create_schema"):
        cat.studies()


def test_postgresql_urls_use_psycopg_and_hide_the_password():
    cat = Catalog.open("postgresql://lc:secret@db.example:5433/plans")   # the engine connects lazily
    assert cat.dialect == "postgresql"
    assert cat._engine.url.get_driver_name() == "psycopg"
    assert "secret" not in cat.url and "secret" not in repr(cat)
    assert Catalog.open("postgres://lc@db/plans")._engine.url.get_driver_name() == "psycopg"


def test_another_schema_version_is_refused(tmp_path):
    cat = _new(tmp_path)
    with cat._engine.begin() as conn:
        conn.execute(S.catalog_meta.update().values(value="999"))
    again = Catalog.open(tmp_path / "c.sqlite")
    with pytest.raises(CatalogError, match="schema version 999"):
        again.studies()
    with pytest.raises(CatalogError, match="migrate"):
        again.create_schema()


def test_text_sorts_by_code_point(tmp_path):
    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    cat.record_zones("s", pd.DataFrame({"zone": ["b", "江岸区", "B", REGION, "10", "9", "a"]}))
    assert cat.zones("s")["zone"].tolist() == ["", "10", "9", "B", "a", "b", "江岸区"]


def test_geodataframe_zones_are_stored_as_wgs84_geojson(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    # a 1 km square in UTM 50N at (500 000, 3 400 000): about 117.0°E, 30.7°N
    gdf = gpd.GeoDataFrame({"zone": ["1"], "name": ["甲"], "area_ha": [100.0]},
                           geometry=[box(500_000, 3_400_000, 501_000, 3_401_000)], crs="EPSG:32650")
    cat.record_zones("s", gdf)
    import json

    g = json.loads(cat.zones("s", geometry=True)["geometry"].iloc[0])
    assert g["type"] == "Polygon"
    lon, lat = g["coordinates"][0][0]
    assert 116.9 < lon < 117.1 and 30.6 < lat < 30.8


def test_dtypes_are_fixed_even_when_empty(tmp_path):
    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    e = cat.indicators("s")
    assert e.empty
    assert str(e["year"].dtype) == "int64" and str(e["value"].dtype) == "float64"
    assert str(e["trend_year"].dtype) == "Int64" and e["trend"].dtype == bool
    cat.record_indicators("s", pd.DataFrame({"zone": [REGION], "year": [2020], "indicator": ["FC"],
                                             "value": [25.0], "unit": ["%"]}))
    row = cat.indicators("s").iloc[0]
    # defaults: observed scenario and kind, no target, no status, no trend
    assert (row.scenario, row.kind, row.status, bool(row.trend)) == (OBSERVED, "observed", None, False)
    assert pd.isna(row.target) and pd.isna(row.trend_year) and pd.isna(row.p_met)


def test_nan_values_are_stored_as_null(tmp_path):
    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    cat.record_variables("s", pd.DataFrame({"zone": ["1"], "year": [2020], "variable": ["x"],
                                            "value": [float("nan")], "unit": ["ha"]}))
    with cat._engine.connect() as conn:
        assert conn.execute(sa.select(S.variables.c.value)).scalar() is None
    assert pd.isna(cat.variables("s")["value"].iloc[0])


def test_threads_have_their_own_transactions(tmp_path):
    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    inside, go_on = threading.Event(), threading.Event()
    seen: list[int] = []

    def writer() -> None:
        with cat.transaction():
            cat.record_variables("s", pd.DataFrame({"zone": ["1"], "year": [2020], "variable": ["x"],
                                                    "value": [1.0], "unit": ["ha"]}))
            inside.set()
            go_on.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    assert inside.wait(10)
    seen.append(len(cat.variables("s")))           # another thread: the open transaction is not visible
    go_on.set()
    t.join(10)
    seen.append(len(cat.variables("s")))
    assert seen == [0, 1]


def test_copy_refuses_an_unknown_study(tmp_path):
    a = _new(tmp_path)
    b = Catalog.open(tmp_path / "b.sqlite", create=True)
    with pytest.raises(CatalogError, match="not in"):
        a.copy_study("nope", b)


def test_bad_arguments(tmp_path):
    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    with pytest.raises(InputValidationError, match="status"):
        cat.record_step("s", "a", status="finished")
    with pytest.raises(InputValidationError, match="relative"):
        cat.record_step("s", "a", out_dir="../elsewhere")
    with pytest.raises(InputValidationError, match="kind"):
        cat.record_years("s", [{"year": 2020, "kind": "past"}])
    with pytest.raises(InputValidationError, match="direction"):
        cat.record_indicator_defs("s", [{"indicator": "FC", "direction": "up"}])
    with pytest.raises(InputValidationError, match="exactly one"):
        cat.series("s")
    with pytest.raises(InputValidationError, match="study"):
        cat.record_study("")
    with pytest.raises(InputValidationError, match="only 's'"):
        cat.record_variables("s", pd.DataFrame({"study": ["t"], "zone": ["1"], "year": [2020], "variable": ["x"],
                                                "value": [1.0], "unit": ["ha"]}))


def test_assessed_indicators_record_as_they_are(tmp_path):
    """The frame indicators.assess() returns is what record_indicators takes (the runner's path)."""
    from landcarbon.models import indicators as I

    rows = pd.DataFrame({"scenario": ["", "", "", "eco"], "zone": [REGION] * 4, "year": [2000, 2005, 2010, 2035],
                         "indicator": ["FC"] * 4, "value": [30.0, 29.0, 28.0, 31.0], "unit": ["%"] * 4,
                         "kind": ["observed"] * 3 + ["projected"]})
    a = I.assess(rows, [I.Target("FC", 27.5, year=2035)])
    cat = _new(tmp_path)
    cat.record_study("s", created=CREATED)
    cat.record_indicator_defs("s", I.definitions_frame())
    cat.record_indicators("s", a, source_step="indicators")
    back = cat.indicators("s")
    assert back[["scenario", "year", "status", "trend"]].values.tolist() == [
        ["", 2000, "met", False], ["", 2005, "met", False], ["", 2010, "warning", True], ["eco", 2035, "met", False]]
    assert back["trend_year"].tolist()[2] == 2020 and back["target"].tolist() == [27.5] * 4
    assert cat.indicator_defs("s").set_index("indicator").loc["RE", "name_zh"] == "生态保护红线侵占"
