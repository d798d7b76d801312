"""A sample file read the way the platform's file sources read landed files: a comma-separated CSV with a
header line (RFC 4180 quoting), or JSON lines (one object per line). Every value is kept as text — the
platform reads files as text and casts each value to its contract type — with None for a missing value
(an empty or blank CSV field, a JSON null or absent key), exactly what bronze treats as missing.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Format = Literal["csv", "json"]
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Sample:
    path: Path
    format: Format
    headers: list[str]  # each column's name in the files (CSV header, JSON key), in order of first use
    rows: list[dict[str, str | None]]
    multiline: bool = False  # a quoted CSV value spans lines (the source then needs `multiline: true`)
    notes: list[str] = field(default_factory=list)  # what the reader skipped or could not keep

    def values(self, header: str) -> list[str | None]:
        return [row.get(header) for row in self.rows]


def sniff_format(path: Path) -> Format:
    """json for .json / .jsonl / .ndjson or a file whose first non-blank character is `{`; else csv."""
    if path.suffix.lower() in JSON_SUFFIXES:
        return "json"
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return "json" if line.lstrip().startswith("{") else "csv"
    return "csv"


def read_sample(path: Path, max_rows: int = 1000) -> Sample:
    """Up to `max_rows` records of `path`. ValueError (saying why) for what no file source can read."""
    if not path.is_file():
        raise ValueError(f"No such sample file: {path}")
    try:
        return _read_json(path, max_rows) if sniff_format(path) == "json" else _read_csv(path, max_rows)
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}): convert it first") from error


def _missing(text: str) -> str | None:
    return None if text.strip() == "" else text


def _read_csv(path: Path, max_rows: int) -> Sample:
    notes: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=",", quotechar='"', doublequote=True, strict=False)
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise ValueError(f"{path} holds no header line: the CSV sources read files with a header")
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            raise ValueError(f"{path}: the header {header[0]!r} looks separated by ';', tab or '|'; the platform's "
                             "CSV sources read comma-separated files (convert the sample and the files)")
        kept: dict[str, int] = {}
        for index, name in enumerate(header):
            if name.strip() == "":
                notes.append(f"column {index + 1} has an empty header: left out (no contract column can read it)")
            elif name in kept:
                notes.append(f"header {name!r} appears twice: the first one is read (as the platform does)")
            else:
                kept[name] = index
        rows: list[dict[str, str | None]] = []
        multiline = ragged = 0
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # a blank line is not a record
            if len(rows) >= max_rows:
                break
            ragged += len(record) != len(header)
            multiline += any("\n" in cell or "\r" in cell for cell in record)
            rows.append({name: _missing(record[i]) if i < len(record) else None for name, i in kept.items()})
    if ragged:
        notes.append(f"{ragged} sample rows have another number of fields than the header (the platform "
                     "reads what the header names; check the export)")
    return Sample(path, "csv", list(kept), rows, multiline=multiline > 0, notes=notes)


def _text(value: Any) -> str | None:
    """A JSON value as the text the platform reads (numbers as written, true/false, nested as JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return _missing(str(value))


def _read_json(path: Path, max_rows: int) -> Sample:
    headers: dict[str, None] = {}
    rows: list[dict[str, str | None]] = []
    notes: list[str] = []
    nested: set[str] = set()
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if len(rows) >= max_rows:
                break
            try:
                # Numbers stay as written (12.50 keeps its scale): the platform reads them as text too.
                record = json.loads(line, parse_float=str, parse_int=str, parse_constant=str)
            except json.JSONDecodeError as error:
                hint = " (a JSON array or pretty-printed JSON: the sources read one object per line)" \
                    if line.lstrip().startswith(("[", "]")) or line.strip() in ("{", "}") else ""
                raise ValueError(f"{path}, line {number}: not JSON lines: {error.msg}{hint}") from error
            if not isinstance(record, dict):
                raise ValueError(f"{path}, line {number}: a JSON {type(record).__name__}, not an object; "
                                 "the sources read one object per line")
            nested |= {k for k, v in record.items() if isinstance(v, dict | list)}
            headers.update(dict.fromkeys(record))
            rows.append({k: _text(v) for k, v in record.items()})
    if not rows:
        raise ValueError(f"{path} holds no JSON object")
    if nested:
        notes.append(f"nested values in {sorted(nested)}: read as their JSON text (type string)")
    return Sample(path, "json", list(headers), rows, notes=notes)
