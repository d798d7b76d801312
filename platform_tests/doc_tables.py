"""Tables in the docs that tests check the code against (the doc is the one statement, the test keeps it
true): the first Markdown table under a `## ` heading, as rows of cells, and the `quoted` values of a cell."""

from __future__ import annotations

import re
from pathlib import Path


def section_table(doc: Path, heading: str) -> list[list[str]]:
    """The rows of the first table under `## <heading>` in `doc`, as lists of cells, without the header row."""
    lines = doc.read_text().splitlines()
    start = lines.index(f"## {heading}")  # ValueError: the section was renamed or removed
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    assert len(rows) > 1, f"No table under '## {heading}' in {doc}"
    return rows[1:]


def quoted(cell: str) -> list[str]:
    """The `code` spans of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)
