"""Shared fixtures: the offline data pack and temporary output folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The offline data pack: ``COUNTYLINK_DATA`` or ``../shared/data`` beside the repo."""
    path = Path(os.environ.get("COUNTYLINK_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(f"data pack not found at {path}; set COUNTYLINK_DATA")
    return path.resolve()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep files worth looking at afterwards (screenshots, maps)."""
    path = REPO / "tests" / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def network_cache(tmp_path_factory) -> Path:
    """One cache folder for the scgraph-data extracts of a test session (built once, shared by test files)."""
    return tmp_path_factory.mktemp("countylink-cache")
