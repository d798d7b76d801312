"""Test helpers: read landed files back and recount dirty rows without using the generator's code."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

COLUMNS = [
    "transaction_id",
    "customer_id",
    "merchant_id",
    "event_time",
    "amount",
    "currency",
    "channel",
    "category",
    "country",
    "device_id",
    "entry_mode",
]
FOLDERS = {"csv": "landing/transactions_csv", "jsonl": "landing/transactions_json"}


@dataclass
class FileScan:
    path: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    clean_rows: list[dict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)  # every readable transaction_id, dirty rows included
    ends_with_newline: bool = True


def _classify(text: str, fmt: str, columns: list[str], day: date, seen: set[str], scan: FileScan) -> str:
    if fmt == "csv":
        if '"' in text or text.count(",") != len(columns) - 1:
            return "malformed_csv_line"
        row: dict = {c: (v or None) for c, v in zip(columns, text.split(","))}
    else:
        try:
            row = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            return "invalid_json_line"
        if not isinstance(row, dict):
            return "invalid_json_line"
    if not row.get("transaction_id"):
        return "null_transaction_id"
    scan.ids.add(row["transaction_id"])
    if not row.get("customer_id") or row.get("amount") in (None, ""):
        return "missing_value"
    amount = row["amount"]
    if fmt == "jsonl" and isinstance(amount, str):
        return "wrong_type"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return "wrong_type"
    if value <= 0 or value >= Decimal("1e9"):
        return "absurd_amount"
    ts = datetime.strptime(row["event_time"], "%Y-%m-%dT%H:%M:%SZ")
    if ts.year < 2000 or ts.date() > day:
        return "bad_timestamp"
    if ts.date() < day:
        return "late_event"
    if row["transaction_id"] in seen:
        return "duplicate_transaction_id"
    seen.add(row["transaction_id"])
    scan.clean_rows.append(row)
    return ""


def scan_day(root: Path, day: date, fmt: str) -> list[FileScan]:
    """Classify every line of a day's files of one format, in file order (duplicates span files)."""
    folder = root / FOLDERS[fmt] / day.isoformat()
    seen: set[str] = set()
    scans = []
    for path in sorted(folder.glob("*")):
        scan = FileScan(str(path.relative_to(root)))
        data = path.read_bytes()
        scans.append(scan)
        if not data:
            continue
        scan.ends_with_newline = data.endswith(b"\n")
        lines = data.split(b"\n")
        if scan.ends_with_newline:
            lines = lines[:-1]
        if fmt == "csv":
            scan.columns = lines.pop(0).decode().split(",")
        for i, raw in enumerate(lines):
            scan.rows += 1
            if i == len(lines) - 1 and not scan.ends_with_newline:
                scan.kinds["truncated_file"] += 1
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                scan.kinds["non_utf8"] += 1
                continue
            if fmt == "jsonl" and not scan.columns:
                try:
                    scan.columns = list(json.loads(text))
                except json.JSONDecodeError:
                    pass
            kind = _classify(text, fmt, scan.columns, day, seen, scan)
            if kind:
                scan.kinds[kind] += 1
    return scans


def landed_days(root: Path) -> list[date]:
    return sorted({date.fromisoformat(p.name) for f in FOLDERS.values() for p in (root / f).glob("*")})


def tree(root: Path, skip_suffix: str = ".sqlite") -> dict[str, bytes]:
    """Every file under root (relative path -> bytes), except the database."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != skip_suffix)
    return {str(p.relative_to(root)): p.read_bytes() for p in files}
