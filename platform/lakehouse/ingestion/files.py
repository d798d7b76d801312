"""Reading landed CSV / JSON-lines files against a contract, without losing a row.

Every column is read as text, then cast to its contract type with `try_cast`. A row is quarantined
(with its raw text, source file and the reasons) when its line is malformed, a required value is
missing, a value does not cast, or a hard rule (min / max / allowed) fails. Everything else is loaded.
So rows read = rows loaded + rows quarantined, always.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse.config.contracts import ColumnSpec, Contract

CORRUPT = "_corrupt_record"
SOURCE_FILE = "_source_file"


@dataclass
class SplitResult:
    loaded: DataFrame
    quarantined: DataFrame


def raw_schema(contract: Contract) -> StructType:
    """All contract columns as strings, plus the column Spark fills with a malformed line."""
    fields = [StructField(c.name, StringType(), True) for c in contract.columns]
    return StructType(fields + [StructField(CORRUPT, StringType(), True)])


def read_raw(spark: SparkSession, fmt: str, paths: list[str], contract: Contract) -> DataFrame:
    """Read files as text columns; malformed lines land in `_corrupt_record` instead of failing."""
    reader = spark.read.schema(raw_schema(contract)).option("mode", "PERMISSIVE")
    reader = reader.option("columnNameOfCorruptRecord", CORRUPT)
    if fmt == "csv":
        # enforceSchema=false checks the header against the contract, so a file with a missing or
        # reordered column is flagged instead of silently shifting values into the wrong columns.
        df = reader.option("header", "true").option("enforceSchema", "false").csv(paths)
    elif fmt == "json":
        df = reader.json(paths)
    else:
        raise ValueError(f"Unsupported file format {fmt!r}; expected csv or json")
    return df.withColumn(SOURCE_FILE, F.col("_metadata.file_path"))


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
        *[F.col(f"_typed_{c.name}").alias(c.name) for c in contract.columns], SOURCE_FILE
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
