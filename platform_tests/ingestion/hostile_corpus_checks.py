"""The hostile corpus's per-file assertions (test_hostile_corpus.py), in plain Python: no Spark here.

Each file's rows are read independently of the platform, from its bytes with the csv / json modules, and
compared with the rows the platform loaded and quarantined from that file. The files of a group are ingested
in one run, so a file's rows are picked from the run's tables by their `_source_file`.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from lakehouse.config.contracts import load_contracts
from lakehouse.ingestion.files import SOURCE_FILE

DAY = "2026-01-02"  # the landing day of every corpus file
BOM = b"\xef\xbb\xbf"
TYPES = {c.name: c.type for c in load_contracts("card_fraud")["transactions"].columns}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FORMATS = {".csv": "csv", ".jsonl": "json"}
Row = dict[str, Any]


def landed_as(name: str) -> str:
    """The end of the `_source_file` of a row read from corpus file `name` (a URI: compared by its end)."""
    return f"/{DAY}/{name}"


def rows_of_file(rows: list[Row], name: str) -> list[Row]:
    """The rows of a run's table (loaded or quarantine) that came from corpus file `name`, without their
    `_source_file`, so they compare with the file's values column by column."""
    end = landed_as(name)
    return [{k: v for k, v in r.items() if k != SOURCE_FILE} for r in rows if str(r[SOURCE_FILE]).endswith(end)]


def assert_group_reconciled(group: str, passed: bool | None, rows_read: int | None, reads: dict[str, int],
                            loaded: list[Row], quarantined: list[Row]) -> None:
    """The run of a group: its `reconciliation` check passed (None: it was not evaluated), its rows read
    equal the group's files' rows read, each counted here from the file's bytes, and every row of its tables
    came from one of the group's files. The message also names the files whose rows do not add up."""
    counts = Counter(str(r[SOURCE_FILE]) for r in [*loaded, *quarantined])
    per_file = {n: sum(c for f, c in counts.items() if f.endswith(landed_as(n))) for n in reads}
    off = {n: (reads[n], per_file[n]) for n in reads if reads[n] != per_file[n]}
    strays = sorted(f for f in counts if not any(f.endswith(landed_as(n)) for n in reads))
    assert passed and rows_read == sum(reads.values()) and not strays, (
        f"group {group}: reconciliation passed={passed}, rows_read={rows_read}, the files' rows read sum to "
        f"{sum(reads.values())}; files (read, loaded + quarantined) not adding up: {off}; rows of no file: {strays}")


def record_lines(data: bytes, fmt: str) -> list[bytes]:
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


def source_records(data: bytes, fmt: str, multiline: bool) -> list[Row]:
    """Every record of the file as {column: value}; None where the file has no value (an empty CSV field,
    JSON null or a missing key). Lines that are not one record of the right shape are not records."""
    if fmt == "json":
        records: list[Row] = []
        for line in record_lines(data, fmt):
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
        rows = [next(csv.reader([_text(line)])) for line in record_lines(data, fmt)]
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


def assert_loaded_values_exact(name: str, loaded: list[Row], records: list[Row]) -> None:
    """Every loaded row equals, column by column, a record of the file with its transaction_id."""
    by_id: dict[Any, list[Row | None]] = {}
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


def assert_raw_text_kept(name: str, data: bytes, fmt: str, multiline: bool, quarantined: list[Row],
                         records: list[Row]) -> None:
    """Every quarantined row has a reason and keeps its raw text: a line of the file, each line claimed by
    one row only (base64 decoded when `raw_record_encoding` says so); for multi-line CSV, text of the file
    or the values of one of its records."""
    lines = Counter(record_lines(data, fmt))  # each line may be claimed by one quarantined row only
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


def _json_values(raw: str) -> Row | None:
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    return {c: values.get(c) for c in TYPES} if isinstance(values, dict) else None


def assert_reasons(name: str, fragments: tuple[str, ...], reasons: list[str]) -> None:
    """Each fragment is found in the reason of a quarantined row of its own (the most specific first)."""
    left = list(reasons)
    for fragment in sorted(fragments, key=len, reverse=True):  # the most specific first
        match = next((r for r in left if fragment in r), None)
        assert match is not None, f"{name}: no quarantined row (left: {left}) gives the reason {fragment!r}"
        left.remove(match)
