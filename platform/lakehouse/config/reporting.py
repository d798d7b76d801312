"""Reporting configuration (seed notebook `reporting`): which reports exist, their period and sections.

Config is data: a report is an entry of `reports`, a section an entry of `sections` whose `kind` picks
one of the kinds in lakehouse/reporting/grouping_sets.py's REGISTRY (summary, timeline, breakdown,
histogram, realised). One reporting.yaml per dataset; docs/reporting.md explains adding either.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.columns import LabelColumns, PredictionColumns
from lakehouse.config.identifiers import AssetKeyName, key_parts, validate_identifier
from lakehouse.config.project import project_cache

_PERCENTILES = [0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


class _Section(StrictModel):
    title: str = Field(description="Heading of the section in every output (HTML, PDF page, Excel sheet).")
    description: str = Field(default="", description="A sentence under the heading: what the reader is looking at.")


class SummarySection(_Section):
    kind: Literal["summary"] = Field(
        description="Volume, predicted positives and their rate, probability and amount percentiles; overall and per model version."
    )
    percentiles: list[float] = Field(default=_PERCENTILES, description="Percentiles of probability and amount (0-1).")


class TimelineSection(_Section):
    kind: Literal["timeline"] = Field(description="Predictions and predicted positive rate over time.")
    grain: Literal["hour", "day"] = Field(
        description="hour: hour of day (0-23, every day of the period together); day: each day of the period."
    )


class BreakdownSection(_Section):
    kind: Literal["breakdown"] = Field(description="Count, predicted positive rate and mean probability per value of a column.")
    column: str = Field(description="Predictions column to group by (category, channel, ...); nulls become `(missing)`.")
    chart_top: int = Field(default=15, ge=1, description="Values shown in the chart (largest first); tables hold all.")

    @field_validator("column")
    @classmethod
    def _identifier(cls, value: str) -> str:
        return validate_identifier(value, "column name")


class HistogramSection(_Section):
    kind: Literal["histogram"] = Field(description="Counts of a numeric column in fixed bins, optionally split into series.")
    column: str = Field(description="Numeric predictions column (amount, probability, ...).")
    edges: list[float] = Field(
        description="Increasing bin edges; bin i is [edges[i], edges[i+1]). Values below the first or above the last "
        "edge are counted in the first or last bin, so no row is dropped."
    )
    open_upper: bool = Field(default=False, description="Label the last bin `<lower edge>+` (it holds every larger value).")
    by: str | None = Field(default=None, description="Column splitting the rows into series (e.g. prediction); none: one series.")
    series_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Display name per value of `by` (e.g. '1': predicted fraud, '0': legit); listed series appear even when empty.",
    )
    percentiles: list[float] = Field(default=_PERCENTILES, description="Percentiles of the column per series (0-1).")
    axis_label: str = Field(description="X-axis label with its unit, e.g. `amount (EUR)`.")
    log_y: bool = Field(default=False, description="Logarithmic count axis (skewed distributions such as probability).")
    share: bool = Field(
        default=False, description="Plot each series as % of its rows (compares the shape of unequal series) instead of counts."
    )
    mark_threshold: bool = Field(default=False, description="Draw each model version's decision threshold on the chart.")

    @field_validator("column", "by")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        return None if value is None else validate_identifier(value, "column name")

    @field_validator("edges")
    @classmethod
    def _increasing(cls, edges: list[float]) -> list[float]:
        if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
            raise ValueError(f"edges must be at least two strictly increasing numbers, got {edges}")
        return edges


class RealisedSection(_Section):
    kind: Literal["realised"] = Field(
        description="Precision, recall and AUC against the labels (gold.labels), once enough have matured."
    )
    min_matured_fraction: float = Field(
        default=1.0, ge=0, le=1,
        description="Share of the period's predictions whose label must have matured before the metrics are "
        "computed; before that the section says `pending` with the matured count.",
    )


SectionSpec = Annotated[
    SummarySection | TimelineSection | BreakdownSection | HistogramSection | RealisedSection,
    Field(discriminator="kind"),
]


class ReportSpec(StrictModel):
    name: str = Field(
        description="Report name: assets reporting/<name>_summary (Delta) and reporting/<name>_report (files)."
    )
    period: Literal["day", "week", "month"] = Field(description="The seed's time_period: the report's partitions.")
    title: str = Field(description="Report title; the partition's dates are appended.")
    description: str = Field(description="What the report is for (asset description in the UI).")
    sections: list[str] = Field(min_length=1, description="Entries of `sections`, in the order they appear.")
    main_chart: str = Field(description="Section whose chart is shown on the asset page in the Dagster UI.")
    schedule_hour: int = Field(default=6, ge=0, le=23, description="Hour (UTC) the schedule reports the period just ended.")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        return validate_identifier(value, "report name")


class ReportingConfig(StrictModel):
    predictions_asset: AssetKeyName = Field(description=(
        "Asset key (<schema>/<table>) of the predictions read: the summaries' upstream, whose table is the "
        "seed's `data_table`."))
    labels_asset: AssetKeyName | None = Field(default=None, description=(
        "Asset key of the labels for realised metrics (the run config's `labels_table` is its table); "
        "null: no labels, realised stays pending."))
    report_root: str = Field(
        default="{data_root}/reports",
        description="Default report_path: files go to <report_root>/<period>/<partition>/; `{data_root}` is the "
        "profile's data root, resolved at run time.",
    )
    predictions: PredictionColumns = Field(default_factory=PredictionColumns, description="Predictions columns used.")
    labels: LabelColumns = Field(default_factory=LabelColumns, description="Labels columns used.")
    sections: dict[str, SectionSpec] = Field(description="Section definitions by name (the name is the Excel sheet).")
    reports: list[ReportSpec] = Field(min_length=1, description="Reports built; each is a pair of assets.")
    positive_name: str = Field(
        default="positive", description="What a positive prediction is called in charts and summaries "
        "(`Predicted fraud`, `predicted churn`); metric names in the aggregate table stay generic.",
    )
    negative_name: str = Field(default="negative", description="What a negative is called (confusion matrix).")
    render_processes: int = Field(
        default=2, ge=1, description="Processes rendering the reports of a multi-partition run (a backfill) in "
        "parallel; matplotlib is single-threaded and Spark idles meanwhile. 1: render in the run's own process.",
    )

    @property
    def predictions_key(self) -> tuple[str, str]:
        return key_parts(self.predictions_asset)

    @property
    def labels_key(self) -> tuple[str, str] | None:
        return key_parts(self.labels_asset) if self.labels_asset else None

    @model_validator(mode="after")
    def _references(self) -> ReportingConfig:
        names = [r.name for r in self.reports]
        if len(set(names)) != len(names):
            raise ValueError(f"Report names must be unique: {names}")
        for name in self.sections:
            validate_identifier(name, "section name")
            if len(name) > 31:  # Excel's sheet-name limit
                raise ValueError(f"Section name {name!r} is longer than 31 characters (Excel sheet names)")
        for report in self.reports:
            unknown = [s for s in report.sections if s not in self.sections]
            if unknown:
                raise ValueError(f"Report {report.name!r} names unknown sections {unknown}; known: {sorted(self.sections)}")
            if not any(self.sections[s].kind == "summary" for s in report.sections):
                raise ValueError(f"Report {report.name!r} needs a section of kind summary (its headline numbers)")
            if report.main_chart not in report.sections:
                raise ValueError(f"Report {report.name!r}: main_chart {report.main_chart!r} is not one of its sections")
        return self

    def report(self, name: str) -> ReportSpec:
        for report in self.reports:
            if report.name == name:
                return report
        raise KeyError(f"No report {name!r}; known: {[r.name for r in self.reports]}")


@project_cache
def load_reporting(dataset: str) -> ReportingConfig:
    return load_dataset_yaml(dataset, "reporting.yaml", ReportingConfig)
