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
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse.config.contracts import ColumnSpec, Contract

CORRUPT = "_corrupt_record"
SOURCE_FILE = "_source_file"
RESCUED = "_rescued_data"


@dataclass
class SplitResult:
    loaded: DataFrame
    quarantined: DataFrame


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


def read_raw(spark: SparkSession, fmt: str, files: list[Path], contract: Contract) -> DataFrame:
    """Read files as text columns aligned by name to the contract; malformed lines land in
    `_corrupt_record`, values of unexpected columns in `_rescued_data` (JSON), never dropped."""
    names = [c.name for c in contract.columns]
    if fmt == "json":
        reader = spark.read.schema(raw_schema(names)).option("mode", "PERMISSIVE")
        frames = [_with_rescued(reader.option("columnNameOfCorruptRecord", CORRUPT).json([str(f) for f in files]), names, ())]
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
            frames.append(_with_rescued(reader.csv(paths), names, extras, present=header))
    else:
        raise ValueError(f"Unsupported file format {fmt!r}; expected csv or json")
    if not frames:  # only zero-byte files: a clean no-op with the right columns
        empty = [*names, CORRUPT, RESCUED, SOURCE_FILE]
        return spark.createDataFrame([], StructType([StructField(n, StringType(), True) for n in empty]))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def _with_rescued(df: DataFrame, names: list[str], extras: tuple[str, ...], present: tuple[str, ...] | None = None) -> DataFrame:
    missing = [n for n in names if present is not None and n not in present]
    cols = [F.col(n) if n not in missing else F.lit(None).cast("string").alias(n) for n in names]
    rescued_fields = [F.col(e) for e in extras] + [F.lit(m).alias(f"_missing_column_{i}") for i, m in enumerate(missing)]
    rescued = F.to_json(F.struct(*rescued_fields)) if rescued_fields else F.lit(None).cast("string")
    return df.select(*cols, F.col(CORRUPT), rescued.alias(RESCUED), F.col("_metadata.file_path").alias(SOURCE_FILE))


def _cast(spec: ColumnSpec) -> Column:
    raw = F.trim(F.col(spec.name))
    if spec.type == "timestamp":
        return F.try_to_timestamp(raw)
    if spec.type == "boolean":
        return F.lower(raw).try_cast("boolean")
    return raw.try_cast(spec.type)


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
    if spec.min is not None:
        reasons.append(F.when(typed < F.lit(spec.min), F.lit(f"{spec.name}: below minimum {spec.min}")))
    if spec.max is not None:
        reasons.append(F.when(typed > F.lit(spec.max), F.lit(f"{spec.name}: above maximum {spec.max}")))
    if spec.allowed is not None:
        reasons.append(F.when(~typed.isin(spec.allowed), F.lit(f"{spec.name}: not one of {spec.allowed}")))
    return reasons


def split_valid(raw: DataFrame, contract: Contract) -> SplitResult:
    """Typed, valid rows and quarantined rows (raw text + reasons); counts always add up."""
    typed = {c.name: _cast(c) for c in contract.columns}
    reasons: list[Column] = []
    for spec in contract.columns:
        reasons.extend(_violations(spec, typed[spec.name]))
    # A malformed line has one reason; its column-level findings would only be noise.
    column_reasons = F.filter(F.array(*reasons), lambda r: r.isNotNull())
    all_reasons = F.when(F.col(CORRUPT).isNotNull(), F.array(F.lit("malformed record"))).otherwise(column_reasons)
    checked = raw.withColumn("_reasons", all_reasons)
    checked = checked.withColumns({f"_typed_{c}": expr for c, expr in typed.items()})
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
    return SplitResult(loaded=loaded, quarantined=quarantined)
