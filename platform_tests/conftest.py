"""Shared fixtures: one Spark session (with Delta) for the whole test session, on a temp data root."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from lakehouse.config.profile import DATA_ROOT_ENV_VAR, Profile, load_profile
from lakehouse.profile_resources import build_resources
from lakehouse.resources.spark import SparkResource
from platform_tests.metastore import database as metastore_database

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

# Small shuffles and memory: test data is tiny, and CI has 2 cores.
_TEST_SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
}


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("lakehouse-data")
    previous = os.environ.get(DATA_ROOT_ENV_VAR)
    os.environ[DATA_ROOT_ENV_VAR] = str(root)  # resolved at run time by resources
    yield root
    if previous is None:
        os.environ.pop(DATA_ROOT_ENV_VAR, None)
    else:
        os.environ[DATA_ROOT_ENV_VAR] = previous


@pytest.fixture(scope="session")
def test_profile() -> Iterator[Profile]:
    """The local profile with small Spark settings. With LAKEHOUSE_TEST_CATALOG=metastore (make test's
    metastore suite) its tables are by name in a fresh shared Hive metastore instead of the path catalog."""
    local = load_profile("local")
    spark = local.spark.model_copy(update={"conf": {**local.spark.conf, **_TEST_SPARK_CONF}})
    profile = local.model_copy(update={"spark": spark})
    if not metastore_database.wanted():
        yield profile
        return
    with metastore_database.fresh_metastore(spark.ivy_home) as metastore:
        storage = profile.storage.model_copy(update={"catalog": "metastore", "metastore": metastore})
        yield profile.model_copy(update={"storage": storage})


@pytest.fixture(scope="session")
def resources(test_profile: Profile, data_root: Path) -> dict:
    return build_resources(test_profile, str(data_root))


@pytest.fixture(scope="session")
def spark_resource(resources: dict) -> SparkResource:
    return resources["spark"]


@pytest.fixture(scope="session")
def spark(spark_resource: SparkResource):
    session = spark_resource.spark_session
    yield session
    session.stop()


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as inst:
        yield inst


@pytest.fixture
def toy_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project (LAKEHOUSE_PROJECT_DIR) holding one dataset, `toy`, with only its dataset.yaml; tests
    write the other files into the folder returned."""
    from lakehouse.config.base import known_datasets
    from lakehouse.config.project import PROJECT_ENV_VAR

    toy = tmp_path / "datasets" / "toy"
    toy.mkdir(parents=True)
    (toy / "dataset.yaml").write_text("description: d\nowner: o\npartitions: {start_date: 2026-01-01}\n")
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    assert known_datasets() == ["toy"]
    return toy
