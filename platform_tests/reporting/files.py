"""Readers for the report files in tests: PDF pages (no PDF library installed, so the PDF is parsed
directly: matplotlib writes uncompressed page objects and Flate-compressed content streams) and Excel
sheets (openpyxl)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_TEXT_RUN = re.compile(rb"\[(.*?)\]\s*TJ|\((.*?)\)\s*Tj", re.S)
_PIECE = re.compile(rb"\(((?:\\.|[^\\)])*)\)")


def pdf_info(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    return {k.decode(): v.decode("latin-1") for k, v in re.findall(rb"/(Title|Keywords|Subject) \(([^)]*)\)", data)}


def pdf_pages(path: Path) -> list[str]:
    """The text of every page, in page order (the page tree's /Kids)."""
    data = path.read_bytes()
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(data)}
    pages = [body for body in objects.values() if re.search(rb"/Type\s*/Pages\b", body)]
    assert len(pages) == 1, "expected one page tree"
    kids = [int(k) for k in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids\s*\[(.*?)\]", pages[0], re.S).group(1))]
    texts = []
    for kid in kids:
        assert re.search(rb"/Type\s*/Page\b", objects[kid])
        content = objects[int(re.search(rb"/Contents (\d+) 0 R", objects[kid]).group(1))]
        stream = re.search(rb"stream\r?\n(.*)\r?\nendstream", content, re.S).group(1)
        decoded = zlib.decompress(stream)
        runs = []
        for array, single in _TEXT_RUN.findall(decoded):
            runs.append(b"".join(_PIECE.findall(array)) if array else single)
        texts.append(" | ".join(r.decode("latin-1") for r in runs))
    return texts


def page_count(path: Path) -> int:
    """Page objects in the file (/Type /Page, not /Pages): independent of the page tree walk above."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def sheet_rows(sheet: Any) -> list[dict[str, Any]]:
    """The section table of a report sheet: the rows under the header row that starts with `series`."""
    values = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(values) if row and row[0] == "series")
    header = [h for h in values[start] if h is not None]
    return [dict(zip(header, row)) for row in values[start + 1:] if row and row[0] is not None]
