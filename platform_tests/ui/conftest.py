"""Fixtures of the UI check: a tiny landed demo day, one real webserver for the package, Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.settings import GeneratorSettings
from platform_tests.ui.browser import Chromium, find_or_install_chromium
from platform_tests.ui.webserver import Webserver, start_webserver, stop_webserver

# The first day of the dataset's calendar, so it is a valid partition key whatever today is.
LANDED_DAY = date(2026, 1, 1)


@dataclass(frozen=True)
class LandedDay:
    root: Path
    day: str


@pytest.fixture(scope="package")
def landed(tmp_path_factory: pytest.TempPathFactory) -> LandedDay:
    """One clean demo day with a few dozen rows: the run under test pays for Spark's start, not for data."""
    root = tmp_path_factory.mktemp("ui-data-root")
    settings = GeneratorSettings(start_date=LANDED_DAY, days=1, rows_per_day=30, customers=10, merchants=30).clean()
    generate(settings, root)
    return LandedDay(root=root, day=LANDED_DAY.isoformat())


@pytest.fixture(scope="package")
def webserver(tmp_path_factory: pytest.TempPathFactory, landed: LandedDay) -> Iterator[Webserver]:
    server = start_webserver(tmp_path_factory.mktemp("dagster-home"), landed.root)
    yield server
    stop_webserver(server)


@pytest.fixture(scope="package")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    binary, note = find_or_install_chromium()
    if binary is None:
        pytest.skip(f"Chromium is absent and cannot be installed here: {note}")
    return Chromium(binary=binary, profile_dir=tmp_path_factory.mktemp("chromium-profile"))
