from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LANDCARBON_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not DATA.exists():
        pytest.skip(f"real data not found at {DATA}")
    return DATA


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.exists():
        pytest.skip(f"reference tables not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def county_data(tmp_path_factory) -> dict[str, Path]:
    """The synthetic county (landcarbon.datasets.county), written once per test session."""
    from landcarbon.datasets.county import write_county

    return write_county(tmp_path_factory.mktemp("county"))
