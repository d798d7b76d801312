"""`_generator/manifest.json`: ground truth of what was landed, day by day.

Layout (all counts exact; no wall-clock times, so landing a day again gives identical bytes):

    {"format_version": 1,
     "entity_key": {...settings that define customers and merchants...},
     "settings": {...settings of the last landing, except `days`...},
     "days": {"2026-01-01": {
         "date": "2026-01-01",
         "transactions": {"rows": int, "fraud": int, "files": [file, ...]},
         "chargebacks": {"rows": int, "by_reason": {...}, "staged_for_later_days": int, "files": [...]},
         "customers": {"inserted": int, "updated": int, "deleted": int,
                       "out_of_order_updates": [{"customer_id": str, "updated_at": str}, ...]},
         "dirty": {kind: count, ...every kind...},
         "fraud_truth": "_generator/truth/2026-01-01.csv"}}}

A transaction file entry: {"path", "source", "rows" (data lines, header excluded), "bytes", "sha256",
"fraud" (fraud transactions generated into the file; duplicate copies not counted),
"dirty_rows" {kind: rows}, "file_issues" {"missing_column": name, "extra_column": {"name",
"position"}, "truncated_file": true, "empty_file": "zero_bytes"|"header_only"}}.
Day-level "dirty": row kinds count rows; missing_column / extra_column / empty_file count files;
truncated_file counts files (= cut rows); out_of_order_customer_update counts update rows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from lakehouse_tools.demo.files import atomic_write
from lakehouse_tools.demo.settings import GeneratorSettings

MANIFEST = Path("_generator/manifest.json")
FORMAT_VERSION = 1


def load(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.exists():
        return {"format_version": FORMAT_VERSION, "entity_key": None, "settings": None, "days": {}}
    return json.loads(path.read_text())


def save(root: Path, manifest: dict[str, Any]) -> None:
    manifest["days"] = dict(sorted(manifest["days"].items()))
    atomic_write(root / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())


def check_entities(manifest: dict[str, Any], settings: GeneratorSettings, root: Path) -> None:
    """Refuse to mix populations: customer and merchant ids would no longer mean the same thing."""
    known = manifest.get("entity_key")
    if known is not None and known != settings.entity_key():
        raise ValueError(
            f"{root} was generated with different entity settings {known}; "
            f"use a fresh root or the same seed/start_date/customers/merchants ({settings.entity_key()})"
        )


def landed_days(manifest: dict[str, Any]) -> list[date]:
    return sorted(date.fromisoformat(d) for d in manifest["days"])
