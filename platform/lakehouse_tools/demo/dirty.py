"""Dirty-data injection: which rows and files get which problem, and what the problem looks like.

Each row carries at most one row-level kind, so the manifest's per-kind counts are exact and a
test (or the platform's quarantine) can recount them from the files alone. Plans draw from their
own random streams: switching dirt on or off leaves the clean rows untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lakehouse_tools.demo.catalog import DROPPABLE_COLUMNS, EXTRA_COLUMNS, TRANSACTION_COLUMNS
from lakehouse_tools.demo.settings import DirtyRates, GeneratorSettings
from lakehouse_tools.demo.streams import FORMAT_CODE, Stream, iso_utc, rng
from lakehouse_tools.demo.transactions import Chunk

# Row-level kinds; code = index + 1 (0 = clean). Line kinds are applied to the rendered text.
ROW_KINDS: tuple[str, ...] = (
    "malformed_csv_line",
    "invalid_json_line",
    "wrong_type",
    "missing_value",
    "null_transaction_id",
    "bad_timestamp",
    "absurd_amount",
    "non_utf8",
    "late_event",
)
LINE_KINDS = frozenset({"malformed_csv_line", "invalid_json_line"})
FILE_KINDS: tuple[str, ...] = ("missing_column", "extra_column", "empty_file", "truncated_file")
ALL_KINDS: tuple[str, ...] = ROW_KINDS + ("duplicate_transaction_id",) + FILE_KINDS + ("out_of_order_customer_update",)
# Rows whose transaction_id is not reliably readable afterwards: they never get a chargeback.
ID_DAMAGING = frozenset({"malformed_csv_line", "invalid_json_line", "null_transaction_id", "non_utf8"})

WRONG_AMOUNTS = ("N/A", "twelve", "12.5O", "EUR 12.50", "--", "1.234.56")
ABSURD_AMOUNTS = ("0.00", "-0.01", "1000000000000.00")


@dataclass(frozen=True)
class FilePlan:
    missing_column: str | None
    extra_column: str | None
    extra_position: int
    truncated: bool
    empty_companion: str | None  # "zero_bytes" or "header_only"


def plan_file(settings: GeneratorSettings, key: int, fmt: str, file_no: int) -> FilePlan:
    rates = settings.dirty
    r = rng(settings.seed, Stream.FILE_DIRT, key, FORMAT_CODE[fmt], file_no)
    u = r.random(4)  # always draw everything so one rate never shifts another kind's dice
    dropped = DROPPABLE_COLUMNS[int(r.integers(len(DROPPABLE_COLUMNS)))]
    extra = EXTRA_COLUMNS[int(r.integers(len(EXTRA_COLUMNS)))]
    extra_pos = int(r.integers(1, len(TRANSACTION_COLUMNS)))
    header_only = fmt == "csv" and r.random() < 0.5
    return FilePlan(
        missing_column=dropped if u[0] < rates.missing_column else None,
        extra_column=extra if u[1] < rates.extra_column else None,
        extra_position=extra_pos,
        truncated=bool(u[2] < rates.truncated_file),
        empty_companion=("header_only" if header_only else "zero_bytes") if u[3] < rates.empty_file else None,
    )


def plan_rows(r: np.random.Generator, rates: DirtyRates, fmt: str, n: int) -> np.ndarray:
    """Row-level kind code per row (0 = clean). Rates above 1 in total are scaled down to 1."""
    wrong_format = "invalid_json_line" if fmt == "csv" else "malformed_csv_line"
    p = np.array([0.0 if k == wrong_format else getattr(rates, k) for k in ROW_KINDS])
    if p.sum() == 0:
        return np.zeros(n, dtype=np.int8)
    p = p / max(p.sum(), 1.0)
    codes = np.searchsorted(np.cumsum(p), r.random(n), side="right") + 1
    codes[codes > len(ROW_KINDS)] = 0
    return codes.astype(np.int8)


def kind_name(code: int) -> str:
    return ROW_KINDS[code - 1] if code else ""


def field_overrides(r: np.random.Generator, codes: np.ndarray, chunk: Chunk) -> dict[int, dict[str, str | None]]:
    """Replacement values for rows with a value-level kind (small per-row loop: dirty rows are rare)."""
    out: dict[int, dict[str, str | None]] = {}
    for i in np.flatnonzero(codes).tolist():
        kind = ROW_KINDS[codes[i] - 1]
        if kind in LINE_KINDS:
            continue
        if kind == "wrong_type":
            out[i] = {"amount": WRONG_AMOUNTS[int(r.integers(len(WRONG_AMOUNTS)))]}
        elif kind == "missing_value":
            out[i] = {"customer_id" if r.random() < 0.5 else "amount": None}
        elif kind == "null_transaction_id":
            out[i] = {"transaction_id": None}
        elif kind == "bad_timestamp":
            if r.random() < 0.5:  # the classic "epoch zero" default
                seconds = int(r.integers(0, 86_400 * 365))
            else:  # years in the future
                seconds = int(chunk.event_seconds[i]) + int(r.integers(400, 30_000)) * 86_400
            out[i] = {"event_time": iso_utc(np.array([seconds]))[0]}
        elif kind == "absurd_amount":
            amount = chunk.columns["amount"][i]
            choices = ABSURD_AMOUNTS + ("-" + amount,)
            out[i] = {"amount": choices[int(r.integers(len(choices)))]}
        elif kind == "non_utf8":
            # A Latin-1 byte (0xE9, 'é') inside the category; carried as a surrogate escape until encoding.
            value = chunk.columns["category"][i]
            out[i] = {"category": value[:2] + "\udce9" + value[3:]}
        elif kind == "late_event":
            late = int(chunk.event_seconds[i]) - int(r.integers(1, 4)) * 86_400
            out[i] = {"event_time": iso_utc(np.array([late]))[0]}
    return out


def corrupt_line(r: np.random.Generator, kind: str, line: str) -> str:
    """Break a rendered line so that a CSV / JSON parser cannot read it as a valid row."""
    variant = int(r.integers(4 if kind == "invalid_json_line" else 3))
    if kind == "malformed_csv_line":
        fields = line.split(",")
        if variant == 0:
            return ",".join(fields[:-2])  # too few columns
        if variant == 1:
            return ",".join(fields + [fields[-1]])  # one column too many
        fields[1] = '"' + fields[1]  # an opening quote that is never closed
        return ",".join(fields)
    if variant == 0:
        return line[:-1]  # missing closing brace
    if variant == 1:
        return line.replace('"', "'")  # single quotes
    if variant == 2:
        return line[:-1] + ",}"  # trailing comma
    return line[: len(line) // 2]  # cut in half


def extra_values(r: np.random.Generator, column: str, n: int) -> list[str]:
    if column == "loyalty_tier":
        return np.array(["bronze", "silver", "gold"], dtype=object)[r.integers(0, 3, n)].tolist()
    prefix = "PRM" if column == "promo_code" else "T"
    return [f"{prefix}{v:06d}" for v in r.integers(0, 1_000_000, n).tolist()]
