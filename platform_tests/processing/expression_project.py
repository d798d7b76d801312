"""A project (LAKEHOUSE_PROJECT_DIR) holding card_fraud with its label declared as an expression on the
row instead of chargebacks: what the label-expression tests load. The dataset keeps its name, so the
shipped profiles (which name card_fraud) run it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config.project import DEFAULT_PROJECT_DIR

# `currency` is no model feature's input (`amount` is: the leakage rule refuses it).
EXPRESSION = "currency <> 'EUR'"
LABEL = {"name": "is_foreign", "description": "1 when the transaction is not in euros.", "expression": EXPRESSION,
         "known_after_days": 2}


def expression_project(root: Path, label: dict[str, Any] | None = None, tables: dict[str, str] | None = None) -> Path:
    """`root` as a project: card_fraud copied, `label` (default LABEL) as its features.yaml label, and
    `tables` overriding processing.yaml's top-level table names (features_table, labels_table) and
    `silver_table` silver's. Returns the dataset's folder."""
    dataset = root / "datasets" / "card_fraud"
    shutil.copytree(DEFAULT_PROJECT_DIR / "datasets" / "card_fraud", dataset)
    edit(dataset / "features.yaml", label=LABEL if label is None else label)
    tables = dict(tables or {})
    silver_table = tables.pop("silver_table", None)
    processing = yaml.safe_load((dataset / "processing.yaml").read_text())
    processing.update(tables)
    if silver_table:
        processing["silver"]["table"] = silver_table
    (dataset / "processing.yaml").write_text(yaml.safe_dump(processing, sort_keys=False))
    return dataset


def edit(path: Path, **changes: Any) -> None:
    """Set top-level keys of a YAML file."""
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **changes}, sort_keys=False))
