"""The tables of the results catalog (SQLAlchemy Core), shared by SQLite and PostgreSQL.

One row per fact, keyed by what a reader filters on. Every child table carries the study id and
is deleted with its study. Text keys compare byte-wise on both backends (``COLLATE "C"`` on
PostgreSQL, SQLite's default BINARY), so ``ORDER BY`` gives the same order everywhere. Times are
ISO 8601 text (UTC), so they round-trip unchanged. See docs/catalog.md.
"""

from __future__ import annotations

import sqlalchemy as sa

#: bumped when a table changes; a catalog of another version is refused with the fix
SCHEMA_VERSION = 1

#: ``zone`` of the rows that cover the whole region (all zones together)
REGION = ""
#: ``scenario`` of observed (historical) rows, shared by every scenario
OBSERVED = ""

STEP_STATUSES = ("pending", "running", "done", "cached", "failed", "skipped")
STATUSES = ("met", "warning", "breached")
DIRECTIONS = ("higher", "lower", "band", "zero")
KINDS = ("observed", "projected")
YEAR_KINDS = ("observed", "target")


def _text() -> sa.types.TypeEngine:
    """Text that sorts byte-wise (code-point order) on both backends."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _key(name: str) -> sa.Column:
    return sa.Column(name, _text(), primary_key=True)


def _study() -> sa.Column:
    return sa.Column("study", _text(), sa.ForeignKey("studies.study", ondelete="CASCADE"), primary_key=True)


metadata = sa.MetaData()

catalog_meta = sa.Table(
    "catalog_meta", metadata,
    _key("key"),
    sa.Column("value", _text(), nullable=False),
)

studies = sa.Table(
    "studies", metadata,
    _key("study"),
    sa.Column("name", _text(), nullable=False, server_default=""),
    sa.Column("region", _text(), nullable=False, server_default=""),
    sa.Column("plan_hash", _text(), nullable=False, server_default=""),
    sa.Column("software_version", _text(), nullable=False, server_default=""),
    sa.Column("language", _text(), nullable=False, server_default="zh"),
    sa.Column("created", _text(), nullable=False),
)

scenarios = sa.Table(
    "scenarios", metadata,
    _study(), _key("scenario"),
    sa.Column("name", _text(), nullable=False, server_default=""),
    sa.Column("name_en", _text(), nullable=False, server_default=""),
    sa.Column("description", _text(), nullable=False, server_default=""),
    sa.Column("method", _text(), nullable=False, server_default=""),
)

years = sa.Table(
    "years", metadata,
    _study(), sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", _text(), nullable=False),          # observed | target
    sa.Column("is_base", sa.Boolean, nullable=False, server_default=sa.false()),
)

zones = sa.Table(
    "zones", metadata,
    _study(), _key("zone"),
    sa.Column("name", _text(), nullable=False, server_default=""),
    sa.Column("name_en", _text(), nullable=False, server_default=""),
    sa.Column("parent", _text(), nullable=True),
    sa.Column("area_ha", sa.Double, nullable=True),
    sa.Column("geometry", sa.Text, nullable=True),      # GeoJSON geometry, WGS 84 (RFC 7946)
)

steps = sa.Table(
    "steps", metadata,
    _study(), _key("step"),
    sa.Column("model", _text(), nullable=False, server_default=""),
    sa.Column("model_version", _text(), nullable=False, server_default=""),
    sa.Column("scenario", _text(), nullable=False, server_default=""),
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("status", _text(), nullable=False),
    sa.Column("cache_key", _text(), nullable=False, server_default=""),
    sa.Column("out_dir", _text(), nullable=False, server_default=""),
    sa.Column("started", _text(), nullable=True),
    sa.Column("finished", _text(), nullable=True),
    sa.Column("seconds", sa.Double, nullable=True),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
)

variables = sa.Table(
    "variables", metadata,
    _study(), _key("scenario"), sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    _key("zone"), _key("variable"),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("unit", _text(), nullable=False, server_default=""),
    sa.Column("source_step", _text(), nullable=False, server_default=""),
)

indicator_defs = sa.Table(
    "indicator_defs", metadata,
    _study(), _key("indicator"),
    sa.Column("name_zh", _text(), nullable=False, server_default=""),
    sa.Column("name_en", _text(), nullable=False, server_default=""),
    sa.Column("unit", _text(), nullable=False, server_default=""),
    sa.Column("direction", _text(), nullable=False),
    sa.Column("family", _text(), nullable=False, server_default=""),     # land | carbon | user
    sa.Column("expression", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
)

indicators = sa.Table(
    "indicators", metadata,
    _study(), _key("scenario"), sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    _key("zone"), _key("indicator"),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("unit", _text(), nullable=False, server_default=""),
    sa.Column("direction", _text(), nullable=False, server_default=""),
    sa.Column("target", sa.Double, nullable=True),      # T; lo for band; ε for zero
    sa.Column("target_hi", sa.Double, nullable=True),   # hi for band
    sa.Column("warning", sa.Double, nullable=True),     # warning band w
    sa.Column("status", _text(), nullable=True),        # met | warning | breached | NULL (no target)
    sa.Column("trend", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("trend_year", sa.Integer, nullable=True),
    sa.Column("p_met", sa.Double, nullable=True),
    sa.Column("kind", _text(), nullable=False, server_default="observed"),  # observed | projected
    sa.Column("source_step", _text(), nullable=False, server_default=""),
)

outputs = sa.Table(
    "outputs", metadata,
    _study(), _key("path"),
    sa.Column("step", _text(), nullable=False, server_default=""),
    sa.Column("kind", _text(), nullable=False, server_default="file"),
    sa.Column("units", _text(), nullable=False, server_default=""),
    sa.Column("sha256", _text(), nullable=False, server_default=""),
    sa.Column("bytes", sa.BigInteger, nullable=True),
)

sa.Index("ix_indicators_series", indicators.c.study, indicators.c.indicator, indicators.c.zone,
         indicators.c.scenario, indicators.c.year)
sa.Index("ix_variables_series", variables.c.study, variables.c.variable, variables.c.zone,
         variables.c.scenario, variables.c.year)
sa.Index("ix_steps_status", steps.c.study, steps.c.status)

#: every table of a study, children first (the order deletion uses)
STUDY_TABLES: tuple[sa.Table, ...] = (outputs, indicators, indicator_defs, variables, steps, zones, years,
                                      scenarios, studies)

#: the deterministic row order of each table (a unique key, so SQLite and PostgreSQL agree)
ORDER: dict[str, tuple[str, ...]] = {
    "studies": ("study",),
    "scenarios": ("study", "scenario"),
    "years": ("study", "year"),
    "zones": ("study", "zone"),
    "steps": ("study", "step"),
    "variables": ("study", "variable", "scenario", "zone", "year"),
    "indicator_defs": ("study", "indicator"),
    "indicators": ("study", "indicator", "scenario", "zone", "year"),
    "outputs": ("study", "path"),
}
