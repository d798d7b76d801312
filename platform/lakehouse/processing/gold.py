"""Gold features for a window of event days: look-back history -> window features -> the window's
rows -> point-in-time dimension joins -> row features, in the registry's column order."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame

from lakehouse.config.features import FeatureRegistry
from lakehouse.config.processing import ProcessingConfig
from lakehouse.processing.features import add_row_features, add_window_features
from lakehouse.processing.pit import join_as_of, join_snapshot
from lakehouse.processing.silver import in_days


def build_features(
    history: DataFrame, dims: dict[str, DataFrame], reg: FeatureRegistry, config: ProcessingConfig,
    start: date, end: date,
) -> DataFrame:
    key = config.silver.key
    rows = in_days(add_window_features(history, reg, key), reg.event_date, start, end)
    for name, spec in config.dimensions.items():
        join = join_as_of if spec.mode == "as_of" else join_snapshot
        rows = join(rows, dims[name], spec, key, reg.event_time if spec.mode == "as_of" else reg.event_date)
    rows = add_row_features(rows, reg)
    identity = identity_columns(reg, key)
    return rows.select(*identity, *[f.name for f in reg.features])


def identity_columns(reg: FeatureRegistry, key: str) -> list[str]:
    """Row key, entity, label key (labels are built from gold's rows; an expression label has none), event
    time and day — each once, and none that is also a feature (a feature column is selected as a feature)."""
    features = {f.name for f in reg.features}
    label_key = reg.label.label_key
    wanted = [key, reg.entity, *([] if label_key is None or label_key in features else [label_key]),
              reg.event_time, reg.event_date]
    return list(dict.fromkeys(wanted))
