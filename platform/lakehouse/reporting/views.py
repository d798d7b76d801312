"""From one period's aggregate rows (the Delta table's long layout, as pandas) to what a report shows:
a table per section, the headline numbers, notes and the markdown summary. No Spark, no matplotlib."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lakehouse.config.reporting import ReportingConfig, ReportSpec
from lakehouse.reporting.aggregates import ALL, PREDICTED_POSITIVE, PROB_MEAN, RATE, ROWS
from lakehouse.reporting.sections import THRESHOLD_SERIES

PERCENT = {"precision", "recall", "matured_fraction"}
COUNTS = {ROWS, PREDICTED_POSITIVE, "predictions", "labels_matured", "positives", "tp", "fp", "fn", "tn", "missing"}
EMPTY_NOTE = "No predictions were scored in this period."


def is_percent(metric: str) -> bool:
    return metric.endswith("_rate") or metric in PERCENT


def fmt(metric: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric in COUNTS:
        return f"{int(value):,}"
    if is_percent(metric):
        return f"{100 * value:.2f} %"
    return f"{value:,.4g}"


@dataclass(frozen=True)
class SectionView:
    name: str
    kind: str
    title: str
    description: str
    table: pd.DataFrame  # series, bucket, one column per metric (raw numbers)
    note: str | None


@dataclass(frozen=True)
class Realised:
    status: str  # computed | pending | no predictions | not in report
    matured: int
    predictions: int
    precision: float | None
    recall: float | None
    auc: float | None

    def text(self) -> str:
        if self.status == "computed":
            return (f"precision {fmt('precision', self.precision)}, recall {fmt('recall', self.recall)}, "
                    f"AUC {fmt('auc', self.auc)} ({self.matured:,} matured labels)")
        if self.status == "pending":
            share = self.matured / self.predictions if self.predictions else 0.0
            return f"pending: {self.matured:,} of {self.predictions:,} labels matured ({100 * share:.1f} %)"
        return self.status


@dataclass(frozen=True)
class Headline:
    predictions: int
    predicted_positive: int
    rate: float | None
    mean_probability: float | None
    model_versions: list[str]
    realised: Realised

    @property
    def empty(self) -> bool:
        return self.predictions == 0


def _series_order(series: str) -> tuple[int, str]:
    return (0 if series == ALL else 2 if series == THRESHOLD_SERIES else 1, series)


def section_table(rows: pd.DataFrame, section: str) -> pd.DataFrame:
    """The section's rows pivoted: one line per (series, bucket), one column per metric in builder order."""
    sub = rows[rows["section"] == section]
    if sub.empty:
        return pd.DataFrame(columns=["series", "bucket"])
    order = sub.groupby("metric")["metric_index"].min().sort_values().index.tolist()
    wide = sub.pivot(index=["series", "bucket_index", "bucket"], columns="metric", values="value").reset_index()
    wide["_order"] = wide["series"].map(_series_order)
    wide = wide.sort_values(["_order", "bucket_index"], kind="stable")
    # Series with other metrics (a histogram's totals, its thresholds) leave the other columns empty (NaN).
    return wide[["series", "bucket", *order]].reset_index(drop=True)


def _value(table: pd.DataFrame, metric: str, series: str = ALL) -> float | None:
    if metric not in table.columns:
        return None
    hits = table.loc[table["series"] == series, metric]
    value = hits.iloc[0] if len(hits) else None
    return None if value is None or pd.isna(value) else float(value)


def realised_status(table: pd.DataFrame | None) -> Realised:
    if table is None:
        return Realised("not in report", 0, 0, None, None, None)
    predictions, matured = int(_value(table, "predictions") or 0), int(_value(table, "labels_matured") or 0)
    if predictions == 0:
        return Realised("no predictions", 0, 0, None, None, None)
    status = "computed" if _value(table, "complete") == 1.0 else "pending"
    return Realised(status, matured, predictions, _value(table, "precision"), _value(table, "recall"), _value(table, "auc"))


def build_views(rows: pd.DataFrame, config: ReportingConfig, report: ReportSpec) -> tuple[list[SectionView], Headline]:
    tables = {name: section_table(rows, name) for name in report.sections}
    kinds = {name: config.sections[name].kind for name in report.sections}
    summary = tables[next(n for n in report.sections if kinds[n] == "summary")]
    realised = next((tables[n] for n in report.sections if kinds[n] == "realised"), None)
    versions = sorted(s.removeprefix("model_version ") for s in summary["series"] if s != ALL)
    headline = Headline(int(_value(summary, ROWS) or 0), int(_value(summary, PREDICTED_POSITIVE) or 0), _value(summary, RATE),
                        _value(summary, PROB_MEAN), versions, realised_status(realised))
    views = []
    for name in report.sections:
        spec = config.sections[name]
        note = EMPTY_NOTE if headline.empty else None
        if spec.kind == "realised" and not headline.empty and headline.realised.status != "computed":
            note = (f"Pending: {headline.realised.text().removeprefix('pending: ')}; the metrics appear once "
                    f"{100 * spec.min_matured_fraction:.0f} % have matured.")
        views.append(SectionView(name, kinds[name], spec.title, spec.description, tables[name], note))
    return views, headline


def markdown_summary(headline: Headline, title: str, files: list[str], positive: str) -> str:
    """The materialisation's summary in the Dagster UI."""
    lines = [f"**{title}**", ""]
    if headline.empty:
        lines += [EMPTY_NOTE, ""]
    rate = fmt(RATE, headline.rate)
    lines += [
        "| | |", "|---|---|",
        f"| Predictions | {headline.predictions:,} |",
        f"| Predicted {positive} | {headline.predicted_positive:,} ({rate}) |",
        f"| Mean probability | {fmt(PROB_MEAN, headline.mean_probability)} |",
        f"| Model versions | {', '.join(headline.model_versions) or '-'} |",
        f"| Realised | {headline.realised.text()} |",
        "", "Files: " + ", ".join(f"`{name}`" for name in files),
    ]
    return "\n".join(lines)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every metric formatted for reading (HTML); Excel and CSV keep the raw numbers."""
    shown = table.copy()
    for column in table.columns:
        if column not in ("series", "bucket"):
            shown[column] = [fmt(column, v) for v in table[column]]
    return shown
