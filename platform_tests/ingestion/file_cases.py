"""Land hand-made files and ingest them through the real bronze asset, each case into tables of its own.

A case writes its files under `cases/<case>/<day>/` in the test data root and runs a copy of the source named
`case_<case>` (an asset of its own, table bronze.case_<case>) with `data_source` pointing there, so cases never
see each other's rows or keys.
Source and contract fields can be overridden per case (e.g. `multiline`, a column's `format`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from dagster import AssetCheckEvaluation, DagsterInstance, materialize
from pyspark.sql import DataFrame, SparkSession

from lakehouse.config.contracts import Contract, load_contracts
from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import dataset_key, side_key, table_name_of
from lakehouse.config.sources import load_sources
from lakehouse.ingestion import assets as ingestion_assets
from lakehouse.partitions import build_calendar

COLUMNS = ["transaction_id", "customer_id", "merchant_id", "event_time", "amount", "currency", "channel",
           "category", "country", "device_id", "entry_mode"]
HEADER = ",".join(COLUMNS)
SOURCES = {"csv": "transactions_pos", "json": "transactions_online"}


def values(transaction_id: str, **overrides: str | None) -> dict[str, str | None]:
    """A valid transaction as text values (the day is 2026-01-02)."""
    base = dict(zip(COLUMNS, [transaction_id, "c1", "m1", "2026-01-02T10:00:00Z", "12.50", "EUR", "pos", "grocery",
                              "DE", None, "chip"]))
    return {**base, **overrides}


def csv_line(row: dict[str, str | None]) -> str:
    return ",".join("" if row[c] is None else str(row[c]) for c in COLUMNS)


def json_line(row: dict[str, Any]) -> str:
    return json.dumps(row)


def contract_with(columns: dict[str, dict[str, Any]], name: str = "transactions") -> Contract:
    """The demo contract with some columns' fields replaced (e.g. {"amount": {"round": True}})."""
    base = load_contracts("card_fraud")[name]
    specs = [c.model_copy(update=columns.get(c.name, {})) for c in base.columns]
    return base.model_copy(update={"columns": specs})


@dataclass
class Ingested:
    success: bool
    table: DataFrame
    quarantine: DataFrame
    checks: dict[str, AssetCheckEvaluation]
    table_location: str
    quarantine_location: str
    landing: Path


@contextmanager
def _contract_override(contract: Contract | None) -> Iterator[None]:
    if contract is None:
        yield
        return
    contracts = {**load_contracts("card_fraud"), contract.name: contract}
    with mock.patch.object(ingestion_assets, "load_contracts", lambda _dataset: contracts):
        yield


def land(data_root: Path, case: str, files: Mapping[str, bytes | str]) -> Path:
    """Write `{"<day>/<name>": content}` under cases/<case>; returns the landing folder."""
    landing = data_root / "cases" / case
    for rel, content in files.items():
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return landing


def ingest(spark: SparkSession, resources: dict, data_root: Path, case: str, fmt: str,
           files: Mapping[str, bytes | str], days: list[str] | None = None, source: dict[str, Any] | None = None,
           contract: Contract | None = None) -> Ingested:
    """Land `files` and ingest `days` (default: every day in `files`) as one run; never raises on a failed
    check, so a case can assert on the checks. Each case is its own source, `case_<case>`: a different asset
    whose table is bronze.case_<case> (a run cannot redirect a source's asset to another table)."""
    landing = land(data_root, case, files)
    days = days or sorted({rel.split("/")[0] for rel in files})
    config = load_sources("card_fraud")[SOURCES[fmt]].model_copy(update={"name": f"case_{case}", **(source or {})})
    dataset = load_dataset("card_fraud")
    with _contract_override(contract):
        asset_def = ingestion_assets.BUILDERS[fmt](config, dataset, build_calendar(dataset.partitions))
    table = table_name_of(config.key)
    run_config = {"ops": {asset_def.op.name: {"config": {"data_source": f"cases/{case}"}}}}
    if len(days) == 1:
        kwargs: dict[str, Any] = {"partition_key": days[0]}
    else:
        kwargs = {"tags": {"dagster/asset_partition_range_start": days[0],
                           "dagster/asset_partition_range_end": days[-1]}}
    with DagsterInstance.ephemeral() as instance:
        result = materialize([asset_def], resources=resources, instance=instance, run_config=run_config,
                             raise_on_error=False, **kwargs)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    key = dataset_key(dataset.name, config.key)  # the asset's key: [card_fraud, bronze, case_<case>]
    refs = [resources["spark"].table_for(k) for k in (key, side_key(key, "_quarantine"))]
    return Ingested(result.success, spark.table(table), spark.table(f"{table}_quarantine"), checks,
                    str(refs[0].location), str(refs[1].location), landing)
