"""What the driver learns about a landed file before Spark reads it: its CSV header line and whether its
last line was cut off. Both read only the ends of the file (a few KB), never the whole of it — except a
multi-line CSV's quote count, which needs every byte (that option already reads each file whole).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 16
# Hadoop's line reader (spark.read.text) ends a line at LF, CR or CRLF.
_LINE_ENDS = (b"\n", b"\r")


@dataclass(frozen=True)
class CutOff:
    """The incomplete last line of a file (no line end after it), as Spark's text reader will see it."""

    file_size: int  # with the line's bytes, identifies the file in Spark's `_metadata` (paths are URL-encoded)
    length: int  # bytes
    sha256: str  # of the line's bytes: a last line may be far longer than the driver should hold


def list_files(folders: list[Path], fmt: str) -> list[Path]:
    suffixes = {"csv": (".csv",), "json": (".json", ".jsonl")}[fmt]
    return sorted(f for d in folders for f in d.iterdir() if f.is_file() and f.name.endswith(suffixes))


def header_line(path: Path) -> bytes | None:
    """The first non-blank line of a CSV file without its BOM and line end (None: no header, no rows).

    Spark's readers drop a leading UTF-8 BOM too; leaving it here named the first column `\\ufeffid`."""
    with path.open("rb") as handle:
        first = True
        for line in handle:
            if first and line.startswith(BOM):
                line = line[len(BOM):]
            first = False
            line = line.rstrip(b"\r\n")
            if line.strip():
                return line
    return None


def header_columns(line: bytes) -> tuple[str, ...]:
    return tuple(next(csv.reader([line.decode("utf-8", errors="replace")])))


def cut_off_line(path: Path) -> CutOff | None:
    """The last line when the file does not end with a line end, else None; read from the end backwards,
    so a last line of any length (also beyond 64 KB) is found and hashed without holding it."""
    size = path.stat().st_size
    if size == 0:
        return None
    with path.open("rb") as handle:
        handle.seek(size - 1)
        if handle.read(1) in _LINE_ENDS:
            return None
        start, end = 0, size
        while end > 0:  # find the byte after the last line end
            begin = max(0, end - _CHUNK)
            handle.seek(begin)
            chunk = handle.read(end - begin)
            cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            if cut >= 0:
                start = begin + cut + 1
                break
            end = begin
        handle.seek(start)
        if start == 0 and handle.read(len(BOM)) != BOM:  # a first line also loses its BOM in Spark
            handle.seek(0)
        offset = handle.tell()
        digest = hashlib.sha256()
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return CutOff(file_size=size, length=size - offset, sha256=digest.hexdigest())


def has_unclosed_quote(path: Path) -> bool:
    """An odd number of quote characters (a quote inside a quoted value is doubled, RFC 4180): a
    multi-line CSV parser then reads everything after the unclosed quote into the file's last value."""
    quotes = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            quotes += chunk.count(b'"')
    return quotes % 2 == 1
