"""A file source's load as plain functions (no Dagster): what the bronze asset runs, and what the
benchmark's plain-script baseline runs, so the two measure the same Spark work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dagster import AssetCheckResult, AssetKey
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion import checks
from lakehouse.ingestion.file_shape import list_files
from lakehouse.ingestion.files import SOURCE_FILE, landing_day, split_valid
from lakehouse.ingestion.quarantine_rate import quarantine_rate_results
from lakehouse.ingestion.raw_files import read_raw


@dataclass
class FileLoad:
    files: list[Path]
    table: DataFrame  # typed, valid rows + landing day, event day and lineage columns
    quarantine: DataFrame  # rejected rows: raw text, source file, reason
    checked: DataFrame  # every parsed row; persist while writing so the files are parsed once
    _read: dict[date, int] | None = field(default=None, init=False, repr=False)

    def read_by_day(self) -> dict[date, int]:
        """Records read per landing day. Counted from the parsed rows (one per non-blank, non-header line, or
        per multi-line CSV record), so call it while `checked` is persisted: the files are not read again."""
        if self._read is None:
            rows = self.checked.groupBy(landing_day(F.col(SOURCE_FILE)).alias("day")).count().collect()
            self._read = {r["day"]: int(r["count"]) for r in rows}
        return self._read


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


def prepare_load(spark: SparkSession, source: SourceConfig, contract: Contract, files: list[Path], run_id: str,
                 loaded_before: DataFrame | None = None) -> FileLoad:
    raw = read_raw(spark, source.format, files, contract, source.multiline)
    split = split_valid(raw, contract, loaded_before)
    lineage = {
        source.partition_column: landing_day(F.col(SOURCE_FILE)),
        "_ingested_at": F.current_timestamp(),
        "_run_id": F.lit(run_id),
    }
    table = split.loaded.withColumns(lineage)
    if source.event_time_column:
        table = table.withColumn("event_date", F.to_date(source.event_time_column))
    quarantine = split.quarantined.withColumnRenamed("source_file", SOURCE_FILE).withColumns(lineage)
    return FileLoad(files=files, table=table, quarantine=quarantine, checked=split.checked)


def find_files(root: Path, days: list[str] | None, source: SourceConfig) -> list[Path]:
    return list_files(landed_days(root, days, source), source.format)


def in_window(df: DataFrame, column: str, start: date | None, end: date | None) -> DataFrame:
    """Rows of [start, end) on a date column; the whole frame when no window is given."""
    if start is None or end is None:
        return df
    return df.where((F.col(column) >= F.lit(start)) & (F.col(column) < F.lit(end)))


def rows_by_day(df: DataFrame, column: str) -> dict[date, int]:
    """Rows per value of a date column: one aggregation, where a count would be one too."""
    return {r[column]: int(r["count"]) for r in df.groupBy(column).count().collect()}


def check_results(
    spark: SparkSession, load: FileLoad, written: DataFrame, rejected: DataFrame, source: SourceConfig,
    contract: Contract, key: AssetKey,
) -> list[AssetCheckResult]:
    """The bronze checks over what was committed (`written` / `rejected`: the window just written)."""
    read = load.read_by_day()
    loaded, quarantined = (rows_by_day(df, source.partition_column) for df in (written, rejected))
    results = [
        checks.reconciliation_result(sum(read.values()), sum(loaded.values()), sum(quarantined.values()), key),
        *quarantine_rate_results(read, loaded, quarantined, source, key),
        checks.contract_result(written, contract, key),
    ]
    if any(c.soft_max is not None for c in contract.columns):
        results.append(checks.soft_rules_result(written, contract, key))
    return results
