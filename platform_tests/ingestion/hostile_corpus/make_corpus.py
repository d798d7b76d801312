"""Writes the hostile-file corpus of issue 16, item 10 into this folder: one small file per hostile case,
`.csv` for the POS source and `.jsonl` for the online source, each landed on 2026-01-02 by
platform_tests/ingestion/test_hostile_corpus.py (which also holds each file's expected outcome).

The files are committed; this script says how each was made, the byte-level ones above all (UTF-8 BOM,
invalid UTF-8, CRLF, no final line end, a last line over 64 KB). After a change, rewrite them all with
`.venv/bin/python -m platform_tests.ingestion.hostile_corpus.make_corpus` and commit the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from platform_tests.ingestion.file_cases import COLUMNS, HEADER, csv_line, json_line, values

HERE = Path(__file__).parent
BOM = b"\xef\xbb\xbf"


def row(transaction_id: str, **overrides: str | None) -> str:
    return csv_line(values(transaction_id, **overrides))


def csv_file(*lines: str, end: str = "\n") -> bytes:
    """A header, the lines, each ended by `end`."""
    return "".join(line + end for line in (HEADER, *lines)).encode()


def online(transaction_id: str, **overrides: Any) -> dict[str, Any]:
    return {**values(transaction_id), "channel": "online", "device_id": "d1", "entry_mode": "ecom", **overrides}


def jl(transaction_id: str, **overrides: Any) -> str:
    return json_line(online(transaction_id, **overrides))


def jsonl_file(*lines: str, end: str = "\n") -> bytes:
    return "".join(line + end for line in lines).encode()


def without(record: dict[str, Any], *names: str) -> str:
    return json_line({k: v for k, v in record.items() if k not in names})


def bad_utf8(line: str) -> bytes:
    """The line with a Latin-1 'é' (byte 0xE9, not UTF-8) inside the category `gro_cery`."""
    return line.encode().replace(b"gro_cery", b"gro\xe9cery")


def dropped_column(name: str) -> bytes:
    """A file whose header and rows lack a required column (the `missing_column` dirty kind)."""
    kept = [c for c in COLUMNS if c != name]
    rows = [",".join(values(t)[c] or "" for c in kept) for t in ("t1", "t2")]
    return "".join(line + "\n" for line in (",".join(kept), *rows)).encode()


def extra_column() -> bytes:
    """A file with a column outside the contract inserted third (the `extra_column` dirty kind)."""
    def insert(line: str, value: str) -> str:
        fields = line.split(",")
        return ",".join(fields[:2] + [value] + fields[2:])
    return "".join(line + "\n" for line in (insert(HEADER, "promo_code"), insert(row("t1"), "PRM000123"),
                                             insert(row("t2"), ""))).encode()


def corpus() -> dict[str, bytes]:
    multiline = csv_file(row("t1", entry_mode=None) + '"chip\nand pin"', row("t2"), row("t3", amount="N/A"))
    decimals = jl("j1").replace('"amount": "12.50"', '"amount": 12.345')
    repeated = jl("j2").replace('"category": "grocery"', '"category": "grocery", "category": "travel"')
    return {
        # CSV, one line one record
        # no line end after the last line, cut inside a quoted value: ...,"contactl
        "cut_off_quoted_last_line.csv": csv_file(row("t1")) + (row("t2")[: -len("chip")] + '"contactl').encode(),
        "cut_off_last_line_over_64kb.csv": csv_file(row("t1"))
        + (row("t3", entry_mode=None) + '"' + "x" * 70_000).encode(),
        "utf8_bom.csv": BOM + csv_file(row("t1"), row("t2")),
        "multiline_quoted_value.csv": multiline,  # read with `multiline: true`
        "multiline_quoted_value_read_by_line.csv": multiline,  # the same bytes, read one line one record
        "invalid_utf8.csv": csv_file(row("t1")) + bad_utf8(row("t2", category="gro_cery")) + b"\n",
        "decimal_precision.csv": csv_file(row("t1", amount="12.345"), row("t2", amount="12.3400"),
                                          row("t3", amount="0.10")),
        "wrong_column_count.csv": csv_file(row("t1"), ",".join(row("t2").split(",")[:-2]), row("t3") + ",chip"),
        "unclosed_quote_mid_file.csv": csv_file(row("t1"), row("t2", customer_id='"c1'), row("t3")),
        "non_numeric_amount.csv": csv_file(row("t1"), row("t2", amount="N/A"), row("t3", amount="12.5O"),
                                           row("t4", amount="EUR 12.50"), row("t5", amount="1.234.56")),
        "missing_required_values.csv": csv_file(row("t1"), row(""), row("t3", customer_id=None),
                                                row("t4", amount=None)),
        "duplicate_key.csv": csv_file(row("t1"), row("t1"), row("t2"), row("t2", amount="99.00")),
        "timestamp_other_format.csv": csv_file(row("t1"), row("t2", event_time="2001/01/04 06:03")),
        "bad_timestamps.csv": csv_file(row("t1"), row("t2", event_time="1970-01-01T00:00:00Z"),
                                       row("t3", event_time="2027-06-01T00:00:00Z"),
                                       row("t4", event_time="2025-12-31T10:00:00Z")),  # late, not bad: loaded
        "absurd_amounts.csv": csv_file(row("t1"), row("t2", amount="0.00"), row("t3", amount="-0.01"),
                                       row("t4", amount="1000000000000.00")),
        "blank_lines.csv": ("\n" + HEADER + "\n\n" + row("t1") + "\n   \n\n" + row("t2") + "\n\n   ").encode(),
        "crlf_line_endings.csv": csv_file(row("t1"), row("t2"), end="\r\n"),
        "repeated_header.csv": csv_file(row("t1"), HEADER, row("t2")),
        "header_only.csv": csv_file(),
        "empty.csv": b"",
        "missing_required_column.csv": dropped_column("currency"),
        "extra_column.csv": extra_column(),
        # RFC 4180: a comma inside quotes, and a quote written twice inside quotes (category: say "hi")
        "rfc4180_quoted_values.csv": csv_file(row("t1", category='"books, music"'),
                                              row("t2", category='"say ""hi"""')),
        # JSON lines
        "json_extra_fields.jsonl": jsonl_file(jl("j1", promo_code="PRM1", loyalty={"tier": "gold"}), jl("j2")),
        "json_missing_optional_field.jsonl": jsonl_file(without(online("j1"), "device_id"),
                                                        without(online("j2"), "category", "entry_mode")),
        "json_missing_required_id.jsonl": jsonl_file(jl("j1"), json_line({**online("j2"), "transaction_id": None}),
                                                     without(online("j3"), "transaction_id")),
        "json_arrays.jsonl": jsonl_file("[]", "[" + jl("j1") + "," + jl("j2") + "]", jl("j3")),
        "json_scalar_lines.jsonl": jsonl_file(jl("j1"), "null", "42", '"j9"', "{}"),
        "invalid_utf8.jsonl": jl("j1").encode() + b"\n" + bad_utf8(jl("j2", category="gro_cery")) + b"\n",
        # no closing brace, single quotes, a trailing comma, cut mid-way, two objects on one line
        "invalid_json_lines.jsonl": jsonl_file(jl("j1"), jl("j2")[:-1], jl("j3").replace('"', "'"),
                                               jl("j4")[:-1] + ",}", jl("j5")[:90], jl("j6") + jl("j7")),
        "json_decimal_numbers.jsonl": jsonl_file(decimals, jl("j2").replace('"12.50"', "12.5"),
                                                 jl("j3", amount="12.3400"), jl("j4").replace('"12.50"', "123456.78")),
        "json_repeated_field.jsonl": jsonl_file(jl("j1"), repeated),
        "json_cut_off_last_line.jsonl": (jl("j1") + "\n" + jl("j2")[:30]).encode(),
        "json_crlf_and_blank_lines.jsonl": jsonl_file(jl("j1"), "", "  ", jl("j2"), end="\r\n"),
        "empty.jsonl": b"",
    }


def main() -> None:
    for name, content in corpus().items():
        (HERE / name).write_bytes(content)


if __name__ == "__main__":
    main()
