"""A missing embedded SQLite source is an error naming the file, and creates nothing (issue 16, item 9).

Before: the SQLite driver created an empty 0-byte database where the file should be and the run failed
with "no such table: merchants".
"""

from pathlib import Path

import pytest

from lakehouse.config.profile import DATA_ROOT_ENV_VAR
from lakehouse.resources.delta_write import table_exists
from lakehouse.resources.jdbc import DRIVERS, JdbcConnection, sqlite_database_file
from platform_tests.ingestion.jdbc_fixtures import run, unique_table


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("jdbc:sqlite:/data/sources/demo.sqlite", "/data/sources/demo.sqlite"),
        ("jdbc:sqlite:file:///data/demo.db?mode=ro", "/data/demo.db"),
        ("jdbc:sqlite:file:/data/demo.db", "/data/demo.db"),
        ("jdbc:sqlite:relative/demo.db", "relative/demo.db"),
        ("jdbc:sqlite::memory:", None),
        ("jdbc:sqlite:file::memory:?cache=shared", None),
        ("jdbc:postgresql://127.0.0.1:5432/db", None),
    ],
)
def test_the_sqlite_file_of_a_jdbc_url(url, expected):
    assert sqlite_database_file(url) == (Path(expected) if expected else None)


def test_a_missing_file_is_refused_before_a_driver_could_create_it(tmp_path, monkeypatch):
    # The environment's data root wins over the configured one (conftest's session root may be set).
    monkeypatch.setenv(DATA_ROOT_ENV_VAR, str(tmp_path))
    (tmp_path / "sources").mkdir()
    missing = tmp_path / "sources" / "demo_sources.sqlite"
    conn = JdbcConnection(url="jdbc:sqlite:{data_root}/sources/demo_sources.sqlite", driver=DRIVERS["sqlite"],
                          data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"source database file {missing} not found"):
        conn.spark_options()
    assert not missing.exists()
    missing.touch()  # an existing file (even empty) is the database's business, not this check's
    assert conn.spark_options()["url"] == f"jdbc:sqlite:{missing}"


def test_the_run_names_the_missing_file_and_creates_nothing(spark, spark_resource, resources, instance, tmp_path):
    (tmp_path / "sources").mkdir()
    missing = tmp_path / "sources" / "demo_sources.sqlite"
    conn = JdbcConnection(url=f"jdbc:sqlite:{missing}", driver=DRIVERS["sqlite"])
    target = unique_table("merchants")
    with pytest.raises(Exception, match=r"Source 'merchants_[0-9a-f]{8}'.*source database file .*demo_sources.sqlite not found"):
        run("merchants", {**resources, "merchants_db": conn}, instance, "2026-01-02", {"target_table": target})
    assert not missing.exists()  # no 0-byte database left behind
    schema, _, table = target.partition(".")
    for suffix in ("", "_quarantine"):
        assert not table_exists(spark, spark_resource.table(schema, table + suffix))
