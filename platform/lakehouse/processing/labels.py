"""Labels with maturity, one table shape for both forms of features.yaml `label:`.

Label events (chargebacks): a row is positive when a positive event for its key is observed within
`window_days` of the event. `labels_as_of` is the newest label event seen (the stream's watermark).

An expression on the row (`arrival_delay_minutes > 15`): evaluated over the row's silver columns; 1 where
true, 0 where false. Where it is null (the outcome is not on the row) the label is null — unknown, never
matured — rather than 0: counting an unknown outcome as negative would change the data without a trace,
and refusing the day would stop the pipeline over one row. `label_observed_at` is the event time of a
positive row (the outcome is on the row, so it is seen with it), null otherwise. `labels_as_of` is the
newest event_time in silver: the data's own watermark.

Either way a day's labels are matured once the watermark is past the day's end plus `maturity_days`
(`window_days` / `known_after_days`) — deterministic given the data, unlike a wall clock — and the label
is known. Training uses matured rows only; monitoring and reports compare predictions with what has
arrived. Columns: row key (and label key), event_date, <label>, label_observed_at, label_matured, labels_as_of.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dagster import AssetKey
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.config.features import EventLabel, ExpressionLabel, FeatureRegistry, LabelSpec
from lakehouse.config.identifiers import dataset_key

AS_OF, OBSERVED, MATURED = "labels_as_of", "label_observed_at", "label_matured"


def matured(label: LabelSpec, event_date: str) -> Column:
    """The maturity rule, in one place (the builders and the matured_labels check): the watermark is at
    or past the day's end + maturity_days, and the label is known."""
    matured_at = F.to_timestamp(F.date_add(F.col(event_date), 1 + int(label.maturity_days)))
    return F.col(label.name).isNotNull() & F.coalesce(F.col(AS_OF) >= matured_at, F.lit(False))


def build_labels(
    rows: DataFrame, events: DataFrame, spec: EventLabel, event_time: str, event_date: str, row_key: str | None = None
) -> DataFrame:
    """rows: row key, label key, event_time, event_date. events: the label source's table (all of it).

    `row_key` (the silver key; default: the label key) identifies a labelled row. It differs from the
    label key when label events name an entity rather than a row (a cancellation names the account, not
    the usage event), and is then carried next to it so training, reports and monitoring join on it."""
    ids = list(dict.fromkeys([row_key or spec.key, spec.key]))  # one column when both are the same
    as_of = events.agg(F.max(spec.time_column).alias(AS_OF))
    positives = events.where(F.col(spec.positive_column).isin(spec.positive_values)).select(
        F.col(spec.key).alias("_label_key"), F.col(spec.time_column).alias("_observed")
    )
    window = F.expr(f"INTERVAL {int(spec.window_days)} DAYS")
    within = (F.col("_label_key") == F.col(spec.key)) & (F.col("_observed") <= F.col(event_time) + window)
    joined = rows.select(*ids, event_time, event_date).join(positives, within, "left")
    labelled = joined.groupBy(*ids, event_time, event_date).agg(F.min("_observed").alias(OBSERVED))
    return (
        labelled.crossJoin(as_of)
        .withColumn(spec.name, F.col(OBSERVED).isNotNull().cast("int"))
        .withColumn(MATURED, matured(spec, event_date))
        .select(*ids, event_date, spec.name, OBSERVED, MATURED, AS_OF)
    )


def build_expression_labels(
    rows: DataFrame, silver: DataFrame, history: DataFrame, spec: ExpressionLabel, event_time: str,
    event_date: str, row_key: str,
) -> DataFrame:
    """rows: gold's rows of the days (row key, event_time, event_date). silver: silver's rows of the same
    days (the columns the expression names). history: the whole silver table (its newest event_time is
    the watermark). The expression was checked against silver's columns when the definitions loaded."""
    as_of = history.agg(F.max(event_time).alias(AS_OF))
    outcome = silver.select(F.col(row_key).alias("_label_row"), F.expr(spec.expression).alias("_label_value"))
    value = F.col("_label_value")
    joined = rows.select(row_key, event_time, event_date).join(outcome, F.col(row_key) == F.col("_label_row"), "left")
    return (
        joined.crossJoin(as_of)
        .withColumn(spec.name, F.when(value, 1).when(~value, 0).cast("int"))  # null stays null: unknown
        .withColumn(OBSERVED, F.when(value, F.col(event_time)))
        .withColumn(MATURED, matured(spec, event_date))
        .select(row_key, event_date, spec.name, OBSERVED, MATURED, AS_OF)
    )


@dataclass(frozen=True)
class LabelInput:
    """A table the labels asset reads besides gold's rows of the days."""

    schema: str
    table: str
    same_days: bool  # True: the labelled days only (identity mapping); False: the whole, unpartitioned table

    def key(self, dataset: str) -> AssetKey:
        return AssetKey(dataset_key(dataset, (self.schema, self.table)))


def label_inputs(label: LabelSpec, silver_table: str) -> dict[str, LabelInput]:
    """The labels asset's upstream besides gold, by input name (both asset factories and the step read
    it, so the lineage Dagster shows is what the step reads): the label events, or silver's rows."""
    if isinstance(label, ExpressionLabel):
        return {"silver": LabelInput("silver", silver_table, same_days=True)}
    return {"events": LabelInput("bronze", label.source, same_days=False)}


def build_label_table(
    rows: DataFrame, inputs: Mapping[str, DataFrame], silver_table: Callable[[], DataFrame], reg: FeatureRegistry,
    row_key: str,
) -> DataFrame:
    """The labels of gold's `rows`, from the `label_inputs` read for them; `silver_table` gives the whole
    silver table (read only for an expression label's watermark)."""
    label = reg.label
    if isinstance(label, ExpressionLabel):
        return build_expression_labels(rows, inputs["silver"], silver_table(), label, reg.event_time,
                                       reg.event_date, row_key)
    return build_labels(rows, inputs["events"], label, reg.event_time, reg.event_date, row_key)


def labels_description(label: LabelSpec) -> str:
    """The labels asset's description (the same in both asset factories)."""
    if isinstance(label, ExpressionLabel):
        return (f"{label.description} Read off the row: `{label.expression}`. With maturity: final once the data "
                f"holds an event {label.known_after_days} days after the day's end.")
    return label.description + " With maturity: final once the label window has passed."
