"""The hostile-file corpus (issue 16, item 10): every file in hostile_corpus/ is landed on 2026-01-02 as a
case of its own and ingested through the real bronze asset. For each file the test asserts, from the
file's own bytes (read here with the csv / json modules, not by the platform's code):

- rows read = rows loaded + rows quarantined, with rows read counted here, and `reconciliation` passed;
- every loaded row's contract values equal the file's values for that transaction_id exactly: strings
  as written, decimals by value (12.50 == Decimal('12.50')), timestamps as the same instant;
- every quarantined row says why and keeps its raw text: a line of the file (base64 decoded when
  `raw_record_encoding` says so), or for multi-line CSV the values of a record of the file;
- the outcome pinned for the file in CASES (the ids loaded, one reason fragment per rejected row).

The files are made by hostile_corpus/make_corpus.py; CASES is their sidecar (source overrides such as
`multiline` live here, not in the files).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from platform_tests.ingestion.file_cases import ingest

CORPUS = Path(__file__).parent / "hostile_corpus"
DAY = "2026-01-02"
BOM = b"\xef\xbb\xbf"
TYPES = {c.name: c.type for c in load_contracts("card_fraud")["transactions"].columns}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
FORMATS = {".csv": "csv", ".jsonl": "json"}
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in FORMATS)


@dataclass(frozen=True)
class Case:
    loaded: tuple[str, ...] | None  # transaction ids that must be loaded (None: not pinned)
    reasons: tuple[str, ...] = ()  # one fragment per quarantined row its reason must contain
    source: dict[str, Any] = field(default_factory=dict)  # source overrides, e.g. {"multiline": True}
    rows: int | None = None  # records in the file, where lines are not records (multi-line CSV)


MALFORMED, TRUNCATED, UTF8 = "malformed record", "truncated file: incomplete last line", "invalid UTF-8"
REQUIRED = "transaction_id: required value missing"
CASES: dict[str, Case] = {
    "cut_off_quoted_last_line.csv": Case(("t1",), (TRUNCATED,)),
    "cut_off_last_line_over_64kb.csv": Case(("t1",), (TRUNCATED,)),
    "utf8_bom.csv": Case(("t1", "t2")),
    "multiline_quoted_value.csv": Case(("t1", "t2"), ("amount: not a decimal",), {"multiline": True}, rows=3),
    "multiline_quoted_value_read_by_line.csv": Case(("t2",), (MALFORMED, MALFORMED, "amount: not a decimal")),
    "invalid_utf8.csv": Case(("t1",), (UTF8,)),
    "decimal_precision.csv": Case(("t2", "t3"), ("amount: 12.345 does not fit decimal(18,2) without rounding",)),
    "wrong_column_count.csv": Case(("t1",), (MALFORMED, MALFORMED)),
    "unclosed_quote_mid_file.csv": Case(("t1", "t3"), (MALFORMED,)),
    "non_numeric_amount.csv": Case(("t1",), ("amount: not a decimal",) * 4),
    "missing_required_values.csv": Case(("t1",), (REQUIRED, "customer_id: required", "amount: required")),
    "duplicate_key.csv": Case(("t1", "t2"), ("duplicate key",) * 2),
    "timestamp_other_format.csv": Case(("t1",), ("event_time: not a timestamp: 2001/01/04 06:03",)),
    "bad_timestamps.csv": Case(("t1", "t4"), ("event_time: before 2000-01-01", "event_time: after its landing day")),
    "absurd_amounts.csv": Case(("t1",), ("amount: below minimum",) * 2 + ("amount: above maximum",)),
    "blank_lines.csv": Case(("t1", "t2")),
    "crlf_line_endings.csv": Case(("t1", "t2")),
    "repeated_header.csv": Case(("t1", "t2")),
    "header_only.csv": Case(()),
    "empty.csv": Case(()),
    "missing_required_column.csv": Case((), ("currency: required value missing",) * 2),
    "extra_column.csv": Case(("t1", "t2")),
    "rfc4180_quoted_values.csv": Case(None),  # loaded as written, or quarantined: never loaded altered
    "json_extra_fields.jsonl": Case(("j1", "j2")),
    "json_missing_optional_field.jsonl": Case(("j1", "j2")),
    "json_missing_required_id.jsonl": Case(("j1",), (REQUIRED,) * 2),
    "json_arrays.jsonl": Case(("j3",), ("JSON array on one line (0 elements)", "JSON array on one line (2 elements)")),
    "json_scalar_lines.jsonl": Case(("j1",), ("",) * 3 + (REQUIRED,)),  # null, 42, "j9"; {}
    "invalid_utf8.jsonl": Case(("j1",), (UTF8,)),
    "invalid_json_lines.jsonl": Case(("j1",), (MALFORMED,) * 5),
    "json_decimal_numbers.jsonl": Case(("j2", "j3", "j4"), ("amount: 12.345 does not fit",)),
    "json_repeated_field.jsonl": Case(("j1",)),  # a name given twice: no one value to load
    "json_cut_off_last_line.jsonl": Case(("j1",), (TRUNCATED,)),
    "json_crlf_and_blank_lines.jsonl": Case(("j1", "j2")),
    "empty.jsonl": Case(()),
}


def _record_lines(data: bytes, fmt: str) -> list[bytes]:
    """The file's records when one line is one record: a line ends at LF, CR or CRLF; a leading UTF-8 BOM is
    not data; a line of nothing but spaces is blank; a CSV file's header line (wherever repeated) is not a
    record."""
    lines = [line for line in data.removeprefix(BOM).splitlines() if line.strip(b" ")]
    return [line for line in lines if line != lines[0]] if fmt == "csv" and lines else lines


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")  # a byte that is not UTF-8 stays recognisable


class _Object(dict):
    repeated = False  # a field name occurs twice in the JSON object


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    obj.repeated = len(obj) < len(pairs)
    return obj


def _source_records(data: bytes, fmt: str, multiline: bool) -> list[dict[str, Any]]:
    """Every record of the file as {column: value}; None where the file has no value (an empty CSV field,
    JSON null or a missing key). Lines that are not one record of the right shape are not records."""
    if fmt == "json":
        records = []
        for line in _record_lines(data, fmt):
            try:
                obj = json.loads(_text(line), object_pairs_hook=_object, parse_float=Decimal)
            except ValueError:
                continue
            if isinstance(obj, _Object):
                records.append(obj)
        return records
    if multiline:
        rows = [r for r in csv.reader(io.StringIO(_text(data.removeprefix(BOM)), newline="")) if any(r)]
        header, rows = (rows[0], [r for r in rows[1:] if r != rows[0]]) if rows else ([], [])
    else:
        lines = [line for line in data.removeprefix(BOM).splitlines() if line.strip(b" ")]
        header = next(csv.reader([_text(lines[0])])) if lines else []
        rows = [next(csv.reader([_text(line)])) for line in _record_lines(data, fmt)]
    first = {name: i for i, name in reversed(list(enumerate(header)))}  # the first column of a name
    return [{c: (r[first[c]] or None) if c in first else None for c in TYPES} for r in rows if len(r) == len(header)]


def _expected(kind: str, value: Any) -> Any:
    """A file's value as the loaded row must hold it: strings exactly, decimals by value, timestamps as
    microseconds since the epoch (the instant). Non-string values are read trimmed, as the casts do."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else f"<JSON {type(value).__name__} {value!r}>"
    text = str(value).strip()
    if kind.startswith("decimal("):
        try:
            return Decimal(text)
        except InvalidOperation:
            return f"<not a decimal: {text!r}>"
    if kind == "timestamp":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return f"<not an ISO-8601 timestamp: {text!r}>"
        if moment.tzinfo is None:
            return f"<no time zone, not one instant: {text!r}>"
        return (moment - EPOCH) // timedelta(microseconds=1)
    raise AssertionError(f"the corpus compares the transactions contract's types only, not {kind}")


def _loaded_rows(table: DataFrame) -> list[dict[str, Any]]:
    columns = [F.unix_micros(c).alias(c) if t == "timestamp" else F.col(c) for c, t in TYPES.items()]
    return [r.asDict() for r in table.select(*columns).collect()]


def _assert_loaded_values_exact(name: str, loaded: list[dict[str, Any]], records: list[dict[str, Any]]) -> None:
    by_id: dict[Any, list[dict[str, Any] | None]] = {}
    for record in records:  # None: the record repeats a field name, so it has no one value per column
        repeated = getattr(record, "repeated", False)
        values = None if repeated else {c: _expected(t, record.get(c)) for c, t in TYPES.items()}
        by_id.setdefault(record.get("transaction_id"), []).append(values)
    ids = [row["transaction_id"] for row in loaded]
    assert len(ids) == len(set(ids)), f"{name}: a transaction_id loaded twice: {sorted(ids)}"
    for row in loaded:
        where = f"{name}: loaded row {row['transaction_id']!r}"
        candidates = by_id.get(row["transaction_id"])
        assert candidates, f"{where}: no record of the file has this transaction_id"
        assert None not in candidates, f"{where}: its JSON object gives a field twice, so no value is the file's"
        if row not in candidates:
            diff = {c: (candidates[0][c], row[c]) for c in TYPES if candidates[0][c] != row[c]}
            raise AssertionError(f"{where} differs from the file; column: (file, loaded): {diff}")


def _assert_raw_text_kept(name: str, data: bytes, fmt: str, multiline: bool, quarantined: list[dict[str, Any]],
                          records: list[dict[str, Any]]) -> None:
    lines = Counter(_record_lines(data, fmt))  # each line may be claimed by one quarantined row only
    texts = [{c: r.get(c) for c in TYPES} for r in records]
    for row in quarantined:
        raw, reason = row["raw_record"], row["reason"]
        where = f"{name}: quarantined row {str(raw)[:100]!r} (reason {reason!r})"
        assert raw and reason, f"{where}: the raw text or the reason is empty"
        kept = base64.b64decode(raw, validate=True) if row["raw_record_encoding"] == "base64" else raw.encode()
        if multiline:  # the raw text Spark's multi-line reader saw, or the parsed row's values as JSON
            assert kept in data or _json_values(raw) in texts, f"{where}: neither text nor values of the file"
            continue
        assert lines[kept] > 0, f"{where}: not a line of the file (or a line already claimed by another row)"
        lines[kept] -= 1


def _json_values(raw: str) -> dict[str, Any] | None:
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    return {c: values.get(c) for c in TYPES} if isinstance(values, dict) else None


def _assert_reasons(name: str, fragments: tuple[str, ...], reasons: list[str]) -> None:
    left = list(reasons)
    for fragment in sorted(fragments, key=len, reverse=True):  # the most specific first
        match = next((r for r in left if fragment in r), None)
        assert match is not None, f"{name}: no quarantined row (left: {left}) gives the reason {fragment!r}"
        left.remove(match)


def test_the_corpus_has_at_least_20_files_each_with_its_expected_outcome() -> None:
    assert len(FILES) >= 20, FILES
    assert set(FILES) == set(CASES), (sorted(set(FILES) - set(CASES)), sorted(set(CASES) - set(FILES)))


@pytest.mark.parametrize("name", FILES)
def test_every_row_of_a_hostile_file_is_loaded_exactly_or_quarantined_with_its_raw_text(
        name: str, spark: SparkSession, resources: dict, data_root: Path) -> None:
    expected, path = CASES[name], CORPUS / name
    data, fmt = path.read_bytes(), FORMATS[path.suffix]
    multiline = bool(expected.source.get("multiline"))
    case_name = "corpus_" + name.replace(".", "_")
    case = ingest(spark, resources, data_root, case_name, fmt, {f"{DAY}/{name}": data}, source=expected.source)
    loaded = _loaded_rows(case.table)
    quarantined = [r.asDict() for r in case.quarantine.select("raw_record", "raw_record_encoding", "reason").collect()]

    read = expected.rows if expected.rows is not None else len(_record_lines(data, fmt))
    assert len(loaded) + len(quarantined) == read, \
        f"{name}: {read} rows read, {len(loaded)} loaded + {len(quarantined)} quarantined"
    reconciliation = case.checks["reconciliation"]
    assert reconciliation.passed and reconciliation.metadata["rows_read"].value == read, \
        f"{name}: reconciliation {reconciliation.metadata}, {read} rows read"

    records = _source_records(data, fmt, multiline)
    _assert_raw_text_kept(name, data, fmt, multiline, quarantined, records)
    _assert_loaded_values_exact(name, loaded, records)

    if expected.loaded is not None:
        ids = sorted(row["transaction_id"] for row in loaded)
        assert ids == sorted(expected.loaded), f"{name}: loaded {ids}, expected {sorted(expected.loaded)}"
    _assert_reasons(name, expected.reasons, [r["reason"] for r in quarantined])
