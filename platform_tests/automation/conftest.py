"""Fixtures of the automation tests: a real sqlite-backed Dagster instance, and no leftover mid-run hooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance, instance_for_test

from platform_tests.automation.stubs import MID_RUN


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    # sqlite storage in a temp dir, as `dagster dev` / the daemon use (not the in-memory ephemeral one).
    with instance_for_test() as inst:
        yield inst


@pytest.fixture(autouse=True)
def _no_hooks() -> Iterator[None]:
    yield
    MID_RUN.clear()
