"""Shared helpers of the JDBC ingestion tests: real source tables under a unique prefix, the assets,
and reading back what a run committed or reported."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from dagster import AssetsDefinition, DagsterInstance, ExecuteInProcessResult, materialize
from sqlalchemy.engine import Engine

from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import split_table_name
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.jdbc_assets import build_jdbc_asset
from lakehouse.partitions import build_calendar
from lakehouse.resources.jdbc import JdbcConnection
from lakehouse_tools.demo.entities import entities_for
from lakehouse_tools.demo.generator import customer_rows, merchant_rows
from lakehouse_tools.demo.settings import DirtyRates, GeneratorSettings
from lakehouse_tools.demo.sources import make_engine, sync_sources, tables
from lakehouse_tools.demo.streams import day_key

DATASET = "card_fraud"  # the JDBC sources' dataset: its asset keys are [card_fraud, bronze, <name>]
TINY = GeneratorSettings(customers=20, merchants=30, rows_per_day=10, dirty=DirtyRates.none())


def database_url(variable: str) -> str:
    """The test server's SQLAlchemy URL. Missing: skip locally, but fail in CI, which must never skip."""
    url = os.environ.get(variable)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{variable} is not set: CI must run the database tests (make test starts the servers)")
    pytest.skip(f"{variable} is not set (make test provides it)")


@dataclass
class SourceDb:
    """Prefixed copies of the demo's customers / merchants tables on one real database server."""

    engine: Engine
    prefix: str
    connection: JdbcConnection
    customers: sa.Table
    merchants: sa.Table

    def execute(self, statement: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(statement)

    def scalar(self, statement: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(statement).scalar_one()

    def update_customer(self, customer_id: str, **values: Any) -> None:
        self.execute(sa.update(self.customers).where(self.customers.c.customer_id == customer_id).values(**values))

    def customer_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(sa.select(self.customers.c.customer_id)).scalars())


@pytest.fixture
def source_db(request: pytest.FixtureRequest) -> Iterator[SourceDb]:
    """Parametrise indirectly with the env variable of the server (LAKEHOUSE_TEST_PG_URL, ...)."""
    url = database_url(request.param)
    engine = make_engine(url)
    prefix = f"jdbc_test_{uuid.uuid4().hex[:8]}_"
    ents = entities_for(TINY)
    try:
        sync_sources(engine, customer_rows(TINY, ents, day_key(TINY.start_date)), merchant_rows(ents), prefix)
        customers, merchants = tables(sa.MetaData(), prefix)
        yield SourceDb(engine, prefix, JdbcConnection.from_sqlalchemy_url(url), customers, merchants)
    finally:
        sa.MetaData().drop_all(engine, tables=list(tables(sa.MetaData(), prefix)), checkfirst=True)
        engine.dispose()


def jdbc_asset(source: str, table: str | None = None) -> AssetsDefinition:
    """The source's asset; with `table` (bronze.<name>), the same source under that name: a different asset
    whose key names the test's own table (a run cannot redirect a source's asset to another table)."""
    dataset = load_dataset(DATASET)
    config = load_sources(dataset.name)[source]
    if table is not None:
        schema, name = split_table_name(table)
        assert (schema,) == config.key[:1], f"test tables are bronze tables, not {table}"
        config = config.model_copy(update={"name": name})
    return build_jdbc_asset(config, dataset, build_calendar(dataset.partitions))


def run(
    source: str,
    resources: dict[str, Any],
    instance: DagsterInstance,
    day: str,
    config: dict[str, Any],
    raise_on_error: bool = True,
) -> ExecuteInProcessResult:
    """Materialise `source`; a `target_table` in `config` selects the test's own asset (jdbc_asset)."""
    config = dict(config)
    table = config.pop("target_table", None)
    asset = jdbc_asset(source, table)
    run_config = {"ops": {asset.op.name: {"config": config}}}
    return materialize(
        [asset],
        resources=resources,
        instance=instance,
        partition_key=day,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def metadata(result: ExecuteInProcessResult, *key: str) -> dict[str, Any]:
    """The materialisation metadata of one asset, as plain values; `key` is within the dataset:
    ("bronze", "customers") finds card_fraud/bronze/customers, and also a test's own copy of the source,
    card_fraud/bronze/customers_<hex> (unique_table)."""
    schema, name = key
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        found = materialization.asset_key.path
        if (len(found) == 3 and list(found[:2]) == [DATASET, schema]
                and (found[-1] == name or re.fullmatch(f"{name}_[0-9a-f]{{8}}", found[-1]))):
            return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    raise KeyError(f"No materialisation of {key}")


def checks_passed(result: ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def unique_table(name: str) -> str:
    return f"bronze.{name}_{uuid.uuid4().hex[:8]}"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)
