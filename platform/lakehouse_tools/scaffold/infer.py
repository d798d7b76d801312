"""A contract inferred from a sample: per column a Spark SQL type, whether it is required, its datetime
pattern, its safe name; and the key.

Types, from the narrowest that reads every non-missing value of the sample as the platform's casts would
(ingestion/casts.py): boolean (true/false, yes/no, t/f, y/n), int, bigint, decimal(p,s) (fixed-point
text: one scale of 2 to 6 places, and a trailing zero that shows it is formatted, as money is: `89.00`), double, date, timestamp
(formats.py), else string. A number with a leading zero (`007`, a zip code) is a code: string.
A column is required when the sample has no missing value in it. A column that is a number, date or
timestamp but for words that mean "missing" (`NA`, `NULL`, `N/A`, `-`, …) gets that type and declares the
words as its `missing_values`; a string column keeps them as text (a real `NA`, Namibia, stays).

The key (silver deduplicates on it, bronze quarantines a repeated one): `--key`, else the first column
named like an id whose values are all present and distinct, else the first other such string or integer
column (unique in the sample only: a warning says so). The platform derives no row id for file sources
(a row hash exists for JDBC CDC only, `_row_hash`), so a sample without such a column stops here, asking
for `--key` or a row id in the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lakehouse_tools.scaffold import formats
from lakehouse_tools.scaffold.names import resolve, safe_names
from lakehouse_tools.scaffold.sample import Sample

NUMERIC = ("int", "bigint", "double")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BOOLEAN = ({"true", "false"}, {"yes", "no"}, {"t", "f"}, {"y", "n"})
_NULL_WORDS = {"na", "n/a", "nan", "null", "none", "nil", "-", "?"}
_ID_NAME = re.compile(r"(?:^|_)(?:id|key|uuid|guid|code|number|no|nr|ref)$")
INT_MAX = 2**31 - 1


@dataclass
class ColumnGuess:
    header: str  # the name in the files
    name: str  # the safe name (contract `name`); header != name -> `source_name`
    type: str
    required: bool
    format: str | None = None
    distinct: int = 0  # distinct non-missing values in the sample
    present: int = 0  # non-missing values in the sample
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing_values: list[str] = field(default_factory=list)  # contract `missing_values` (`NA`)

    @property
    def source_name(self) -> str | None:
        return None if self.header == self.name else self.header

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC or self.type.startswith("decimal(")

    @property
    def unique(self) -> bool:
        """Every sample value present and distinct."""
        return self.required and self.present > 1 and self.distinct == self.present


def infer_columns(sample: Sample) -> list[ColumnGuess]:
    names = safe_names(sample.headers)
    return [_column(header, names[header], sample.values(header)) for header in sample.headers]


def _column(header: str, name: str, raw: list[str | None]) -> ColumnGuess:
    values = [v for v in raw if v is not None]
    shown = list(dict.fromkeys(v.strip() for v in values))
    guess = ColumnGuess(header, name, "string", required=len(values) == len(raw) and bool(values),
                        distinct=len(set(values)), present=len(values), examples=shown[:3])
    if not values:
        guess.notes.append("always empty in the sample: typed string; give it its type")
        return guess
    stripped = [v.strip() for v in values]
    guess.type, guess.format, note = _type(stripped)
    if note:
        guess.notes.append(note)
    words = sorted({v for v in stripped if v.lower() in _NULL_WORDS})
    rest = [v for v in stripped if v not in words]
    if guess.type == "string" and words and rest and _type(rest)[0] != "string":
        guess.type, guess.format, note = _type(rest)
        guess.missing_values, guess.required = words, False
        count = len(stripped) - len(rest)
        guess.notes[:] = [f"{words} ({count} of {len(raw)} sample values) mean missing: declared as "
                          "`missing_values`, loaded as null", *([note] if note else [])]
    return guess


def _type(values: list[str]) -> tuple[str, str | None, str | None]:
    """(type, format, note) of non-missing, stripped values."""
    lowered = {v.lower() for v in values}
    if any(lowered <= words for words in _BOOLEAN):
        return "boolean", None, None
    if all(_INT.fullmatch(v) for v in values):
        if any(len(v.lstrip("+-")) > 1 and v.lstrip("+-").startswith("0") for v in values):
            return "string", None, "leading zeros (a code, not a number): kept as text"
        if all(abs(int(v)) <= INT_MAX for v in values):
            return "int", None, None
        return ("bigint", None, None) if all(abs(int(v)) < 2**63 for v in values) else ("string", None, None)
    if all(_FLOAT.fullmatch(v) for v in values):
        return _decimal(values) or "double", None, None
    temporal = formats.detect(values)
    if temporal is not None:
        return ("timestamp" if temporal.has_time else "date"), temporal.pattern, temporal.note
    return "string", None, None


def _decimal(values: list[str]) -> str | None:
    """decimal(p,s) for fixed-point text: every value with one scale s (2-6), no exponent, and at least
    one trailing zero (12.50: formatted, not a float printed short, which ends in 0 only as `.0`)."""
    fractions = [v.partition(".")[2] for v in values]
    scales = {len(f) for f in fractions}
    if len(scales) != 1 or any("e" in v.lower() or "." not in v for v in values):
        return None
    scale = scales.pop()
    # A float printed short never ends its fraction in 0 beyond `.0`: `12.50` or `89.00` is formatted.
    if not 2 <= scale <= 6 or not any(f.endswith("0") for f in fractions):
        return None
    try:
        digits = max(len(str(abs(int(Decimal(v))))) for v in values)
    except InvalidOperation:
        return None
    precision = 18 if digits + scale <= 18 - 2 else 38  # room for larger values than the sample's
    return f"decimal({precision},{scale})"


def id_like(name: str) -> bool:
    return bool(_ID_NAME.search(name))


@dataclass(frozen=True)
class KeyChoice:
    header: str
    reason: str
    warning: str | None = None


def choose_key(columns: list[ColumnGuess], time_header: str, given: str | None) -> KeyChoice:
    by_header = {c.header: c for c in columns}
    if given is not None:
        header = resolve(given, {c.header: c.name for c in columns}, "--key")
        column = by_header[header]
        if header == time_header:
            raise ValueError("--key: the time column cannot be the key (gold carries both)")
        warning = None if column.unique else f"{column.name} is not present and distinct in every sample row"
        return KeyChoice(header, "given with --key", warning)
    candidates = [c for c in columns if c.unique and c.header != time_header and c.type in ("string", "int", "bigint")]
    named = [c for c in candidates if id_like(c.name)]
    if named:
        return KeyChoice(named[0].header, "named like an id, and present and distinct in every sample row")
    if candidates:
        column = candidates[0]
        return KeyChoice(column.header, "present and distinct in every sample row",
                         f"the key {column.name!r} is not named like an id and is unique in the sample only: check "
                         "it is unique per row (bronze quarantines a repeated key), or pass --key")
    raise ValueError(
        "No key: no column of the sample is present and distinct in every row. Silver keeps one row per key "
        "and the platform derives no row id for file sources, so the dataset needs a column that identifies "
        "a row. Add a row id to the files (and the sample), or name one with --key <column>.")
