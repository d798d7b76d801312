"""Timestamps and dates in a sample: which Spark datetime pattern reads every value (contracts.yaml `format`),
or none when Spark's ISO 8601 default does.

Candidates are layouts (year-month-day, day-month-year, month-day-year, `02-Jan-2001`), with or without a
time of day (`HH:mm`, seconds, a fraction, AM/PM, `Z` / an offset). A layout fits when every value matches
it with the same separators and is a real date and time (Python's `strptime` of the equivalent format).
A day or month field is written `dd` / `MM` only when every value pads it to two digits: Spark's parser
takes `MM` as exactly two digits, while `M` reads one or two. `python_format` turns a pattern back into a
`strptime` format (`lakehouse land` reads event times with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_TIME = (r"(?:(?P<sep>[ T])(?P<H>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
         r"(?P<ap> ?[AaPp][Mm])?(?P<z>Z|[+-]\d{2}:\d{2}|[+-]\d{4})?)?")
# What Spark's default cast reads (no `format`): a date, or a date and a 24-hour time with seconds, an
# optional fraction and an optional `Z` / `+hh:mm`; values may mix these (and ` ` / `T`).
_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?)?")
_LAYOUTS: dict[str, str] = {
    "ymd": r"(?P<y>\d{4})(?P<d1>[-/.])(?P<M>\d{1,2})(?P=d1)(?P<d>\d{1,2})",
    "mdy": r"(?P<M>\d{1,2})(?P<d1>[-/.])(?P<d>\d{1,2})(?P=d1)(?P<y>\d{4})",
    "dmy": r"(?P<d>\d{1,2})(?P<d1>[-/.])(?P<M>\d{1,2})(?P=d1)(?P<y>\d{4})",
    "dby": r"(?P<d>\d{1,2})(?P<d1>[- ])(?P<b>[A-Za-z]{3})(?P=d1)(?P<y>\d{4})",
}
_ORDER = {"ymd": ("y", "M", "d"), "mdy": ("M", "d", "y"), "dmy": ("d", "M", "y"), "dby": ("d", "b", "y")}
_SPARK_TO_PYTHON = {"yyyy": "%Y", "yy": "%y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "%m", "dd": "%d", "d": "%d",
                    "HH": "%H", "H": "%H", "hh": "%I", "h": "%I", "mm": "%M", "m": "%M", "ss": "%S", "s": "%S",
                    "a": "%p", "XXX": "%z", "XX": "%z", "X": "%z"}


@dataclass(frozen=True)
class Temporal:
    """How a column's values read as a timestamp or a date."""

    has_time: bool  # a time of day: a timestamp column; else a date column
    pattern: str | None  # the Spark pattern; None: ISO 8601, Spark's default cast reads it
    note: str | None = None  # e.g. an ambiguous day / month order, for a comment


def detect(values: list[str]) -> Temporal | None:
    """The layout every value fits, or None (not a timestamp or date column)."""
    values = [v.strip() for v in values]
    if not values or any(not v[:1].isdigit() for v in values):
        return None
    if all(_ISO.fullmatch(v) for v in values) and _python_reads_iso(values):
        return Temporal(any(len(v) > 10 for v in values), None)
    fitting = [(layout, matches) for layout in _LAYOUTS if (matches := _matches(layout, values)) is not None]
    if not fitting:
        return None
    layouts = [layout for layout, _ in fitting]
    note = None
    if "mdy" in layouts and "dmy" in layouts:  # every day and month <= 12: the sample cannot tell
        separator = fitting[0][1][0].group("d1")
        drop = "dmy" if separator == "/" else "mdy"
        kept = "MM/dd (US)" if drop == "dmy" else "dd/MM"
        note = f"day and month order is ambiguous in the sample: read as {kept}; check it"
        fitting = [f for f in fitting if f[0] != drop]
    layout, matches = fitting[0]
    return Temporal(matches[0].group("H") is not None, _pattern(layout, matches), note)


def _matches(layout: str, values: list[str]) -> list[re.Match[str]] | None:
    regex = re.compile(_LAYOUTS[layout] + _TIME)
    matches = [regex.fullmatch(v) for v in values]
    if any(m is None for m in matches):
        return None
    found = [m for m in matches if m is not None]
    # One shape for every value: the same separators, the same optional parts present or absent.
    shape = {(m.group("d1"), m.group("sep"), m.group("s") is None, m.group("ap") is None,
              m.group("f") is None, m.group("z") is None) for m in found}
    if len(shape) != 1:
        return None
    pattern = _pattern(layout, found)
    python = python_format(pattern)
    for value in values:
        try:
            datetime.strptime(_for_python(value), python)
        except ValueError:
            return None
    return found


def _pad(matches: list[re.Match[str]], group: str, letter: str) -> str:
    return letter * 2 if all(len(m.group(group)) == 2 for m in matches) else letter


def _pattern(layout: str, matches: list[re.Match[str]]) -> str:
    first = matches[0]
    parts = {"y": "yyyy", "b": "MMM", "M": "M", "d": "d"}
    pattern = first.group("d1").join(_pad(matches, p, parts[p]) if p in "Md" else parts[p] for p in _ORDER[layout])
    if first.group("H") is None:
        return pattern
    twelve = first.group("ap") is not None
    pattern += "'T'" if first.group("sep") == "T" else " "
    pattern += _pad(matches, "H", "h" if twelve else "H") + ":mm"
    if first.group("s") is not None:
        pattern += ":ss"
        if first.group("f") is not None:
            pattern += "." + "S" * max(len(m.group("f")) for m in matches)  # Spark reads 1 .. n digits
    if twelve:
        pattern += " a" if first.group("ap").startswith(" ") else "a"
    if first.group("z") is not None:
        pattern += "XX" if any(len(m.group("z")) == 5 for m in matches) else "XXX"
    return pattern


def _python_reads_iso(values: list[str]) -> bool:
    """Every value is a real date and time (the regex checks the shape only: not 2001-02-30)."""
    try:
        for value in values:
            parse(value, None)
    except ValueError:
        return False
    return True


def _for_python(value: str) -> str:
    """Python's %f reads at most 6 digits: cut a longer fraction (the pattern checks its shape)."""
    return re.sub(r"(\.\d{6})\d+", r"\1", value)


def python_format(pattern: str) -> str:
    """The `strptime` format of a Spark pattern made of the letters above; ValueError for any other."""
    out: list[str] = []
    for match in re.finditer(r"'([^']*)'|(([A-Za-z])\3*)|([^A-Za-z'])", pattern):
        literal, letters, _, other = match.groups()
        if literal is not None:
            out.append(literal.replace("%", "%%") or "'")
        elif other is not None:
            out.append(other.replace("%", "%%"))
        elif letters.startswith("S"):
            out.append("%f")
        elif letters in _SPARK_TO_PYTHON:
            out.append(_SPARK_TO_PYTHON[letters])
        else:
            raise ValueError(f"Pattern letters {letters!r} of {pattern!r} have no strptime equivalent here")
    return "".join(out)


def parse(value: str, pattern: str | None) -> datetime:
    """A value as Python reads it with the column's pattern (None: ISO 8601). ValueError when it does not."""
    text = value.strip()
    if pattern is None:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    return datetime.strptime(_for_python(text), python_format(pattern))
