"""Shared fixtures: the repository paths and the sumi CLI built next to the module."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("SUMI_BUILD_DIR", ROOT / "build"))


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def cli():
    path = BUILD / "cli" / "sumi"
    assert path.exists(), f"build the CLI first ({path})"
    return str(path)


@pytest.fixture
def strokes_file():
    return str(ROOT / "examples" / "face.strokes.json")
