"""Synthetic gold tables with a known, learnable signal, in the shape of the upstream contracts:
`gold.transaction_features` (one column per registry feature) and `gold.labels`.

For tests and the benchmark only: the ML stage is exercised without the processing stage. The label
depends on the first four numeric features and on one category of the first categorical feature, plus
noise, so a good model ranks well but not perfectly; `signal` scales the effect. Deterministic for a
given seed (fixed partition count, seeded column generators).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from dagster import AssetKey
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.ml.features import FeatureSpec
from lakehouse.resources.delta_write import WriteSpec, write_delta
from lakehouse.resources.spark import SparkResource

# card_fraud's gold tables, which these stand in for (the pipeline's assets read the dataset's own:
# processing.yaml features_table / labels_table).
FEATURES_KEY = AssetKey(["card_fraud", "gold", "transaction_features"])
LABELS_KEY = AssetKey(["card_fraud", "gold", "labels"])
WEIGHTS = (1.4, -1.1, 0.9, 0.7)
CATEGORIES = ("a", "b", "c", "d")


def synthetic_gold(
    spark: SparkSession,
    spec: FeatureSpec,
    start: date,
    days: int,
    rows_per_day: int,
    labels_as_of: datetime,
    *,
    base_rate: float = 0.05,
    signal: float = 1.0,
    null_rate: float = 0.03,
    seed: int = 7,
) -> tuple[DataFrame, DataFrame]:
    """(features, labels) DataFrames for `days` days from `start`."""
    base = spark.range(0, days * rows_per_day, numPartitions=2).select(
        F.col("id"),
        F.date_add(F.lit(start), (F.col("id") / rows_per_day).cast("int")).alias("event_date"),
    )
    base = base.select(
        F.concat(F.lit("t"), F.col("id").cast("string")).alias("transaction_id"),
        F.concat(F.lit("c"), (F.col("id") % 997).cast("string")).alias("customer_id"),
        (F.col("event_date").cast("timestamp") + F.make_interval(secs=F.floor(F.rand(seed) * 86399)))
        .alias("event_time"),
        "event_date",
    )
    numeric = {name: F.randn(seed + 1 + i) for i, name in enumerate(spec.numeric)}
    categorical = {
        name: F.element_at(F.array(*map(F.lit, CATEGORIES)), (F.floor(F.rand(seed + 50 + i) * 4) + 1).cast("int"))
        for i, name in enumerate(spec.categorical)
    }
    clean = base.select("*", *[col.alias(name) for name, col in {**numeric, **categorical}.items()])
    logit: Column = F.lit(math.log(base_rate / (1 - base_rate)))
    for weight, name in zip(WEIGHTS, spec.numeric, strict=False):
        logit = logit + F.lit(weight * signal) * F.col(name)
    if spec.categorical:
        logit = logit + F.when(F.col(spec.categorical[0]) == "a", F.lit(1.2 * signal)).otherwise(F.lit(0.0))
    labelled = clean.withColumn(
        spec.label, (F.rand(seed + 99) < 1 / (1 + F.exp(-logit))).cast("int")
    )
    # Nulls after the label: the truth used the value, the model sees it missing (and must impute).
    with_nulls = [
        F.when(F.rand(seed + 200 + i) < null_rate, F.lit(None))
        .otherwise(F.col(name))
        .cast("double" if name in spec.numeric else "string")
        .alias(name)
        for i, name in enumerate(spec.columns)
    ]
    features = labelled.select("transaction_id", "customer_id", "event_time", "event_date", *with_nulls)
    labels = labelled.select(
        "transaction_id",
        "event_date",
        F.col(spec.label),
        F.when(F.col(spec.label) == 1, F.col("event_time") + F.make_interval(days=F.lit(3))).alias("label_observed_at"),
        (F.date_add("event_date", spec.label_window_days) <= F.to_date(F.lit(labels_as_of))).alias("label_matured"),
        F.lit(labels_as_of).cast("timestamp").alias("labels_as_of"),
    )
    return features, labels


def write_gold(spark_resource: SparkResource, features: DataFrame, labels: DataFrame, schema: str = "gold") -> None:
    """Write both tables as the gold assets do (Delta, partitioned by event_date), replacing them."""
    spark = spark_resource.spark_session
    spec = WriteSpec(partition_expr="event_date", partition_by=("event_date",), schema_mode="overwrite")
    for table, df in (("transaction_features", features), ("labels", labels)):
        ref = spark_resource.table(schema, table)
        write_delta(spark, df, ref, spec, None)
        spark_resource.register(ref)
