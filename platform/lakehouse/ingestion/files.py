"""Reading landed CSV / JSON-lines files against a contract, without losing a row.

Every column is read as text, then cast to its contract type with `try_cast`. A row is quarantined
(with its raw text, source file and the reasons) when its line is malformed, a required value is
missing, a value does not cast, or a hard rule (min / max / allowed) fails. Everything else is loaded.
So rows read = rows loaded + rows quarantined, always.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, StringType, StructField, StructType

from lakehouse.config.contracts import ColumnSpec, Contract

CORRUPT = "_corrupt_record"
SOURCE_FILE = "_source_file"
RESCUED = "_rescued_data"
TRUNCATED = "_truncated_line"


@dataclass
class SplitResult:
    loaded: DataFrame
    quarantined: DataFrame
    checked: DataFrame  # every row with its reasons: persist it so the files are parsed once


def raw_schema(columns: list[str]) -> StructType:
    """The given columns as strings, plus the column Spark fills with a malformed line."""
    fields = [StructField(name, StringType(), True) for name in columns]
    return StructType(fields + [StructField(CORRUPT, StringType(), True)])


def list_files(folders: list[Path], fmt: str) -> list[Path]:
    suffixes = {"csv": (".csv",), "json": (".json", ".jsonl")}[fmt]
    return sorted(f for d in folders for f in d.iterdir() if f.is_file() and f.name.endswith(suffixes))


def csv_header(path: Path) -> tuple[str, ...] | None:
    """The header of a CSV file (None for a zero-byte file, which holds no rows)."""
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8", errors="replace").strip("\r\n")
    return tuple(next(csv.reader([first]))) if first else None


def truncated_last_line(path: Path) -> str | None:
    """The last line of a file that does not end with a newline (a cut-off write), else None."""
    size = path.stat().st_size
    if size == 0:
        return None
    with path.open("rb") as handle:
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    if tail.endswith(b"\n"):
        return None
    return tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace").rstrip("\r")


def _flag_truncated(df: DataFrame, header: tuple[str, ...], paths: list[str]) -> DataFrame:
    """Mark the incomplete last line of cut-off CSV files: it may parse into the right number of
    fields with its last value cut short, which would load a silently altered row."""
    flag = F.lit(False)
    line = F.concat_ws(",", *[F.coalesce(F.col(h), F.lit("")) for h in header])
    for path in paths:
        last = truncated_last_line(Path(path))
        if last is not None:
            flag = flag | (F.col(SOURCE_FILE).endswith(path) & (line == F.lit(last)))
    return df.withColumn(TRUNCATED, flag)


def read_raw(spark: SparkSession, fmt: str, files: list[Path], contract: Contract) -> DataFrame:
    """Read files as text columns aligned by name to the contract; malformed lines land in
    `_corrupt_record`, values of unexpected columns in `_rescued_data` (JSON), never dropped."""
    names = [c.name for c in contract.columns]
    if fmt == "json":
        reader = spark.read.schema(raw_schema(names)).option("mode", "PERMISSIVE")
        frames = [_with_rescued(reader.option("columnNameOfCorruptRecord", CORRUPT).json([str(f) for f in files]), names, ())
                  .withColumn(TRUNCATED, F.lit(False))]
    elif fmt == "csv":
        # Group files by header and read each group by its own header: a file with a missing, extra or
        # reordered column is read by name instead of shifting values into the wrong columns.
        groups: dict[tuple[str, ...], list[str]] = {}
        for path in files:
            header = csv_header(path)
            if header is not None:
                groups.setdefault(header, []).append(str(path))
        frames = []
        for header, paths in groups.items():
            reader = spark.read.schema(raw_schema(list(header))).option("mode", "PERMISSIVE")
            reader = reader.option("columnNameOfCorruptRecord", CORRUPT).option("header", "true")
            extras = tuple(h for h in header if h not in names)
            raw = reader.csv(paths).withColumn(SOURCE_FILE, F.col("_metadata.file_path"))
            raw = _flag_truncated(raw, header, paths)
            frames.append(_with_rescued(raw, names, extras, present=header))
    else:
        raise ValueError(f"Unsupported file format {fmt!r}; expected csv or json")
    if not frames:  # only zero-byte files: a clean no-op with the right columns
        empty = [*names, CORRUPT, RESCUED, SOURCE_FILE]
        fields = [StructField(n, StringType(), True) for n in empty] + [StructField(TRUNCATED, BooleanType(), True)]
        return spark.createDataFrame([], StructType(fields))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def _with_rescued(df: DataFrame, names: list[str], extras: tuple[str, ...], present: tuple[str, ...] | None = None) -> DataFrame:
    missing = [n for n in names if present is not None and n not in present]
    cols = [F.col(n) if n not in missing else F.lit(None).cast("string").alias(n) for n in names]
    rescued_fields = [F.col(e) for e in extras] + [F.lit(m).alias(f"_missing_column_{i}") for i, m in enumerate(missing)]
    rescued = F.to_json(F.struct(*rescued_fields)) if rescued_fields else F.lit(None).cast("string")
    source = F.col(SOURCE_FILE) if SOURCE_FILE in df.columns else F.col("_metadata.file_path")
    truncated = [F.col(TRUNCATED)] if TRUNCATED in df.columns else []
    return df.select(*cols, F.col(CORRUPT), rescued.alias(RESCUED), source.alias(SOURCE_FILE), *truncated)


def _cast(spec: ColumnSpec) -> Column:
    raw = F.trim(F.col(spec.name))
    if spec.type == "timestamp":
        return F.try_to_timestamp(raw)
    if spec.type == "boolean":
        return F.lower(raw).try_cast("boolean")
    return raw.try_cast(spec.type)


def landing_day(path: Column) -> Column:
    """The landing day of a file: the YYYY-MM-DD folder it was landed in."""
    return F.to_date(F.regexp_extract(path, r"/(\d{4}-\d{2}-\d{2})/[^/]*$", 1))


def hard_rule_reasons(spec: ColumnSpec, typed: Column) -> list[Column]:
    """The contract's value rules on a typed column: one reason (or null) per rule."""
    reasons = []
    if spec.min is not None:
        reasons.append(F.when(typed < F.lit(spec.min), F.lit(f"{spec.name}: below minimum {spec.min}")))
    if spec.max is not None:
        reasons.append(F.when(typed > F.lit(spec.max), F.lit(f"{spec.name}: above maximum {spec.max}")))
    if spec.allowed is not None:
        reasons.append(F.when(~typed.isin(spec.allowed), F.lit(f"{spec.name}: not one of {spec.allowed}")))
    if spec.earliest is not None:
        reasons.append(F.when(typed < F.lit(spec.earliest).cast("date"), F.lit(f"{spec.name}: before {spec.earliest}")))
    return reasons


def _violations(spec: ColumnSpec, typed: Column) -> list[Column]:
    """One `reason` string (or null) per rule of the column."""
    raw = F.col(spec.name)
    present = raw.isNotNull() & (F.trim(raw) != "")
    reasons = [
        F.when(~present & F.lit(spec.required), F.lit(f"{spec.name}: required value missing")),
        F.when(present & typed.isNull(), F.concat(F.lit(f"{spec.name}: not a {spec.type}: "), F.substring(raw, 1, 60))),
        # Spark decodes invalid UTF-8 as U+FFFD: loading it would silently alter the value.
        F.when(raw.contains("\ufffd"), F.lit(f"{spec.name}: invalid UTF-8 bytes")),
    ]
    reasons.extend(hard_rule_reasons(spec, typed))
    if spec.max_after_landing_hours is not None:
        # Seconds past the end of the landing day (landing day + 1 at midnight).
        limit = F.unix_timestamp(F.date_add(landing_day(F.col(SOURCE_FILE)), 1).cast("timestamp"))
        late = F.unix_timestamp(typed) - limit > F.lit(spec.max_after_landing_hours * 3600)
        reasons.append(F.when(late, F.lit(f"{spec.name}: after its landing day (future timestamp)")))
    return reasons


def split_valid(raw: DataFrame, contract: Contract) -> SplitResult:
    """Typed, valid rows and quarantined rows (raw text + reasons); counts always add up."""
    typed = {c.name: _cast(c) for c in contract.columns}
    reasons: list[Column] = []
    for spec in contract.columns:
        reasons.extend(_violations(spec, typed[spec.name]))
    # A malformed line has one reason; its column-level findings would only be noise.
    column_reasons = F.filter(F.array(*reasons), lambda r: r.isNotNull())
    all_reasons = (
        F.when(F.col(CORRUPT).isNotNull(), F.array(F.lit("malformed record")))
        .when(F.col(TRUNCATED), F.array(F.lit("truncated file: incomplete last line")))
        .otherwise(column_reasons)
    )
    checked = raw.withColumn("_reasons", all_reasons)
    checked = checked.withColumns({f"_typed_{c}": expr for c, expr in typed.items()})
    checked = _flag_duplicate_keys(checked, contract.keys)
    is_bad = F.size("_reasons") > 0
    loaded = checked.where(~is_bad).select(
        *[F.col(f"_typed_{c.name}").alias(c.name) for c in contract.columns], RESCUED, SOURCE_FILE
    )
    raw_text = F.coalesce(
        F.col(CORRUPT), F.to_json(F.struct(*[F.col(c.name) for c in contract.columns]))
    )
    quarantined = checked.where(is_bad).select(
        F.col(SOURCE_FILE).alias("source_file"),
        raw_text.alias("raw_record"),
        F.array_join("_reasons", "; ").alias("reason"),
    )
    return SplitResult(loaded=loaded, quarantined=quarantined, checked=checked)


def _flag_duplicate_keys(checked: DataFrame, keys: list[str]) -> DataFrame:
    """Second and later valid rows with the same key are quarantined, so bronze keys are unique
    within a load. Which row is kept is deterministic: the first by source file, then row content."""
    if not keys:
        return checked
    valid = F.size("_reasons") == 0
    order = [F.col(SOURCE_FILE), F.xxhash64(*[F.col(f"_typed_{k}") for k in keys], F.to_json(F.struct("*")))]
    window = Window.partitionBy(valid, *[F.col(f"_typed_{k}") for k in keys]).orderBy(*order)
    rank = F.row_number().over(window)
    duplicate = F.concat(F.lit(f"duplicate key {keys}: first kept from "), F.first(SOURCE_FILE).over(window))
    return checked.withColumn("_reasons", F.when(valid & (rank > 1), F.array(duplicate)).otherwise(F.col("_reasons")))


def count_source_rows(spark: SparkSession, fmt: str, files: list[Path]) -> int:
    """Independent count of records in the files (non-blank lines, minus CSV headers), for reconciliation."""
    if not files:
        return 0
    lines = spark.read.text([str(f) for f in files]).where(F.trim("value") != "").count()
    headers = sum(1 for f in files if csv_header(f)) if fmt == "csv" else 0
    return lines - headers
