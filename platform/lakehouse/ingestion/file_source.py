"""A file source's load as plain functions (no Dagster): what the bronze asset runs, and what the
benchmark's plain-script baseline runs, so the two measure the same Spark work."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dagster import AssetCheckResult, AssetKey
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion import checks
from lakehouse.ingestion.checks import contract_rules, duplicate_count, soft_rule_counts, violation_counts
from lakehouse.ingestion.file_shape import list_files
from lakehouse.ingestion.files import LANDING_DAY_PATTERN, SOURCE_FILE, landing_day, split_valid
from lakehouse.ingestion.quarantine_rate import quarantine_rate_results
from lakehouse.ingestion.raw_files import read_raw
from lakehouse.resources.delta_io_manager import ObservedFrame


@dataclass(frozen=True)
class FileLoad:
    """A file source's load, checked and split (`load_files`): the two outputs to write, each with the
    figures its write observes, and the records read per landing day."""

    table: ObservedFrame  # typed, valid rows + lineage; observes the contract's rule counts and soft rules
    quarantine: ObservedFrame  # rejected rows: raw text, source file, reason; observes rows per day
    read_by_day: dict[date | None, int]  # one per non-blank, non-header line, or per multi-line CSV record
    rules: dict[str, str]  # the contract's rules the table's write counts (checks.contract_rules)


@contextmanager
def load_files(spark: SparkSession, source: SourceConfig, contract: Contract, files: list[Path], run_id: str,
               loaded_before: DataFrame | None = None) -> Iterator[FileLoad]:
    """The load of `files`, ready to write while the context is open: the files are parsed and checked
    once, into a cache both writes read; the one Spark job here fills it, counts the records read per
    landing day and finds the keys that repeat (duplicate_keys.py).

    Write the quarantine first: a write to the bronze table drops every cached plan that reads it (Spark
    re-caches by path after a write), and with `loaded_before` the cached rows do (measured: the files were
    parsed a second time for the quarantine)."""
    checked = split_valid(read_raw(spark, source.format, files, contract, source.multiline), contract, loaded_before)
    cached = checked.rows.persist()
    try:
        days = sorted({_landing_day(f) for f in files}, key=str)
        read = ObservedFrame(cached, _per_day(landing_day(F.col(SOURCE_FILE)), days))
        split = checked.split(scanned=read.df)
        lineage = {
            source.partition_column: landing_day(F.col(SOURCE_FILE)),
            "_ingested_at": F.current_timestamp(),
            "_run_id": F.lit(run_id),
        }
        table = split.loaded.withColumns(lineage)
        if source.event_time_column:
            table = table.withColumn("event_date", F.to_date(source.event_time_column))
        quarantine = split.quarantined.withColumnRenamed("source_file", SOURCE_FILE).withColumns(lineage)
        rules = contract_rules(contract, table.columns)
        day = F.col(source.partition_column)
        # Loaded rows per day come from the committed window (check_results), so the table observes only the
        # rules; the quarantine's per-day counts are observed.
        observed = {_BROKEN: violation_counts(rules),
                    **{f"{_ABOVE}{n}": c for n, c in soft_rule_counts(contract).items()}}
        yield FileLoad(table=ObservedFrame(table, observed, published=()),
                       quarantine=ObservedFrame(quarantine, _per_day(day, days), published=()),
                       read_by_day=_by_day(read.values(), days), rules=rules)
    finally:
        cached.unpersist()


_BROKEN, _ABOVE = "contract_rules_broken", "above_soft_max_"


def _landing_day(path: Path) -> date | None:
    """A file's landing day, from its path as `files.landing_day` reads it in Spark (None if not a date)."""
    found = re.search(LANDING_DAY_PATTERN, path.as_posix())
    try:
        return date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None


def _per_day(day: Column, days: list[date | None]) -> dict[str, Column]:
    """An aggregate per landing day counting its rows (observed: few days a run, no extra job), and the
    rows in all (so a run with no files still observes something)."""
    counts = {f"day_{i}": F.count_if(day.isNull() if d is None else day == F.lit(d)) for i, d in enumerate(days)}
    return {**counts, "rows": F.count(F.lit(1))}


def _by_day(values: dict[str, Any], days: list[date | None]) -> dict[date | None, int]:
    return {d: int(values[f"day_{i}"] or 0) for i, d in enumerate(days)}


def landed_days(root: Path, days: list[str] | None, source: SourceConfig) -> list[Path]:
    """The landing-day folders to read; a missing landing zone or day is an error naming the source."""
    if not root.is_dir():
        raise FileNotFoundError(f"Source {source.name!r}: landing folder {root} does not exist")
    if days is None:
        return sorted(p for p in root.iterdir() if p.is_dir())
    missing = [d for d in days if not (root / d).is_dir()]
    if missing:
        raise FileNotFoundError(f"Source {source.name!r}: no landing folder for {missing} under {root}")
    return [root / d for d in days]


def earlier_keys(table: DataFrame | None, source: SourceConfig, contract: Contract, first_day: date | None
                 ) -> DataFrame | None:
    """The keys the bronze table already holds from the `duplicate_horizon_days` landing days before
    `first_day`, each with the earliest file holding it; None when there is nothing to compare with (no
    keys, no table yet, a full rebuild, or a horizon of 0)."""
    if table is None or first_day is None or not contract.keys or source.duplicate_horizon_days == 0:
        return None
    day = F.col(source.partition_column)
    since = first_day - timedelta(days=source.duplicate_horizon_days)
    return (table.where((day >= F.lit(since)) & (day < F.lit(first_day)))
            .groupBy(*contract.keys).agg(F.min(SOURCE_FILE).alias(SOURCE_FILE)))


def find_files(root: Path, days: list[str] | None, source: SourceConfig) -> list[Path]:
    return list_files(landed_days(root, days, source), source.format)


def in_window(df: DataFrame, column: str, start: date | None, end: date | None) -> DataFrame:
    """Rows of [start, end) on a date column; the whole frame when no window is given."""
    if start is None or end is None:
        return df
    return df.where((F.col(column) >= F.lit(start)) & (F.col(column) < F.lit(end)))


def check_results(load: FileLoad, committed: DataFrame, source: SourceConfig, contract: Contract, key: AssetKey
                  ) -> list[AssetCheckResult]:
    """The bronze checks, after both writes: `committed` is the table's window just written, read back
    for one aggregation (rows per landing day, duplicate keys); the rest was observed while writing."""
    days = list(load.read_by_day)
    keys = [k for k in contract.keys if k in committed.columns]
    aggregates = {**_per_day(F.col(source.partition_column), days),
                  "duplicates": duplicate_count(keys) if keys else F.lit(0)}
    row = committed.agg(*[c.alias(n) for n, c in aggregates.items()]).first()
    assert row is not None  # a global aggregation has one row
    loaded = _by_day(row.asDict(), days)
    written, rejected = load.table.values(), load.quarantine.values()
    quarantined = _by_day(rejected, days)
    read = load.read_by_day
    broken = dict(zip(load.rules, written[_BROKEN], strict=True))
    results = [
        checks.reconciliation_result(sum(read.values()), sum(loaded.values()), sum(quarantined.values()), key),
        *quarantine_rate_results(read, loaded, quarantined, source, key),
        checks.contract_verdict(key, contract, committed.schema, broken, int(row["duplicates"] or 0), sum(loaded.values())),
    ]
    above = {n[len(_ABOVE):]: int(v or 0) for n, v in written.items() if n.startswith(_ABOVE)}
    if above:
        results.append(checks.soft_rules_verdict(above, key))
    return results
