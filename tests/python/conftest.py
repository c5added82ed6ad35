"""Loads the generated Python bindings (target/bindings/python) for the tests."""

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "target" / "bindings" / "python"))

KEY = bytes(range(32))


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "phone.db")


@pytest.fixture
def store(db_path):
    import doorstep as ds

    return ds.Doorstep.open(db_path, KEY)


def pytest_report_header(config):
    return f"doorstep bindings: {ROOT / 'target' / 'bindings' / 'python'} (pid {os.getpid()})"
