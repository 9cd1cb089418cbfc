"""The results catalog: every study, scenario, year, zone, variable, indicator and output file as rows.

SQLite in the run folder is the embedded default; the same code writes to a PostgreSQL server given
a URL (``postgresql://user@host/db``), through SQLAlchemy Core. The report, the web service and
other systems read the catalog, never a model. Schema: ``catalog_schema``; docs/catalog.md.

    cat = Catalog.open(run_dir)                        # run_dir/catalog.sqlite
    cat = Catalog.open("postgresql://lc@db/plans")     # a bureau's shared server
    cat.create_schema()
    with cat.transaction():                            # a half-recorded step never shows
        cat.record_step("wuhan", "stock/natural/2030", model="carbon_stock", status="done", ...)
        cat.record_variables("wuhan", df, source_step="stock/natural/2030")
    cat.indicators("wuhan", zone="420102", scenario="natural", limit=50, offset=0)

Conventions: ``zone == REGION`` ("") is the whole region; ``scenario == OBSERVED`` ("") holds observed
years, shared by every scenario. Every query returns a DataFrame in a fixed order (a unique key) with
fixed dtypes, so SQLite and PostgreSQL give identical answers. Writes are idempotent upserts keyed
by the primary key: recording the same rows twice leaves one copy.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as _pg
from sqlalchemy.dialects import sqlite as _sqlite

from ..core.errors import InputValidationError, LandcarbonError
from ..core.spec import Issue
from . import catalog_schema as S
from .catalog_schema import OBSERVED, REGION, SCHEMA_VERSION

DEFAULT_FILENAME = "catalog.sqlite"
_SQLITE_TIMEOUT_S = 30.0
_BATCH = 2000


class CatalogError(LandcarbonError, RuntimeError):
    """The catalog cannot be opened or used as asked (no schema, another version, unknown study)."""


Filter = Any  # a scalar, a sequence of scalars (IN), or None (no filter)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _url_of(url_or_path: str | os.PathLike | sa.URL) -> sa.URL:
    if isinstance(url_or_path, sa.URL):
        return url_or_path
    text = os.fspath(url_or_path)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        scheme = scheme.lower()
        if scheme in ("postgresql", "postgres"):
            return sa.make_url("postgresql+psycopg://" + rest)
        if scheme.startswith("postgresql+") or scheme.startswith("sqlite"):
            return sa.make_url(text)
        raise CatalogError(f"catalog URL scheme {scheme!r} is not supported; expected a file path (SQLite), "
                           f"sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE")
    p = Path(text).expanduser()
    if p.is_dir():
        p = p / DEFAULT_FILENAME
    if not p.parent.is_dir():
        raise CatalogError(f"catalog folder {p.parent} does not exist; create it or give another path")
    return sa.make_url(f"sqlite:///{p.resolve()}")


# --------------------------------------------------------------------------------------------------
# values in and out


def _py(v: Any) -> Any:
    """A plain Python value for the driver: numpy scalars unwrapped, NaN / NA as NULL."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _col_kind(col: sa.Column) -> str:
    t = col.type
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.Float):
        return "float"
    return "text"


def _convert(col: sa.Column, v: Any, key: str) -> Any:
    v = _py(v)
    if v is None:
        return None
    kind = _col_kind(col)
    try:
        if kind == "bool":
            if isinstance(v, str):
                if v.strip().lower() not in ("true", "false", "1", "0"):
                    raise ValueError(v)
                return v.strip().lower() in ("true", "1")
            return bool(v)
        if kind == "int":
            f = float(v)
            if f != int(f):
                raise ValueError(v)
            return int(f)
        if kind == "float":
            f = float(v)
            return None if math.isnan(f) else f
    except (TypeError, ValueError):
        raise InputValidationError([Issue(key, f"column {col.name!r} holds {v!r}; expected a {kind} value")]) from None
    return str(v)


def _frame(table: sa.Table, rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as a DataFrame with dtypes fixed by the table (identical on every backend)."""
    df = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    for name in columns:
        col = table.c[name]
        kind = _col_kind(col)
        if kind == "float":
            df[name] = pd.to_numeric(df[name], errors="raise").astype("float64")
        elif kind == "int":
            df[name] = df[name].astype("Int64") if col.nullable else df[name].astype("int64")
        elif kind == "bool":
            df[name] = df[name].astype("boolean") if col.nullable else df[name].astype(bool)
        else:
            df[name] = df[name].astype(object).where(df[name].notna(), None)
    return df


def _records(table: sa.Table, df: pd.DataFrame, key: str, fixed: Mapping[str, Any],
             defaults: Mapping[str, Any], required: Sequence[str]) -> list[dict[str, Any]]:
    """Validated rows of ``table`` from a DataFrame (+ fixed and default values)."""
    if not isinstance(df, pd.DataFrame):
        raise InputValidationError([Issue(key, f"found {type(df).__name__}; expected a pandas DataFrame")])
    missing = [c for c in required if c not in df.columns and c not in fixed]
    if missing:
        raise InputValidationError([Issue(key, f"missing columns {missing}; found {list(map(str, df.columns))}; "
                                               f"expected at least {list(required)}: add them")])
    known = set(table.c.keys())
    unknown = [str(c) for c in df.columns if c not in known]
    if unknown:
        raise InputValidationError([Issue(key, f"unknown columns {unknown}; expected some of "
                                               f"{sorted(known - {'study'})}: rename or drop them")])
    names = [c for c in table.c.keys() if c in df.columns or c in fixed or c in defaults]
    cols = {c: df[c].tolist() if c in df.columns and c not in fixed else None for c in names}
    out = []
    for i in range(len(df)):
        row = {}
        for c in names:
            v = cols[c][i] if cols[c] is not None else fixed.get(c, defaults.get(c))
            if cols[c] is not None and _py(v) is None and c in defaults:
                v = defaults[c]
            row[c] = _convert(table.c[c], v, key)
        out.append(row)
    pk = [c.name for c in table.primary_key.columns]
    for r in out:
        empty = [c for c in pk if r.get(c) is None]
        if empty:
            raise InputValidationError([Issue(key, f"row {r} has no value in key columns {empty}; give every row "
                                                   f"a value there (zone {REGION!r} = whole region, scenario "
                                                   f"{OBSERVED!r} = observed)")])
    keys = [tuple(r[c] for c in pk) for r in out]
    if len(set(keys)) != len(keys):
        seen, dup = set(), []
        for k in keys:
            if k in seen and k not in dup:
                dup.append(k)
            seen.add(k)
        raise InputValidationError([Issue(key, f"{len(dup)} key(s) appear more than once, e.g. "
                                               f"{dict(zip(pk, dup[0], strict=True))}; expected one row per "
                                               f"{pk[1:]}: drop the duplicates")])
    return out


def _check_choice(rows: list[dict[str, Any]], column: str, choices: Sequence[Any], key: str,
                  allow_null: bool = False) -> None:
    bad = sorted({r[column] for r in rows if column in r and not (r[column] is None and allow_null)
                  and r[column] not in choices}, key=str)
    if bad:
        raise InputValidationError([Issue(key, f"column {column!r} holds {bad}; expected one of {list(choices)}")])


def sha256_of(path: str | os.PathLike) -> str:
    """SHA-256 of a file (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _geojson(geom: Any) -> str | None:
    if geom is None or (isinstance(geom, float) and math.isnan(geom)):
        return None
    if isinstance(geom, str):
        return geom
    if isinstance(geom, Mapping):
        return json.dumps(geom, separators=(",", ":"), ensure_ascii=False)
    import shapely

    return shapely.to_geojson(geom)


# --------------------------------------------------------------------------------------------------
# the catalog


class Catalog:
    """A results catalog on SQLite or PostgreSQL. Open with :meth:`Catalog.open`.

    One object may be shared by the threads of one process: each thread has its own transaction.
    """

    def __init__(self, engine: sa.Engine, *, schema: str | None = None):
        self._engine = engine
        self.schema = schema
        self.dialect = engine.dialect.name
        self._local = threading.local()
        self._checked = False

    # ---- opening -----------------------------------------------------------------------------------

    @classmethod
    def open(cls, url_or_path: str | os.PathLike | sa.URL, *, schema: str | None = None,
             create: bool = False) -> Catalog:
        """Open a catalog: a path (a file, or a folder → ``folder/catalog.sqlite``) opens SQLite; a URL
        ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`` opens PostgreSQL (driver psycopg 3).
        ``schema`` (PostgreSQL only) keeps the catalog in its own schema (namespace) of the database.
        ``create`` also creates the tables (as :meth:`create_schema`)."""
        url = _url_of(url_or_path)
        backend = url.get_backend_name()
        if schema is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
            raise CatalogError(f"schema {schema!r} is not a plain SQL name; expected letters, digits and _ "
                               f"(not starting with a digit), e.g. 'landcarbon'")
        if backend == "sqlite":
            if schema:
                raise CatalogError("schema= is for PostgreSQL; a SQLite catalog is one file: give another path")
            engine = sa.create_engine(url, connect_args={"timeout": _SQLITE_TIMEOUT_S})
            _sqlite_transactions(engine)
        elif backend == "postgresql":
            if url.get_driver_name() == "psycopg":
                try:
                    import psycopg  # noqa: F401
                except ImportError:  # pragma: no cover - a core dependency
                    raise CatalogError("PostgreSQL catalogs need psycopg 3: pip install 'psycopg[binary]'") from None
            engine = sa.create_engine(url, pool_pre_ping=True)
            if schema:
                engine = engine.execution_options(schema_translate_map={None: schema})
        else:
            raise CatalogError(f"catalog backend {backend!r} is not supported; expected SQLite or PostgreSQL")
        cat = cls(engine, schema=schema)
        if create:
            cat.create_schema()
        return cat

    @property
    def url(self) -> str:
        """The URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Catalog({self.url!r}{f', schema={self.schema!r}' if self.schema else ''})"

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- schema ------------------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the tables (idempotent). A catalog of another schema version is refused."""
        try:
            with self._engine.begin() as conn:
                if self.schema:
                    conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
                S.metadata.create_all(conn, checkfirst=True)
                v = conn.execute(sa.select(S.catalog_meta.c.value)
                                 .where(S.catalog_meta.c.key == "schema_version")).scalar()
                if v is None:
                    conn.execute(S.catalog_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif v != str(SCHEMA_VERSION):
                    raise CatalogError(self._version_message(v))
        except sa.exc.OperationalError as err:
            raise CatalogError(f"cannot create the catalog at {self.url}: {err.orig}") from None
        self._checked = True

    def _version_message(self, v: str) -> str:
        return (f"the catalog at {self.url} has schema version {v}; this landcarbon writes version "
                f"{SCHEMA_VERSION}: use a new catalog file or database, or migrate it")

    def _check(self, conn: sa.Connection) -> None:
        if self._checked:
            return
        if not sa.inspect(conn).has_table("catalog_meta", schema=self.schema):
            raise CatalogError(f"no landcarbon catalog at {self.url}; create it first: "
                               f"Catalog.open(..., create=True) or catalog.create_schema()")
        v = conn.execute(sa.select(S.catalog_meta.c.value).where(S.catalog_meta.c.key == "schema_version")).scalar()
        if v != str(SCHEMA_VERSION):
            raise CatalogError(self._version_message(str(v)))
        self._checked = True

    # ---- transactions ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Catalog]:
        """Group writes: all of them become visible together, or none (an exception rolls back).

        Nested ``transaction()`` blocks join the outer one; every ``record_*`` call outside a block
        is its own transaction."""
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        with self._engine.connect().execution_options(landcarbon_write=True) as conn, conn.begin():
            self._check(conn)
            self._local.conn = conn
            try:
                yield self
            finally:
                self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self.transaction():
            yield self._local.conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:  # inside a transaction: read what it wrote
            yield conn
            return
        with self._engine.connect() as conn:
            self._check(conn)
            yield conn

    def _upsert(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
                keep: Sequence[str] = ()) -> int:
        if not rows:
            return 0
        insert = _pg.insert if self.dialect == "postgresql" else _sqlite.insert
        stmt = insert(table)
        pk = [c.name for c in table.primary_key.columns]
        update = {c: stmt.excluded[c] for c in rows[0] if c not in pk and c not in keep}
        stmt = (stmt.on_conflict_do_update(index_elements=pk, set_=update) if update
                else stmt.on_conflict_do_nothing(index_elements=pk))
        for i in range(0, len(rows), _BATCH):
            conn.execute(stmt, rows[i:i + _BATCH])
        return len(rows)

    def _require_study(self, conn: sa.Connection, study: str) -> None:
        if conn.execute(sa.select(S.studies.c.study).where(S.studies.c.study == study)).first() is None:
            known = [r[0] for r in conn.execute(sa.select(S.studies.c.study).order_by(S.studies.c.study).limit(20))]
            raise CatalogError(f"study {study!r} is not in the catalog (known: {known}); record it first "
                               f"with record_study({study!r}, ...)")

    # ---- writes ------------------------------------------------------------------------------------

    def record_study(self, study: str, *, name: str = "", region: str = "", plan_hash: str = "",
                     software_version: str = "", language: str = "zh", created: str | None = None) -> None:
        """Add or update a study. ``created`` (ISO 8601) defaults to now and is kept on re-record."""
        if not study or not isinstance(study, str):
            raise InputValidationError([Issue("study", f"found {study!r}; expected a non-empty study id")])
        row = {"study": study, "name": name, "region": region, "plan_hash": plan_hash,
               "software_version": software_version, "language": language, "created": created or _now()}
        with self._write() as conn:
            self._upsert(conn, S.studies, [row], keep=() if created else ("created",))

    def record_scenarios(self, study: str, scenarios: pd.DataFrame | Iterable[Mapping[str, Any]]) -> int:
        """Scenarios: columns scenario, [name, name_en, description, method]."""
        return self._record_frame(study, S.scenarios, scenarios, "scenarios", required=("scenario",),
                                  defaults={"name": "", "name_en": "", "description": "", "method": ""})

    def record_years(self, study: str, years: pd.DataFrame | Iterable[Mapping[str, Any]]) -> int:
        """Years: columns year, kind (observed | target), [is_base]."""
        rows = self._rows(study, S.years, years, "years", required=("year", "kind"), defaults={"is_base": False})
        _check_choice(rows, "kind", S.YEAR_KINDS, "years")
        return self._put(study, S.years, rows)

    def record_zones(self, study: str, zones: pd.DataFrame | Iterable[Mapping[str, Any]]) -> int:
        """Zones: columns zone, [name, name_en, parent, area_ha, geometry].

        ``geometry`` may be shapely geometries, GeoJSON mappings or GeoJSON text; a GeoDataFrame in
        another CRS is reprojected to WGS 84 first (GeoJSON is WGS 84 by definition)."""
        if isinstance(zones, pd.DataFrame) and "geometry" in zones.columns:
            crs = getattr(zones, "crs", None)
            if crs is not None and hasattr(zones, "to_crs") and crs.to_epsg() != 4326:
                zones = zones.to_crs(4326)
            zones = pd.DataFrame(zones).assign(geometry=[_geojson(g) for g in zones["geometry"]])
        return self._record_frame(study, S.zones, zones, "zones", required=("zone",),
                                  defaults={"name": "", "name_en": ""})

    def record_step(self, study: str, step: str, *, model: str = "", model_version: str = "", scenario: str = "",
                    year: int | None = None, status: str = "done", cache_key: str = "", out_dir: str = "",
                    started: str | None = None, finished: str | None = None, seconds: float | None = None,
                    message: str = "") -> None:
        """Add or update one step of a study's graph. ``out_dir`` is relative to the study folder."""
        if status not in S.STEP_STATUSES:
            raise InputValidationError([Issue("status", f"found {status!r}; expected one of {list(S.STEP_STATUSES)}")])
        if out_dir and (Path(out_dir).is_absolute() or ".." in PurePosixPath(Path(out_dir).as_posix()).parts):
            raise InputValidationError([Issue("out_dir", f"found {out_dir!r}; expected a path relative to the "
                                                         f"study folder (no leading / and no ..)")])
        df = pd.DataFrame([{"step": step, "model": model, "model_version": model_version, "scenario": scenario,
                            "year": year, "status": status, "cache_key": cache_key,
                            "out_dir": Path(out_dir).as_posix() if out_dir else "", "started": started,
                            "finished": finished, "seconds": seconds, "message": message}])
        self._record_frame(study, S.steps, df, "step", required=("step", "status"))

    def record_variables(self, study: str, df: pd.DataFrame, *, source_step: str | None = None) -> int:
        """Variables: columns zone, year, variable, value, unit, [scenario, source_step].

        ``scenario`` defaults to OBSERVED (""), ``zone`` REGION ("") is the whole region."""
        fixed = {"source_step": source_step} if source_step is not None else {}
        return self._record_frame(study, S.variables, df, "variables",
                                  required=("zone", "year", "variable", "value", "unit"), fixed=fixed,
                                  defaults={"scenario": OBSERVED, "source_step": ""})

    def record_indicator_defs(self, study: str, defs: pd.DataFrame | Iterable[Mapping[str, Any]]) -> int:
        """Indicator definitions: columns indicator, direction, [name_zh, name_en, unit, family, expression,
        source] (``landcarbon.models.indicators.definitions_frame()`` gives the built-in ones)."""
        rows = self._rows(study, S.indicator_defs, defs, "indicator_defs", required=("indicator", "direction"),
                          defaults={"name_zh": "", "name_en": "", "unit": "", "family": "", "expression": "",
                                    "source": ""})
        _check_choice(rows, "direction", S.DIRECTIONS, "indicator_defs")
        return self._put(study, S.indicator_defs, rows)

    def record_indicators(self, study: str, df: pd.DataFrame, *, source_step: str | None = None) -> int:
        """Indicator values: columns zone, year, indicator, value, unit, [scenario, direction, target,
        target_hi, warning, status, trend, trend_year, p_met, kind, source_step] — the table that
        ``landcarbon.models.indicators.assess()`` returns."""
        fixed = {"source_step": source_step} if source_step is not None else {}
        rows = self._rows(study, S.indicators, df, "indicators",
                          required=("zone", "year", "indicator", "value", "unit"), fixed=fixed,
                          defaults={"scenario": OBSERVED, "source_step": "", "trend": False, "kind": "observed",
                                    "direction": ""})
        _check_choice(rows, "status", S.STATUSES, "indicators", allow_null=True)
        _check_choice(rows, "kind", S.KINDS, "indicators")
        _check_choice(rows, "direction", (*S.DIRECTIONS, ""), "indicators")
        bad = [r for r in rows if r.get("p_met") is not None and not 0.0 <= r["p_met"] <= 1.0]
        if bad:
            raise InputValidationError([Issue("indicators", f"p_met {bad[0]['p_met']!r} is outside 0…1; expected "
                                                            f"the share of realizations whose status is met")])
        return self._put(study, S.indicators, rows)

    def record_outputs(self, study: str, step: str,
                       outputs: pd.DataFrame | Iterable[Mapping[str, Any]], *,
                       root: str | os.PathLike | None = None) -> int:
        """Output files of a step: columns path, [kind, units, sha256, bytes].

        ``path`` is relative to the study folder ``root``; when ``root`` is given, an absolute path
        under it is made relative, and a missing sha256 / bytes is computed from the file."""
        df = outputs if isinstance(outputs, pd.DataFrame) else pd.DataFrame(list(outputs))
        if "path" not in df.columns:
            raise InputValidationError([Issue("outputs", "missing column 'path'; expected the file path relative "
                                                         "to the study folder")])
        df = df.copy()
        rootp = Path(root).resolve() if root is not None else None
        paths, shas, sizes = [], [], []
        for i, p in enumerate(df["path"].tolist()):
            pp = Path(str(p))
            if pp.is_absolute():
                if rootp is None or not pp.resolve().is_relative_to(rootp):
                    raise InputValidationError([Issue("outputs", f"path {p!r} is absolute; expected a path "
                                                                 f"relative to the study folder (give root=)")])
                pp = pp.resolve().relative_to(rootp)
            rel = pp.as_posix()
            if ".." in PurePosixPath(rel).parts:
                raise InputValidationError([Issue("outputs", f"path {p!r} leaves the study folder; expected a "
                                                             f"path inside it")])
            paths.append(rel)
            sha = df["sha256"].iloc[i] if "sha256" in df.columns else None
            size = df["bytes"].iloc[i] if "bytes" in df.columns else None
            if rootp is not None and (_py(sha) in (None, "") or _py(size) is None):
                f = rootp / rel
                if not f.is_file():
                    raise InputValidationError([Issue("outputs", f"{f} does not exist; record files after they "
                                                                 f"are written")])
                sha = sha256_of(f) if _py(sha) in (None, "") else sha
                size = f.stat().st_size if _py(size) is None else size
            shas.append(_py(sha) or "")
            sizes.append(_py(size))
        df["path"], df["sha256"], df["bytes"] = paths, shas, sizes
        return self._record_frame(study, S.outputs, df, "outputs", required=("path",), fixed={"step": step},
                                  defaults={"kind": "file", "units": ""})

    def _rows(self, study: str, table: sa.Table, data: Any, key: str, *, required: Sequence[str],
              fixed: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None) -> list[dict]:
        df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
        if "study" in df.columns:
            other = sorted({str(s) for s in df["study"].unique()} - {study})
            if other:
                raise InputValidationError([Issue(key, f"rows name studies {other}; expected only {study!r}")])
            df = df.drop(columns="study")
        return _records(table, df, key, {"study": study, **(fixed or {})}, defaults or {}, required)

    def _put(self, study: str, table: sa.Table, rows: list[dict[str, Any]]) -> int:
        with self._write() as conn:
            self._require_study(conn, study)
            return self._upsert(conn, table, rows)

    def _record_frame(self, study: str, table: sa.Table, data: Any, key: str, *, required: Sequence[str],
                      fixed: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None) -> int:
        return self._put(study, table, self._rows(study, table, data, key, required=required, fixed=fixed,
                                                  defaults=defaults))

    # ---- deletion ----------------------------------------------------------------------------------

    def clear_step(self, study: str, step: str) -> int:
        """Delete the variables, indicators and outputs a step recorded (before it is recorded again)."""
        n = 0
        with self._write() as conn:
            for t, col in ((S.variables, "source_step"), (S.indicators, "source_step"), (S.outputs, "step")):
                n += conn.execute(t.delete().where(t.c.study == study, t.c[col] == step)).rowcount
        return n

    def delete_study(self, study: str) -> bool:
        """Delete a study and every row of it; False when it was not there."""
        with self._write() as conn:
            for t in S.STUDY_TABLES[:-1]:
                conn.execute(t.delete().where(t.c.study == study))
            return conn.execute(S.studies.delete().where(S.studies.c.study == study)).rowcount > 0

    # ---- queries -----------------------------------------------------------------------------------

    def _select(self, table: sa.Table, filters: Mapping[str, Filter], *, columns: Sequence[str] | None = None,
                order: Sequence[str] | None = None, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
        cols = list(columns or table.c.keys())
        q = sa.select(*(table.c[c] for c in cols)).where(*_conditions(table, filters))
        q = q.order_by(*(table.c[c] for c in (order or S.ORDER[table.name])))
        if limit is not None or offset:
            _check_page(limit, offset)
            q = q.limit(limit).offset(offset)
        with self._read() as conn:
            rows = conn.execute(q).all()
        return _frame(table, rows, cols)

    def _count(self, table: sa.Table, filters: Mapping[str, Filter]) -> int:
        q = sa.select(sa.func.count()).select_from(table).where(*_conditions(table, filters))
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def studies(self) -> pd.DataFrame:
        """Every study, by id."""
        return self._select(S.studies, {})

    def scenarios(self, study: str) -> pd.DataFrame:
        return self._select(S.scenarios, {"study": study})

    def years(self, study: str) -> pd.DataFrame:
        return self._select(S.years, {"study": study})

    def zones(self, study: str, *, geometry: bool = False) -> pd.DataFrame:
        """Zones of a study, by id; ``geometry=True`` adds the GeoJSON text."""
        cols = [c for c in S.zones.c.keys() if geometry or c != "geometry"]
        return self._select(S.zones, {"study": study}, columns=cols)

    def steps(self, study: str, *, status: Filter = None, scenario: Filter = None) -> pd.DataFrame:
        return self._select(S.steps, {"study": study, "status": status, "scenario": scenario})

    def indicator_defs(self, study: str) -> pd.DataFrame:
        return self._select(S.indicator_defs, {"study": study})

    def outputs(self, study: str, *, step: Filter = None, kind: Filter = None) -> pd.DataFrame:
        return self._select(S.outputs, {"study": study, "step": step, "kind": kind})

    def variables(self, study: str, *, zone: Filter = None, year: Filter = None, scenario: Filter = None,
                  variable: Filter = None, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
        """Variables, ordered by variable, scenario, zone, year. Each filter: a value or a list (IN)."""
        return self._select(S.variables, {"study": study, "zone": zone, "year": year, "scenario": scenario,
                                          "variable": variable}, limit=limit, offset=offset)

    def count_variables(self, study: str, *, zone: Filter = None, year: Filter = None, scenario: Filter = None,
                        variable: Filter = None) -> int:
        return self._count(S.variables, {"study": study, "zone": zone, "year": year, "scenario": scenario,
                                         "variable": variable})

    def indicators(self, study: str, *, zone: Filter = None, year: Filter = None, scenario: Filter = None,
                   indicator: Filter = None, status: Filter = None, kind: Filter = None,
                   limit: int | None = None, offset: int = 0) -> pd.DataFrame:
        """Indicator values, ordered by indicator, scenario, zone, year (a page with ``limit``/``offset``)."""
        return self._select(S.indicators, {"study": study, "zone": zone, "year": year, "scenario": scenario,
                                           "indicator": indicator, "status": status, "kind": kind},
                            limit=limit, offset=offset)

    def count_indicators(self, study: str, *, zone: Filter = None, year: Filter = None, scenario: Filter = None,
                         indicator: Filter = None, status: Filter = None, kind: Filter = None) -> int:
        """The number of rows :meth:`indicators` returns without a page (for pagination)."""
        return self._count(S.indicators, {"study": study, "zone": zone, "year": year, "scenario": scenario,
                                          "indicator": indicator, "status": status, "kind": kind})

    def series(self, study: str, indicator: str | None = None, *, variable: str | None = None,
               zone: str = REGION, scenario: Filter = None, include_observed: bool = True) -> pd.DataFrame:
        """The time series of one indicator (or one variable) in one zone: the observed years (scenario
        OBSERVED) and each scenario's years, ordered by scenario then year. ``scenario`` limits the
        scenarios (the observed rows stay unless ``include_observed=False``)."""
        if (indicator is None) == (variable is None):
            raise InputValidationError([Issue("series", "give exactly one of indicator= or variable=")])
        table = S.indicators if indicator is not None else S.variables
        name_col = "indicator" if indicator is not None else "variable"
        filters: dict[str, Filter] = {"study": study, name_col: indicator or variable, "zone": zone}
        if scenario is not None:
            sc = [scenario] if isinstance(scenario, str) else list(scenario)
            if include_observed and OBSERVED not in sc:
                sc.append(OBSERVED)
            filters["scenario"] = sc
        cols = ["scenario", "year", "value", "unit"] + (
            ["kind", "status", "trend", "trend_year", "target", "target_hi", "p_met"] if indicator is not None else [])
        df = self._select(table, filters, columns=cols, order=("scenario", "year"))
        if not include_observed:
            df = df[df["scenario"] != OBSERVED].reset_index(drop=True)
        return df

    # ---- whole studies -----------------------------------------------------------------------------

    def tables(self, study: str) -> dict[str, pd.DataFrame]:
        """Every row of a study, table by table (the same order on every backend)."""
        out = {}
        for t in reversed(S.STUDY_TABLES):
            out[t.name] = self._select(t, {"study": study})
        return out

    def copy_study(self, study: str, target: Catalog) -> None:
        """Copy a study into another catalog (SQLite → PostgreSQL, say) in one transaction there."""
        data = self.tables(study)
        if data["studies"].empty:
            raise CatalogError(f"study {study!r} is not in {self.url}")
        with target._write() as conn:
            for t in reversed(S.STUDY_TABLES):
                df = data[t.name]
                rows = [{c: _convert(t.c[c], v, t.name) for c, v in zip(df.columns, r, strict=True)}
                        for r in df.itertuples(index=False, name=None)]
                target._upsert(conn, t, rows)


def _conditions(table: sa.Table, filters: Mapping[str, Filter]) -> list[Any]:
    out = []
    for name, v in filters.items():
        if v is None:
            continue
        col = table.c[name]
        if isinstance(v, str | bytes) or not isinstance(v, Iterable):
            out.append(col == _convert(col, v, name))
        else:
            vals = [_convert(col, x, name) for x in v]
            out.append(col.in_(vals))
    return out


def _check_page(limit: int | None, offset: int) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 0):
        raise InputValidationError([Issue("limit", f"found {limit!r}; expected an integer ≥ 0")])
    if isinstance(offset, bool) or not isinstance(offset, int | np.integer) or offset < 0:
        raise InputValidationError([Issue("offset", f"found {offset!r}; expected an integer ≥ 0")])


def _sqlite_transactions(engine: sa.Engine) -> None:
    """Real SQLite transactions (pysqlite's own handling defers BEGIN and commits before DDL), foreign
    keys on, and BEGIN IMMEDIATE for writes so concurrent writers wait instead of failing mid-way."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {int(_SQLITE_TIMEOUT_S * 1000)}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("landcarbon_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


__all__ = ["DEFAULT_FILENAME", "OBSERVED", "REGION", "SCHEMA_VERSION", "Catalog", "CatalogError", "sha256_of"]
