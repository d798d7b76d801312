"""Labels from late-arriving events (chargebacks), with maturity.

A row is positive when a positive event for its key is observed within `window_days` of the event.
`labels_as_of` is the newest label event seen (the stream's watermark); a day's labels are matured
once that watermark is past the day's end plus the window — deterministic given the data, unlike a
wall clock. Training uses matured days only; monitoring compares predictions with what has arrived.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.features import LabelSpec


def build_labels(
    rows: DataFrame, events: DataFrame, spec: LabelSpec, event_time: str, event_date: str, row_key: str | None = None
) -> DataFrame:
    """rows: row key, label key, event_time, event_date. events: the label source's table (all of it).

    `row_key` (the silver key; default: the label key) identifies a labelled row. It differs from the
    label key when label events name an entity rather than a row (a cancellation names the account, not
    the usage event), and is then carried next to it so training, reports and monitoring join on it."""
    ids = list(dict.fromkeys([row_key or spec.key, spec.key]))  # one column when both are the same
    as_of = events.agg(F.max(spec.time_column).alias("labels_as_of"))
    positives = events.where(F.col(spec.positive_column).isin(spec.positive_values)).select(
        F.col(spec.key).alias("_label_key"), F.col(spec.time_column).alias("_observed")
    )
    window = F.expr(f"INTERVAL {int(spec.window_days)} DAYS")
    within = (F.col("_label_key") == F.col(spec.key)) & (F.col("_observed") <= F.col(event_time) + window)
    joined = rows.select(*ids, event_time, event_date).join(positives, within, "left")
    labelled = joined.groupBy(*ids, event_time, event_date).agg(F.min("_observed").alias("label_observed_at"))
    matured_at = F.to_timestamp(F.date_add(F.col(event_date), 1 + int(spec.window_days)))
    return (
        labelled.crossJoin(as_of)
        .withColumn(spec.name, F.col("label_observed_at").isNotNull().cast("int"))
        .withColumn("label_matured", F.coalesce(F.col("labels_as_of") >= matured_at, F.lit(False)))
        .select(*ids, event_date, spec.name, "label_observed_at", "label_matured", "labels_as_of")
    )
