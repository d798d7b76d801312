"""Writes the hostile-file corpus of issue 16, item 10 into this folder: one small file per hostile case,
`.csv` for the POS source and `.jsonl` for the online source, each landed on 2026-01-02 by
platform_tests/ingestion/test_hostile_corpus.py (which also holds each file's expected outcome).

The test ingests all files of a source (and source options) in one run, so every transaction id carries its
file's prefix (`file_id`: `utf8_bom-t1`): otherwise a second file's `t1` would rightly be quarantined as a
duplicate of the first file's. Duplicates within a file (duplicate_key.csv) stay deliberate.

The files are committed; this script says how each was made, the byte-level ones above all (UTF-8 BOM,
invalid UTF-8, CRLF, no final line end, a last line over 64 KB). After a change, rewrite them all with
`.venv/bin/python -m platform_tests.ingestion.hostile_corpus.make_corpus` and commit the result.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from platform_tests.ingestion.file_cases import COLUMNS, HEADER, csv_line, json_line, values

HERE = Path(__file__).parent
BOM = b"\xef\xbb\xbf"
Ids = Callable[[str], str]  # a file's id for a short id: "t1" -> "utf8_bom-t1"


def file_id(name: str, short: str) -> str:
    """The transaction id `short` ("t1") as written in the corpus file `name`: prefixed with the file's stem,
    so ids are unique across the files ingested together."""
    return f"{Path(name).stem}-{short}"


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


def head(line: str, chars: int, i: Ids) -> str:
    """The first `chars` characters the line had before its id was prefixed: the cut falls where it did."""
    return line[: chars + len(i(""))]


def bad_utf8(line: str) -> bytes:
    """The line with a Latin-1 'é' (byte 0xE9, not UTF-8) inside the category `gro_cery`."""
    return line.encode().replace(b"gro_cery", b"gro\xe9cery")


def dropped_column(i: Ids, name: str) -> bytes:
    """A file whose header and rows lack a required column (the `missing_column` dirty kind)."""
    kept = [c for c in COLUMNS if c != name]
    rows = [",".join(values(i(t))[c] or "" for c in kept) for t in ("t1", "t2")]
    return "".join(line + "\n" for line in (",".join(kept), *rows)).encode()


def extra_column(i: Ids) -> bytes:
    """A file with a column outside the contract inserted third (the `extra_column` dirty kind)."""
    def insert(line: str, value: str) -> str:
        fields = line.split(",")
        return ",".join(fields[:2] + [value] + fields[2:])
    return "".join(line + "\n" for line in (insert(HEADER, "promo_code"), insert(row(i("t1")), "PRM000123"),
                                             insert(row(i("t2")), ""))).encode()


def multiline(i: Ids) -> bytes:
    """A quoted value spanning two lines (`"chip\\nand pin"`)."""
    return csv_file(row(i("t1"), entry_mode=None) + '"chip\nand pin"', row(i("t2")), row(i("t3"), amount="N/A"))


BUILDERS: dict[str, Callable[[Ids], bytes]] = {
    # CSV, one line one record
    # no line end after the last line, cut inside a quoted value: ...,"contactl
    "cut_off_quoted_last_line.csv": lambda i: csv_file(row(i("t1"))) + (row(i("t2"))[: -len("chip")]
                                                                         + '"contactl').encode(),
    "cut_off_last_line_over_64kb.csv": lambda i: csv_file(row(i("t1")))
    + (row(i("t3"), entry_mode=None) + '"' + "x" * 70_000).encode(),
    "utf8_bom.csv": lambda i: BOM + csv_file(row(i("t1")), row(i("t2"))),
    "multiline_quoted_value.csv": multiline,  # read with `multiline: true`
    "multiline_quoted_value_read_by_line.csv": multiline,  # the same records, read one line one record
    "invalid_utf8.csv": lambda i: csv_file(row(i("t1"))) + bad_utf8(row(i("t2"), category="gro_cery")) + b"\n",
    "decimal_precision.csv": lambda i: csv_file(row(i("t1"), amount="12.345"), row(i("t2"), amount="12.3400"),
                                                row(i("t3"), amount="0.10")),
    "wrong_column_count.csv": lambda i: csv_file(row(i("t1")), ",".join(row(i("t2")).split(",")[:-2]),
                                                 row(i("t3")) + ",chip"),
    "unclosed_quote_mid_file.csv": lambda i: csv_file(row(i("t1")), row(i("t2"), customer_id='"c1'), row(i("t3"))),
    "non_numeric_amount.csv": lambda i: csv_file(row(i("t1")), row(i("t2"), amount="N/A"),
                                                 row(i("t3"), amount="12.5O"), row(i("t4"), amount="EUR 12.50"),
                                                 row(i("t5"), amount="1.234.56")),
    "missing_required_values.csv": lambda i: csv_file(row(i("t1")), row(""), row(i("t3"), customer_id=None),
                                                      row(i("t4"), amount=None)),  # row(""): no id at all
    "duplicate_key.csv": lambda i: csv_file(row(i("t1")), row(i("t1")), row(i("t2")), row(i("t2"), amount="99.00")),
    "timestamp_other_format.csv": lambda i: csv_file(row(i("t1")), row(i("t2"), event_time="2001/01/04 06:03")),
    "bad_timestamps.csv": lambda i: csv_file(row(i("t1")), row(i("t2"), event_time="1970-01-01T00:00:00Z"),
                                             row(i("t3"), event_time="2027-06-01T00:00:00Z"),
                                             row(i("t4"), event_time="2025-12-31T10:00:00Z")),  # late, not bad
    "absurd_amounts.csv": lambda i: csv_file(row(i("t1")), row(i("t2"), amount="0.00"), row(i("t3"), amount="-0.01"),
                                             row(i("t4"), amount="1000000000000.00")),
    "blank_lines.csv": lambda i: ("\n" + HEADER + "\n\n" + row(i("t1")) + "\n   \n\n" + row(i("t2"))
                                  + "\n\n   ").encode(),
    "crlf_line_endings.csv": lambda i: csv_file(row(i("t1")), row(i("t2")), end="\r\n"),
    "repeated_header.csv": lambda i: csv_file(row(i("t1")), HEADER, row(i("t2"))),
    "header_only.csv": lambda i: csv_file(),
    "empty.csv": lambda i: b"",
    "missing_required_column.csv": lambda i: dropped_column(i, "currency"),
    "extra_column.csv": extra_column,
    # RFC 4180: a comma inside quotes, and a quote written twice inside quotes (category: say "hi")
    "rfc4180_quoted_values.csv": lambda i: csv_file(row(i("t1"), category='"books, music"'),
                                                    row(i("t2"), category='"say ""hi"""')),
    # JSON lines
    "json_extra_fields.jsonl": lambda i: jsonl_file(jl(i("j1"), promo_code="PRM1", loyalty={"tier": "gold"}),
                                                    jl(i("j2"))),
    "json_missing_optional_field.jsonl": lambda i: jsonl_file(without(online(i("j1")), "device_id"),
                                                              without(online(i("j2")), "category", "entry_mode")),
    "json_missing_required_id.jsonl": lambda i: jsonl_file(jl(i("j1")),
                                                           json_line({**online(i("j2")), "transaction_id": None}),
                                                           without(online(i("j3")), "transaction_id")),
    "json_arrays.jsonl": lambda i: jsonl_file("[]", "[" + jl(i("j1")) + "," + jl(i("j2")) + "]", jl(i("j3"))),
    "json_scalar_lines.jsonl": lambda i: jsonl_file(jl(i("j1")), "null", "42", '"j9"', "{}"),  # "j9": no record
    "invalid_utf8.jsonl": lambda i: jl(i("j1")).encode() + b"\n" + bad_utf8(jl(i("j2"), category="gro_cery")) + b"\n",
    # no closing brace, single quotes, a trailing comma, cut mid-way, two objects on one line
    "invalid_json_lines.jsonl": lambda i: jsonl_file(jl(i("j1")), jl(i("j2"))[:-1], jl(i("j3")).replace('"', "'"),
                                                     jl(i("j4"))[:-1] + ",}", head(jl(i("j5")), 90, i),
                                                     jl(i("j6")) + jl(i("j7"))),
    "json_decimal_numbers.jsonl": lambda i: jsonl_file(jl(i("j1")).replace('"amount": "12.50"', '"amount": 12.345'),
                                                       jl(i("j2")).replace('"12.50"', "12.5"),
                                                       jl(i("j3"), amount="12.3400"),
                                                       jl(i("j4")).replace('"12.50"', "123456.78")),
    "json_repeated_field.jsonl": lambda i: jsonl_file(
        jl(i("j1")), jl(i("j2")).replace('"category": "grocery"', '"category": "grocery", "category": "travel"')),
    "json_cut_off_last_line.jsonl": lambda i: (jl(i("j1")) + "\n" + head(jl(i("j2")), 30, i)).encode(),
    "json_crlf_and_blank_lines.jsonl": lambda i: jsonl_file(jl(i("j1")), "", "  ", jl(i("j2")), end="\r\n"),
    "empty.jsonl": lambda i: b"",
}


def corpus() -> dict[str, bytes]:
    """Every file of the corpus by name, its ids prefixed by `file_id`."""
    return {name: build(partial(file_id, name)) for name, build in BUILDERS.items()}


def main() -> None:
    for name, content in corpus().items():
        (HERE / name).write_bytes(content)


if __name__ == "__main__":
    main()
