"""The Spark Connect test's marker, registered here so `--strict-markers` accepts it (skip the test
with `-m "not remote_spark"`)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "remote_spark: starts a local Spark Connect server and runs the daily pipeline against it (~2 min)"
    )
