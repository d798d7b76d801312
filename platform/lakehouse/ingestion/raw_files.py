"""Reading landed CSV / JSON-lines files into the raw shape that `files.split_valid` checks.

One line, one record: files are read as text lines (`spark.read.text`) and each record's values are parsed
from its line (`from_csv` / `from_json`). So a rejected line reaches the quarantine with its bytes as landed
(`_raw_line`), a cut-off last line is recognised by its bytes rather than by re-joined values, and the scan
that parses the rows is also the one that counts them for reconciliation — one pass over the files. Blank
lines and a CSV file's header line (wherever it is repeated) are not records.

CSV sources with `multiline: true` are read by Spark's CSV reader with `multiLine`: a quoted value may span
lines, so lines are no longer records; there a row's raw text is the malformed text Spark saw, or its values.

Columns are found by their name in the files (`ColumnSpec.landed_name`: a declared `source_name`, else the
column's name), exactly, and come out under the contract's names (see ingestion/source_names.py).
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, StringType, StructField, StructType

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.ingestion.casts import decimal_digits
from lakehouse.ingestion.file_shape import CutOff, cut_off_line, has_unclosed_quote, header_columns, header_line
from lakehouse.ingestion.source_names import HINT, header_hint, line_hint

CORRUPT = "_corrupt_record"
SOURCE_FILE = "_source_file"
RESCUED = "_rescued_data"
TRUNCATED = "_truncated_line"
RAW = "_raw_line"  # the line's bytes as landed (a multi-line CSV has no lines: no such column)
LINE_REASON = "_line_reason"  # why the whole line is rejected (null: its values are checked one by one)

TRUNCATED_REASON = "truncated file: incomplete last line"
MALFORMED = "malformed record"
UNCLOSED_REASON = "malformed record: a quote never closes, the rest of the file was read as one value"
# RFC 4180, as Python's csv module, pandas and spreadsheets write: a quote inside a quoted value is doubled
# (`"say ""hi"""`). Spark's default escape character is a backslash, which would load such a value
# with its quotes doubled: altered.
_RFC4180 = {"quote": '"', "escape": '"'}
# Strict JSON: single-quoted strings are not JSON (Spark accepts them by default).
_JSON_OPTIONS = {"mode": "PERMISSIVE", "allowSingleQuotes": "false"}
_SIZE = "_file_size"


def read_raw(spark: SparkSession, fmt: str, files: list[Path], contract: Contract, multiline: bool = False) -> DataFrame:
    """Every record of `files` with the contract's columns as text plus the technical columns above."""
    names = [c.name for c in contract.columns]
    if fmt == "json":
        frames = [_json_frame(spark, files, contract)] if files else []
    elif fmt == "csv":
        frames = _csv_frames(spark, files, contract.columns, multiline)
    else:
        raise ValueError(f"Unsupported file format {fmt!r}; expected csv or json")
    if not frames:  # no files, or only empty ones: a clean no-op with the right columns
        technical = [CORRUPT, RESCUED, SOURCE_FILE, RAW, LINE_REASON, HINT]
        fields = [StructField(n, StringType(), True) for n in [*names, *technical]]
        return spark.createDataFrame([], StructType(fields))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def _lines(spark: SparkSession, paths: list[Path]) -> DataFrame:
    text = spark.read.text([str(p) for p in paths]).where(F.trim("value") != "")
    return text.select(F.col("value").alias(RAW), F.col("_metadata.file_path").alias(SOURCE_FILE),
                       F.col("_metadata.file_size").alias(_SIZE))


def _is_cut_off(cut_offs: list[CutOff]) -> Column:
    """This row is a file's incomplete last line: same file size, same bytes (hashed only when the size and
    length already match, so complete files pay nothing)."""
    flag = F.lit(False)
    for cut in cut_offs:
        same = (F.col(_SIZE) == cut.file_size) & (F.octet_length(RAW) == cut.length)
        flag = flag | (same & (F.sha2(F.col(RAW).cast("binary"), 256) == cut.sha256))
    return flag


def _odd_quotes(line: Column) -> Column:
    """An unclosed quote: Spark's line parser would read the rest of the line as the last value, so a
    line cut inside a quoted value (`...,"contactl`) parses into the right number of fields. A quote
    inside a quoted value is doubled (RFC 4180), so a complete line has an even number of them."""
    return (F.octet_length(line) - F.octet_length(F.replace(line, F.lit('"'), F.lit("")))) % 2 == 1


def _by_header(value: dict[int, Column], header: tuple[str, ...], columns: list[ColumnSpec]) -> list[Column]:
    """Contract columns from a file's header by their landed name, under their contract name; then
    `_rescued_data`: values of columns outside the contract and the (landed) names of contract columns the
    file lacks; then the header's hint (source_names.py). The first column of a name wins. Names are
    compared here, in Python, so the match is exact whatever Spark's case sensitivity."""
    position = {h: i for i, h in reversed(list(enumerate(header)))}
    landed = [c.landed_name for c in columns]
    cols = [value[position[c.landed_name]].alias(c.name) if c.landed_name in position
            else F.lit(None).cast("string").alias(c.name) for c in columns]
    extras = [value[i].alias(h) for i, h in enumerate(header) if h not in landed or position[h] != i]
    missing = [F.lit(n).alias(f"_missing_column_{i}") for i, n in enumerate(n for n in landed if n not in position)]
    notes = extras + missing
    rescued = F.to_json(F.struct(*notes)) if notes else F.lit(None).cast("string")
    return cols + [rescued.alias(RESCUED), F.lit(header_hint(header, columns)).cast("string").alias(HINT)]


def _csv_frames(spark: SparkSession, files: list[Path], columns: list[ColumnSpec], multiline: bool) -> list[DataFrame]:
    # Files are grouped by header line and each group parsed by its own header, so a file with a missing,
    # extra or reordered column is read by name instead of shifting values into the wrong columns.
    groups: dict[tuple[bytes, str], list[Path]] = {}
    for path in files:
        line = header_line(path)
        if line is None:  # zero bytes or blank lines only: no records
            continue
        kind = ""
        if multiline:  # a suspect file's last row is flagged (see _multiline)
            kind = "cut" if cut_off_line(path) else ("unclosed" if has_unclosed_quote(path) else "")
        groups.setdefault((line, kind), []).append(path)
    read = _multiline if multiline else _csv_lines
    return [read(spark, paths, line, kind, columns) for (line, kind), paths in groups.items()]


def _positional_schema(width: int) -> str:
    # Positional names: a header may hold names no DDL accepts, or the same name twice.
    return ", ".join(f"_c{i} STRING" for i in range(width)) + f", {CORRUPT} STRING"


def _csv_lines(spark: SparkSession, paths: list[Path], line: bytes, _kind: str, columns: list[ColumnSpec]) -> DataFrame:
    header = header_columns(line)
    cut_offs = [c for c in (cut_off_line(p) for p in paths) if c is not None]
    lines = _lines(spark, paths).where(F.col(RAW).cast("binary") != F.unhex(F.lit(line.hex())))
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, **_RFC4180}
    parsed = lines.withColumn("_p", F.from_csv(F.col(RAW), _positional_schema(len(header)), options))
    corrupt = F.col("_p")[CORRUPT]
    reason = F.when(_is_cut_off(cut_offs), TRUNCATED_REASON).when(corrupt.isNotNull() | _odd_quotes(F.col(RAW)), MALFORMED)
    value = {i: F.col("_p")[f"_c{i}"] for i in range(len(header))}
    return parsed.select(*_by_header(value, header, columns), corrupt.alias(CORRUPT), SOURCE_FILE, RAW,
                         reason.alias(LINE_REASON))


def _multiline(spark: SparkSession, paths: list[Path], line: bytes, kind: str, columns: list[ColumnSpec]) -> DataFrame:
    header = header_columns(line)
    reader = (spark.read.schema(_positional_schema(len(header))).option("header", "true").option("multiLine", "true")
              .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT).options(**_RFC4180))
    df = reader.csv([str(p) for p in paths]).withColumn(SOURCE_FILE, F.col("_metadata.file_path"))
    reason = F.when(F.col(CORRUPT).isNotNull(), MALFORMED)
    if kind:
        # A file is parsed whole by one task, in order: its last row has the highest id among its rows. The
        # window's shuffle is paid only by the (rare) cut-off or unbalanced files, which are read apart.
        df = df.withColumn("_pos", F.monotonically_increasing_id())
        last = F.col("_pos") == F.max("_pos").over(Window.partitionBy(SOURCE_FILE))
        reason = F.when(last, TRUNCATED_REASON if kind == "cut" else UNCLOSED_REASON).otherwise(reason)
    value = {i: F.col(f"_c{i}") for i in range(len(header))}
    return df.select(*_by_header(value, header, columns), CORRUPT, SOURCE_FILE,
                     reason.alias(LINE_REASON))


def _json_frame(spark: SparkSession, files: list[Path], contract: Contract) -> DataFrame:
    names = [c.landed_name for c in contract.columns]  # the keys looked up in each line (exact map keys)
    cut_offs = [c for c in (cut_off_line(p) for p in files) if c is not None]
    raw = F.col(RAW)
    decimals = [c for c in contract.columns if c.type.startswith("decimal(")]
    # Each line is parsed once per parser into its own column; the expressions below only read those
    # columns (a parse inlined into every expression that uses it would run a dozen times per line).
    parsed = _lines(spark, files).select(
        "*",
        F.from_json(raw, "map<string,string>", _JSON_OPTIONS).alias("_m"),  # every value as text
        # One JSON value per line: `{..}{..}` or `{..} tail` would otherwise load the first object only.
        F.json_array_length(F.concat(F.lit("["), raw, F.lit("]"))).alias("_values"),
        *([_exact_decimals(raw, decimals).alias("_exact")] if decimals else []),
    )
    fields = F.col("_m")
    is_array = F.ltrim(raw).startswith("[")
    # `{"a": 1, "a": 2}` parses into a map holding the name twice: no single value is the line's.
    repeated = F.size(F.map_keys(fields)) != F.size(F.array_distinct(F.map_keys(fields)))
    # Only lines with a key outside the contract or a contract key absent pay for building the notes.
    contract_keys = F.array(*[F.lit(n) for n in names])
    unusual = (F.size(F.array_except(F.map_keys(fields), contract_keys)) > 0) | (F.size(fields) < len(names))
    # Staged as columns: the reason, rescued data and hint below each read them several times, and inlined
    # their expression trees multiply; a 1 GB Spark Connect server ran out of heap analysing the plan.
    staged = parsed.select(
        "*",
        (fields.isNotNull() & (F.col("_values") == 1) & ~is_array & ~repeated).alias("_ok"),
        unusual.alias("_unusual"),
        repeated.alias("_repeated"),
        F.map_filter(fields, lambda k, _v: ~k.isin(names)).alias("_extras"),
        F.array_except(contract_keys, F.map_keys(fields)).alias("_missing"),
    )
    ok, unusual, extras, missing = F.col("_ok"), F.col("_unusual"), F.col("_extras"), F.col("_missing")
    elements = F.json_array_length(raw)
    reason = (F.when(ok, F.lit(None).cast("string"))
              .when(is_array & elements.isNotNull(),
                    F.format_string("JSON array on one line (%d elements): not one record", elements))
              .when(fields.isNotNull() & F.col("_repeated"), F.lit("JSON object names a field more than once: no single value"))
              .when(_is_cut_off(cut_offs), TRUNCATED_REASON)
              .otherwise(MALFORMED))
    notes = F.map_from_arrays(F.transform(missing, lambda n, i: F.concat(F.lit("_missing_column_"), i.cast("string"))), missing)
    # A field of the line wins over a note of the same name: values are data, notes are not.
    rescued = F.map_concat(extras, F.map_filter(notes, lambda k, _v: ~F.map_contains_key(extras, k)))
    values = [_json_text(fields, c.landed_name, _exact_field(decimals, c)).alias(c.name) for c in contract.columns]
    hint = F.when(ok & unusual, line_hint(F.map_keys(extras), missing, contract.columns))
    return staged.select(*values, F.when(~ok, raw).alias(CORRUPT),
                         F.when(ok & unusual & (F.size(rescued) > 0), F.to_json(rescued)).alias(RESCUED),
                         SOURCE_FILE, RAW, reason.alias(LINE_REASON), hint.alias(HINT))


def _exact_decimals(raw: Column, decimals: list[ColumnSpec]) -> Column:
    """Spark renders a JSON number as text through a double (9999999999999999.99 -> 1.0E16), so decimal
    columns are read again as wide decimals, exactly, before they are cast and checked.

    The struct's fields carry the lines' keys (the JSON parser matches keys exactly) and are then renamed by
    position (`_exact_field`): reading a struct field by name ignores case, so `Amount` and `amount` would clash."""
    keyed, positional = [], []
    for i, spec in enumerate(decimals):
        precision, scale = decimal_digits(spec.type)
        wide = DecimalType(38, 38 - (precision - scale))
        keyed.append(StructField(spec.landed_name, wide))
        positional.append(StructField(f"_d{i}", wide))  # named as _exact_field names it
    return F.from_json(raw, StructType(keyed), _JSON_OPTIONS).cast(StructType(positional))


def _exact_field(decimals: list[ColumnSpec], spec: ColumnSpec) -> str | None:
    """The field of `_exact` holding a decimal column's exact reading; None for other columns."""
    return f"_d{decimals.index(spec)}" if spec in decimals else None


def _json_text(fields: Column, name: str, exact: str | None) -> Column:
    """A field's text (`name`: the line's key); a decimal's from its exact reading when the line has one
    (`exact`: its field of `_exact`, see _exact_decimals)."""
    text = fields[name]
    if exact is None:
        return text
    wide = F.col("_exact")[exact].cast("string")
    plain = F.regexp_replace(F.regexp_replace(wide, r"(\.\d*?)0+$", "$1"), r"\.$", "")  # 12.5000.. -> 12.5
    return F.coalesce(plain, text)
