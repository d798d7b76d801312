"""Fixtures of the automation tests: a real sqlite-backed Dagster instance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance, instance_for_test


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    # sqlite storage in a temp dir, as `dagster dev` / the daemon use (not the in-memory ephemeral one).
    with instance_for_test() as inst:
        yield inst
