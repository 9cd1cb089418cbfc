"""双评价 reference data: shipped profiles, threshold tables and integration matrices
(``data/reference/shuangpingjia_*_2019_cug.csv``); every one can be overridden by the plan."""

from __future__ import annotations

import io as _io
import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError

PROFILES: dict[str, dict[str, str]] = {
    "2019_cug": {
        "thresholds": "shuangpingjia_thresholds_2019_cug.csv",
        "agri_land_water": "agri_land_water_matrix_2019_cug.csv",
        "agri_base_climate": "agri_base_climate_matrix_2019_cug.csv",
        "eco_thresholds": "shuangpingjia_eco_thresholds_2019_cug.csv",
        "citation": "CUGGISRS/spj 2019 scripts (双评价 open implementation), thresholds [V]; "
                    "自然资源部办公厅 2020 指南（试行）",
    },
}


# --------------------------------------------------------------------------------------------------
# reference data
def _ref_text(name: str) -> str:
    base = resources.files("landcarbon") / "data"
    p = base / "reference" / name
    if not p.is_file():
        p = base / name
    return p.read_text(encoding="utf-8")


def factor_key(name: str) -> str:
    """CSV factor name → key: 'accumulated temp >=0C' → 'accumulated_temp_0c'."""
    s = re.sub(r"[^0-9a-z]+", "_", str(name).lower().replace(">=", "")).strip("_")
    return s


@lru_cache(maxsize=8)
def _thresholds_cached(profile: str) -> pd.DataFrame:
    files = _profile(profile)
    return pd.read_csv(_io.StringIO(_ref_text(files["thresholds"])), dtype={"modifiers": str},
                       keep_default_na=False)


def _profile(profile: str) -> dict[str, str]:
    try:
        return PROFILES[profile]
    except KeyError:
        raise InputValidationError(f"双评价 profile {profile!r} is unknown; shipped profiles: {sorted(PROFILES)} "
                                   f"(give your own thresholds in the plan's [suitability.thresholds])") from None


def load_thresholds(profile: str = "2019_cug") -> pd.DataFrame:
    """The threshold table with a ``key`` column (factor key) and ``breaks`` (4 floats, best → worst)."""
    df = _thresholds_cached(profile).copy()
    df["key"] = [factor_key(f) for f in df["factor"]]
    df["breaks"] = [[float(r[f"break_{i}"]) for i in range(1, 5)] for _, r in df.iterrows()]
    return df


def load_matrix(name: str, profile: str = "2019_cug") -> np.ndarray:
    """A 5 × 5 integration matrix (rows: first input level 1…5, columns: second input level 1…5)."""
    files = _profile(profile)
    if name not in files:
        raise InputValidationError(f"profile {profile!r} ships no matrix {name!r}; give one in the plan file")
    df = pd.read_csv(_io.StringIO(_ref_text(files[name])))
    return matrix_from_frame(df, name)


def matrix_from_frame(df: pd.DataFrame, what: str = "matrix") -> np.ndarray:
    """A 5 × 5 level matrix from a table whose first column is the row level."""
    m = df.set_index(df.columns[0]).to_numpy()
    if m.shape != (5, 5):
        raise InputValidationError(f"{what}: found a {m.shape[0]} x {m.shape[1]} table; expected 5 rows (levels 1-5) "
                                   f"and 5 level columns")
    try:
        m = m.astype(float)
    except ValueError:
        raise InputValidationError(f"{what}: entries must be levels 1-5") from None
    if not np.isin(m, [1, 2, 3, 4, 5]).all():
        raise InputValidationError(f"{what}: entries must be levels 1-5; found {sorted(set(m.ravel()))}")
    return m.astype(np.uint8)


@lru_cache(maxsize=8)
def _eco_cached(profile: str) -> pd.DataFrame:
    return pd.read_csv(_io.StringIO(_ref_text(_profile(profile)["eco_thresholds"])), keep_default_na=False)


def load_eco_thresholds(profile: str = "2019_cug") -> pd.DataFrame:
    """3-class fragility factor thresholds: index, factor, unit, break_1, break_2, direction, tag."""
    return _eco_cached(profile).copy()




# --------------------------------------------------------------------------------------------------
# the keys a plan's [suitability] table may use (checked: a misspelt factor is never ignored)
#: factor keys outside the threshold tables: modifier variables and steps given as levels or flags
EXTRA_FACTOR_KEYS = ("elevation", "relief", "silt_content", "environment_level", "salinisation", "disaster",
                     "urban_water_level")
#: ecosystem-service importance levels (1/3/5) are given as ``service_<name>``, any name
SERVICE_PATTERN = r"service_[A-Za-z0-9_]+"
#: steps a user fill level may replace ([suitability.fill])
FILL_KEYS = ("water", "climate", "urban_water", "geological hazard", "location")
#: integration matrices a plan may give or override ([suitability.matrices])
MATRIX_KEYS = ("agri_land_water", "agri_base_climate", "urban_land_water")


def factor_keys(profile: str = "2019_cug") -> list[str]:
    """Every factor key the evaluation reads (besides ``service_<name>``)."""
    thr = load_thresholds(profile)
    eco = load_eco_thresholds(profile)
    idx = list(dict.fromkeys(eco["index"]))
    keys = [*thr["key"], *EXTRA_FACTOR_KEYS, *(f"{i}.{f}" for i, f in zip(eco["index"], eco["factor"])),
            *eco["factor"], *(f"fragility_{i}" for i in idx)]
    return list(dict.fromkeys(keys))


def threshold_keys(profile: str = "2019_cug") -> list[str]:
    """Keys of threshold overrides: ``<evaluation>.<factor>`` (or a bare factor key, both evaluations)."""
    thr = load_thresholds(profile)
    out = []
    for ev, key in zip(thr["evaluation"], thr["key"]):
        evs = ("agriculture", "urban") if ev == "both" else (ev,)
        out += [f"{e}.{key}" for e in evs] + [key]
    return list(dict.fromkeys(out))
