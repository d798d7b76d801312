"""Safe column names for real-world headers (config/identifiers.py's rule), in snake_case.

`Arrival Delay ($min)` -> `arrival_delay_min`, `CustomerID` -> `customer_id`, `2nd.Stop` -> `col_2nd_stop`.
A header that is not its safe name becomes the column's `source_name` (config/contracts.py). Names the
platform writes next to a source's columns (`event_date`, `landing_date`, `_`-prefixed lineage) are
never given to a column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from lakehouse.config.identifiers import is_identifier

# Columns bronze and silver add to a file source's rows (ingestion/file_source.py, processing/silver.py).
RESERVED = frozenset({"event_date", "landing_date"})
MAX_NAME = 100  # room for suffixes (`_missing`, `days_since_`) within identifiers.MAX_LENGTH


def safe_name(header: str) -> str:
    """The snake_case identifier for one header (not yet made unique among its neighbours)."""
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)  # camelCase -> camel_Case
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)  # HTTPStatus -> HTTP_Status
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:MAX_NAME].rstrip("_")
    if not text:
        return "column"
    if text[0].isdigit():
        text = f"col_{text}"
    if text in RESERVED:
        text = f"source_{text}"
    return text


def safe_names(headers: Iterable[str]) -> dict[str, str]:
    """header -> its distinct safe name (a later header that would repeat one gets `_2`, `_3`, ...)."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for header in headers:
        base = safe_name(header)
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        taken.add(name)
        names[header] = name
    assert all(is_identifier(n) for n in names.values()), names
    return names


def resolve(given: str, names: dict[str, str], what: str) -> str:
    """The header a command-line argument means: the header itself, its safe name, or either ignoring case."""
    for candidate in (given, given.lower()):
        for header, name in names.items():
            if candidate in (header, name) or candidate == header.lower():
                return header
    listed = ", ".join(f"{h!r}" + (f" ({n})" if n != h else "") for h, n in names.items())
    raise ValueError(f"{what} {given!r} is not a column of the sample; its columns: {listed}")
