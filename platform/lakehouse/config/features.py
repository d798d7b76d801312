"""The feature registry (features.yaml): every gold feature with description, source columns, owner
and whether the model uses it, plus the label definition. Read by processing and ML."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.project import project_cache


class FeatureSpec(StrictModel):
    name: str = Field(description="Gold column name.")
    transform: str = Field(description="Builder in processing/features.py (passthrough, rolling_count, ...).")
    params: dict[str, Any] = Field(default_factory=dict, description="Arguments of the builder.")
    kind: Literal["numeric", "categorical"] = Field(description="How the model pipeline treats it.")
    used_by_model: bool = Field(description="Whether the model's feature pipeline uses it.")
    nullable: bool = Field(
        default=False,
        description="May be null (e.g. from a dimension without a version yet); the model's pipeline imputes "
        "it. Non-nullable features are checked for nulls on every materialisation (blocking).",
    )
    owner: str = Field(description="Who answers for the feature.")
    source_columns: list[str] = Field(description="Columns it is computed from (lineage).")
    description: str = Field(description="What it means; shown in the UI's column schema.")


class LabelSpec(StrictModel):
    name: str = Field(description="Label column.")
    description: str = Field(description="What a positive label means.")
    source: str = Field(description="Bronze source with the label events.")
    key: str = Field(description="Column joining label events to the silver rows.")
    time_column: str = Field(description="When the label event was observed.")
    positive_column: str = Field(description="Column deciding whether an event is positive.")
    positive_values: list[str] = Field(description="Values of positive_column that make a positive label.")
    window_days: int = Field(description="A day's labels are final (matured) this many days after the day.")


class FeatureRegistry(StrictModel):
    entity: str = Field(description="Entity the behavioural features are computed per.")
    event_time: str = Field(description="Event timestamp column.")
    event_date: str = Field(description="Event date column (partition).")
    amount: str = Field(description="Monetary column used by rolling sums and ratios.")
    lookback_days: int = Field(description="History the rolling features read (partition look-back).")
    features: list[FeatureSpec] = Field(description="The features, in gold column order.")
    label: LabelSpec = Field(description="The label definition.")

    def descriptions(self) -> dict[str, str]:
        return {f.name: f.description for f in self.features}

    @property
    def model_features(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.used_by_model]


@project_cache
def load_features(dataset: str) -> FeatureRegistry:
    return load_dataset_yaml(dataset, "features.yaml", FeatureRegistry)
