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

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.ingestion.casts import cast_reasons, typed_value
from lakehouse.ingestion.duplicate_keys import (
    CONTENT,
    REASON,
    ROW,
    flag_loaded_before,
    flag_repeated,
    join_loaded_before,
    typed,
)
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

__all__ = ["CORRUPT", "RESCUED", "SOURCE_FILE", "TRUNCATED", "CheckedRows", "SplitResult", "raw_schema", "split_valid"]

RAW_ENCODING = "raw_record_encoding"
LANDING_DAY_PATTERN = r"/(\d{4}-\d{2}-\d{2})/[^/]*$"  # a file's landing day: the folder it was landed in
_SEPARATOR = "; "


@dataclass(frozen=True)
class SplitResult:
    loaded: DataFrame  # typed rows that passed, under the contract's names, with RESCUED and SOURCE_FILE
    quarantined: DataFrame  # source file, raw text (and its encoding), reason


@dataclass(frozen=True)
class CheckedRows:
    """Every row checked against the contract, duplicate keys not yet looked for: persist `rows` (the files
    are parsed once for both outputs), then `split()`."""

    rows: DataFrame
    contract: Contract
    has_raw: bool  # rows carry their line as landed (RAW): the quarantine keeps it
    encoded: bool  # the quarantine says how its raw text is encoded (batch files: RAW_ENCODING)

    def split(self, scanned: DataFrame | None = None) -> SplitResult:
        """Loaded and quarantined rows, with duplicate keys quarantined. Runs one Spark job over the rows
        (`scanned`: them with observations attached, see duplicate_keys.flag_repeated)."""
        rows = flag_repeated(self.rows, self.contract.keys, scanned)
        is_bad = F.col(REASON).isNotNull()
        loaded = rows.where(~is_bad).select(
            *[F.col(typed(c.name)).alias(c.name) for c in self.contract.columns], RESCUED, SOURCE_FILE
        )
        # The line as landed; without one, Spark's malformed text (multi-line CSV) or the values as JSON.
        values = F.to_json(F.struct(*[F.col(c.name) for c in self.contract.columns]))
        raw_text = F.col(RAW) if self.has_raw else F.coalesce(F.col(CORRUPT), values)
        quarantined = rows.where(is_bad).select(
            F.col(SOURCE_FILE).alias("source_file"), *_raw_record(raw_text, self.encoded), F.col(REASON).alias("reason"),
        )
        return SplitResult(loaded=loaded, quarantined=quarantined)


def joined_reasons(reasons: list[Column]) -> Column:
    """The reasons that apply (each a string or null), joined by "; "; null when none does. `concat_ws`
    skips nulls and is compiled with the rest of the row; Spark evaluates the higher-order functions an
    array would need (`filter`, `exists`) without code generation."""
    return F.nullif(F.concat_ws(_SEPARATOR, *reasons), F.lit(""))


def raw_schema(columns: list[str]) -> StructType:
    """The given columns as strings, plus the column Spark fills with a malformed line."""
    fields = [StructField(name, StringType(), True) for name in columns]
    return StructType(fields + [StructField(CORRUPT, StringType(), True)])


def landing_day(path: Column) -> Column:
    """The landing day of a file: the YYYY-MM-DD folder it was landed in."""
    return F.to_date(F.regexp_extract(path, LANDING_DAY_PATTERN, 1))


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


def split_valid(raw: DataFrame, contract: Contract, loaded_before: DataFrame | None = None) -> CheckedRows:
    """Every row typed and checked, its reason null when it loads (`CheckedRows.split()` then makes the typed,
    valid rows and the quarantined rows with raw text + reasons; counts always add up). `loaded_before`:
    keys already in the table from earlier landing days, with the file holding each (`earlier_keys`)."""
    landed = {c.name: landed_value(c) for c in contract.columns}
    # The typed values are staged as columns first, and the reasons read those columns: inside the reasons'
    # conditional branches (coalesce, when) Spark does not share a repeated expression, so an inlined cast
    # ran once per rule that reads it (a timestamp parse five times per row: most of ingestion's time).
    checked = raw.withColumns({typed(c.name): typed_value(c, landed[c.name]) for c in contract.columns})
    if loaded_before is not None:
        # Joined below the reasons: at a join the optimizer's constraint inference (InferFiltersFromConstraints)
        # compares every aliased expression under it with every other, and over the reasons' expression that
        # ran for many minutes on a 16-column contract (re-running a range over a filled table).
        checked = join_loaded_before(checked, contract.keys, loaded_before)
    reasons: list[Column] = []
    for spec in contract.columns:
        reasons.extend(_violations(spec, landed[spec.name], F.col(typed(spec.name))))
    # Each step below reads the one before as a column, for the same reason: a reason referenced in a
    # condition and its branches would otherwise be built up to three times per row.
    checked = checked.withColumn(REASON, joined_reasons(reasons))
    reason = F.col(REASON)
    if HINT in raw.columns:
        # A file whose names do not match the contract: its quarantined rows say which to declare as
        # `source_name` (source_names.py). Only rows with a reason of their own; the hint rejects nothing.
        reason = F.when(reason.isNotNull(), F.concat_ws(_SEPARATOR, reason, F.col(HINT)))
    # A rejected line has one reason; its column-level findings would only be noise.
    checked = checked.withColumn(REASON, F.coalesce(_line_reason(raw), reason))
    if RAW in raw.columns:
        # Bytes that are not UTF-8 outside the contract's values (an extra column, a JSON key) are still bytes
        # the loaded row would not keep.
        named = F.coalesce(F.col(REASON).contains("invalid UTF-8"), F.lit(False))
        checked = checked.withColumn(REASON, F.when(
            ~F.is_valid_utf8(RAW) & ~named, F.concat_ws(_SEPARATOR, REASON, F.lit("invalid UTF-8 bytes in the line"))
        ).otherwise(F.col(REASON)))
    if loaded_before is not None:
        checked = flag_loaded_before(checked, contract.keys)
    # Ties between rows of one key in one file are broken by the row's content (duplicate_keys.py), hashed
    # here: the line as landed where there is one (hashing the values it parsed into cost several times
    # more, measured), else the values as text.
    has_raw = RAW in raw.columns
    content = [RAW] if has_raw else [c for c in raw.columns if not c.startswith("_") or c in (RESCUED, CORRUPT)]
    checked = checked.withColumns({CONTENT: F.xxhash64(*[F.col(c) for c in content]), ROW: F.monotonically_increasing_id()})
    if has_raw:  # the line is the row's raw text: its values as text are not needed again
        checked = checked.drop(*[c.name for c in contract.columns])
    # Batch files (lines, or multi-line CSV records) store how the raw text is encoded; a stream does not.
    encoded = has_raw or LINE_REASON in raw.columns
    return CheckedRows(rows=checked, contract=contract, has_raw=has_raw, encoded=encoded)


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
