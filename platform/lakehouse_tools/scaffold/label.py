"""The `--label` expression: its columns in silver's names, and what it gives on the sample.

The label is a Spark SQL condition over the silver row (config/row_expression.py), whose columns carry the
safe names. A user types the names they see in the file, so a column named by its header (or by the header
ignoring case, quoted in backticks when it holds spaces) is rewritten to its safe name; the rewrite is
printed. When no rewrite is needed the text is kept exactly as typed.

The sample is then labelled in Python with sqlglot's executor, where it can (comparisons, arithmetic,
CASE, IN, COALESCE ...): the count of positives guides the promotion floor and warns of a label that is
never (or always) 1. Spark decides at run time; this is an estimate, skipped when sqlglot cannot run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp
from sqlglot.executor import execute

from lakehouse.config.processing import NOTES, SOURCE, SOURCE_FILE
from lakehouse.config.row_expression import DIALECT, columns_of, parse_condition
from lakehouse_tools.scaffold import formats
from lakehouse_tools.scaffold.infer import ColumnGuess
from lakehouse_tools.scaffold.sample import Sample

# Columns silver writes besides the contract's (SilverSettings.row_types); the scaffold keeps the defaults.
SILVER = {"event_date", "landing_date", SOURCE, SOURCE_FILE, NOTES}


@dataclass(frozen=True)
class LabelOnSample:
    positive: int
    negative: int
    unknown: int

    @property
    def rate(self) -> float | None:
        known = self.positive + self.negative
        return self.positive / known if known else None


def in_silver_names(text: str, columns: list[ColumnGuess]) -> str:
    """`text` with every column named by its header (exactly, or ignoring case) renamed to its safe name; a
silver column (`event_date`) means silver's, even when a header has that name."""
    names = {c.name.lower() for c in columns} | SILVER  # silver's own columns keep their meaning
    by_header = {c.header: c.name for c in columns} | {c.header.lower(): c.name for c in columns}
    wrong = [n for n in columns_of(text) if n.lower() not in names and (n in by_header or n.lower() in by_header)]
    if not wrong:
        return text

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name in wrong:
            return exp.column(by_header.get(node.name) or by_header[node.name.lower()])
        return node

    return parse_condition(text).transform(rename).sql(dialect=DIALECT)


def label_columns(text: str, columns: list[ColumnGuess], time_name: str) -> set[str]:
    """Safe names of the contract columns the expression names (event_date stands for the time column)."""
    named = {n.lower() for n in columns_of(text)}
    found = {c.name for c in columns if c.name.lower() in named}
    return found | ({time_name} if "event_date" in named else set())


def _value(text: str | None, column: ColumnGuess) -> Any:
    if text is None:
        return None
    value = text.strip()
    try:
        if column.type == "boolean":
            return value.lower() in ("true", "yes", "t", "y")
        if column.type in ("int", "bigint"):
            return int(value)
        if column.type == "double":
            return float(value)
        if column.type.startswith("decimal("):
            return float(Decimal(value))
        if column.type in ("date", "timestamp"):
            parsed: datetime = formats.parse(value, column.format)
            return parsed.date() if column.type == "date" else parsed
    except ValueError:
        return None
    return text


def on_sample(text: str, sample: Sample, columns: list[ColumnGuess], time_name: str) -> LabelOnSample | None:
    """The label of each sample row as sqlglot computes it (None where it cannot run the expression)."""
    rows = []
    for raw in sample.rows:
        row = {c.name: _value(raw.get(c.header), c) for c in columns}
        event = row.get(time_name)
        row["event_date"] = event.date() if isinstance(event, datetime) else event
        rows.append(row)
    query = f"SELECT CASE WHEN ({text}) THEN 1 WHEN NOT ({text}) THEN 0 END AS v FROM t"
    try:
        result = execute(query, dialect=DIALECT, tables={"t": rows})
    except Exception:  # a function sqlglot's executor lacks (hour(), date_add() ...): Spark decides
        return None
    values = [r[0] for r in result.rows]
    return LabelOnSample(values.count(1), values.count(0), sum(v is None for v in values))
