"""Checks for silver and gold, evaluated on what was just written.

The leakage check is generic: window features recomputed from history truncated at a cutoff inside
the partition must equal the stored values for every row at or before the cutoff. A feature that
reads anything after its event changes when the future is cut away, and is caught.
"""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSpec, AssetKey
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.config.features import FeatureRegistry, LabelSpec
from lakehouse.processing.features import WINDOW_BUILDERS, add_window_features
from lakehouse.processing.gold import identity_columns
from lakehouse.processing.labels import AS_OF, MATURED, OBSERVED, matured


def silver_specs(key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec("contract", asset=key, blocking=True, description="Silver rows conform to the contract."),
        AssetCheckSpec("deduplication", asset=key, blocking=True,
                       description="One row per key, and one per distinct key of the bronze rows of the window."),
    ]


def gold_specs(key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec("contract", asset=key, blocking=True,
                       description="Gold conforms to the contract derived from the feature registry."),
        AssetCheckSpec("rows_match_silver", asset=key, blocking=True, description="rows(gold) = rows(silver) per partition."),
        AssetCheckSpec("required_features", asset=key, blocking=True, description="No nulls in non-nullable features."),
        AssetCheckSpec("no_leakage", asset=key, blocking=True,
                       description="Window features do not change when data after the event is removed."),
    ]


def deduplication_result(written: DataFrame, candidates: DataFrame, key_column: str, key: AssetKey) -> AssetCheckResult:
    rows = written.count()
    distinct_written = written.select(key_column).distinct().count()
    distinct_input = candidates.select(key_column).distinct().count()
    return AssetCheckResult(
        asset_key=key, check_name="deduplication", passed=rows == distinct_written == distinct_input,
        metadata={"rows": rows, "distinct_keys": distinct_written, "input_rows": candidates.count(),
                  "input_distinct_keys": distinct_input},
    )


def rows_match_result(written: DataFrame, expected: DataFrame, key: AssetKey, check_name: str = "rows_match_silver") -> AssetCheckResult:
    got, want = written.count(), expected.count()
    return AssetCheckResult(asset_key=key, check_name=check_name, passed=got == want,
                            metadata={"rows": got, "expected_rows": want})


def required_features_result(written: DataFrame, reg: FeatureRegistry, key: AssetKey) -> AssetCheckResult:
    required = [f.name for f in reg.features if not f.nullable]
    counts = written.agg(*[F.sum(F.col(c).isNull().cast("int")).alias(c) for c in required]).first()
    nulls = {c: int((counts[c] if counts else 0) or 0) for c in required}
    bad = {c: n for c, n in nulls.items() if n}
    return AssetCheckResult(asset_key=key, check_name="required_features", passed=not bad,
                            metadata={"columns_with_nulls": str(bad or "none"), "checked_columns": len(required)})


def leakage_result(history: DataFrame, written: DataFrame, reg: FeatureRegistry, row_key: str, key: AssetKey) -> AssetCheckResult:
    window_features = [f.name for f in reg.features if f.transform in WINDOW_BUILDERS]
    seconds = written.select(F.col(reg.event_time).cast("long").alias("s"))
    quantile = seconds.approxQuantile("s", [0.5], 0.0)
    if not quantile or not window_features:
        return AssetCheckResult(asset_key=key, check_name="no_leakage", passed=True, metadata={"rows_compared": 0})
    cutoff = F.lit(int(quantile[0])).cast("timestamp")
    truncated = add_window_features(history.where(F.col(reg.event_time) <= cutoff), reg, row_key)
    stored = written.where(F.col(reg.event_time) <= cutoff).select(row_key, *window_features)
    recomputed = truncated.select(row_key, *[F.col(c).alias(f"_re_{c}") for c in window_features])
    compared = stored.join(recomputed, row_key, "inner")
    differs = [F.sum((~F.col(c).eqNullSafe(F.col(f"_re_{c}"))).cast("int")).alias(c) for c in window_features]
    diff = compared.agg(F.count(F.lit(1)).alias("_rows"), *differs).first()
    leaking = {c: int(diff[c] or 0) for c in window_features if diff and diff[c]}
    return AssetCheckResult(
        asset_key=key, check_name="no_leakage", passed=not leaking,
        metadata={"rows_compared": int(diff["_rows"]) if diff else 0, "features_with_future_data": str(leaking or "none")},
    )



def labels_specs(key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec("rows_match_silver", asset=key, blocking=True, description="One label row per silver row (labels are "
                       "built from gold's rows, which gold's own rows_match_silver ties to silver's)."),
        AssetCheckSpec("matured_labels", asset=key, blocking=True,
                       description="A row is final (label_matured) only once its maturity delay has passed and its "
                       "label is known, and no label was observed after the labels' watermark."),
    ]


def gold_contract(reg: FeatureRegistry, key: str, written: StructType) -> Contract:
    """The gold contract, derived from the registry so it cannot drift from it: identity columns are
    required and the key unique; computed numeric features are doubles; passthrough features keep the
    type of the column they carry (the upstream contracts decide it); non-nullable features are required."""
    types = {f.name: f.dataType.simpleString() for f in written.fields}
    columns = identity_columns(reg, key)  # gold.py decides which identity columns gold carries
    label_key = reg.label.label_key
    missing = [c for c in (*columns, *(f.name for f in reg.features)) if c not in types]
    if missing:
        raise ValueError(f"Gold table lacks registry columns {missing}")
    identity = [
        ColumnSpec(name=key, type=types[key], required=True, unique=True, description="Row key."),
        ColumnSpec(name=reg.entity, type=types[reg.entity], required=True, description="Entity of the features."),
        *([ColumnSpec(name=label_key, type=types[label_key],
                      description="Label key: gold/labels joins the label events on it.")]
          if label_key is not None and label_key in columns and label_key not in (key, reg.entity) else []),
        ColumnSpec(name=reg.event_time, type="timestamp", required=True, description="Event time."),
        ColumnSpec(name=reg.event_date, type="date", required=True, description="Event day (partition)."),
    ]
    features = [
        ColumnSpec(
            name=f.name,
            type=types[f.name] if f.transform == "passthrough" else ("double" if f.kind == "numeric" else "string"),
            required=not f.nullable,
            description=f.description,
        )
        for f in reg.features
    ]
    return Contract(name="gold_features", description="One row of model features per transaction.",
                    columns=identity + features)


def matured_labels_result(written: DataFrame, label: LabelSpec, event_date: str, key: AssetKey) -> AssetCheckResult:
    """Recomputes maturity from the stored watermark: a row flagged matured before its maturity delay has
    passed, or with an unknown (null) label, or an observation after the watermark, would let training
    read labels that can still change."""
    should = matured(label, event_date)
    counts = written.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col(MATURED).cast("int")).alias("matured"),
        F.sum((F.col(MATURED) != should).cast("int")).alias("wrong_flag"),
        F.sum((F.col(OBSERVED) > F.col(AS_OF)).cast("int")).alias("after_watermark"),
        F.sum(F.col(label.name).isNull().cast("int")).alias("unknown"),
    ).first()
    names = ("rows", "matured", "wrong_flag", "after_watermark", "unknown")
    values = {k: int((counts[k] if counts else 0) or 0) for k in names}
    return AssetCheckResult(
        asset_key=key, check_name="matured_labels", passed=values["wrong_flag"] == 0 and values["after_watermark"] == 0,
        metadata={**values, "maturity_days": label.maturity_days},
    )
