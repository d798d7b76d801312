"""The feature registry (features.yaml): every gold feature with description, source columns, owner
and whether the model uses it, plus the label definition — from label events or an expression on the
row. Read by processing and ML."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from lakehouse.config.base import StrictModel, read_dataset_yaml, validate
from lakehouse.config.contracts import load_contracts
from lakehouse.config.processing import load_processing
from lakehouse.config.project import project_cache
from lakehouse.config.row_expression import check_condition, columns_of, parse_condition


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


class _Label(StrictModel):
    name: str = Field(description="Label column (0/1) of the labels table.")
    description: str = Field(description="What a positive label means.")


class EventLabel(_Label):
    """The label from a separate stream of label events (chargebacks, cancellations)."""

    source: str = Field(description="Bronze source with the label events.")
    key: str = Field(description="Column joining label events to the silver rows.")
    time_column: str = Field(description="When the label event was observed.")
    positive_column: str = Field(description="Column deciding whether an event is positive.")
    positive_values: list[str] = Field(description="Values of positive_column that make a positive label.")
    window_days: int = Field(description="A day's labels are final (matured) this many days after the day.")

    @property
    def maturity_days(self) -> int:
        return self.window_days

    @property
    def label_key(self) -> str | None:
        return self.key


class ExpressionLabel(_Label):
    """The label read off the row itself (`arrival_delay_minutes > 15`): no label source."""

    expression: str = Field(description=(
        "Spark SQL condition over the silver row (its contract's columns, event_date, landing_date, "
        "_source, _source_file, _quality_notes, <column>_missing): 1 where true, 0 where false, null (unknown, "
        "never matured) where null. It may name no column a model feature is computed from (leakage)."))
    known_after_days: int = Field(default=0, ge=0, description=(
        "A day's labels are final (matured) once the data holds an event this many days after the day's end "
        "(0: any later event). Set it to how long the rows' outcome may still change or arrive late."))

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_condition(value)  # the columns are checked against silver in load_features (other files)
        return value

    @property
    def maturity_days(self) -> int:
        return self.known_after_days

    @property
    def label_key(self) -> str | None:
        return None  # labels are keyed by the row key alone


def _label_form(value: Any) -> str:
    """The form by the key that only the expression form has; strictness then applies per form."""
    if isinstance(value, dict):
        return "expression" if "expression" in value else "events"
    return "expression" if isinstance(value, ExpressionLabel) else "events"


# The label: from label events, or an expression on the row. Both give the same labels table
# (processing/labels.py); `maturity_days` is the delay after a day at which its labels are final.
LabelSpec = Annotated[Annotated[EventLabel, Tag("events")] | Annotated[ExpressionLabel, Tag("expression")],
                      Discriminator(_label_form)]


class FeatureRegistry(StrictModel):
    entity: str = Field(description="Entity the behavioural features are computed per.")
    event_time: str = Field(description="Event timestamp column.")
    event_date: str = Field(description="Event date column (partition).")
    amount: str = Field(description="Monetary column used by rolling sums and ratios.")
    lookback_days: int = Field(description="History the rolling features read (partition look-back).")
    features: list[FeatureSpec] = Field(description="The features, in gold column order.")
    label: LabelSpec = Field(description=(
        "The label: label events (source, key, time_column, positive_column, positive_values, window_days) "
        "or an expression on the row (expression, known_after_days)."))

    @model_validator(mode="after")
    def _label_is_not_a_model_input(self) -> FeatureRegistry:
        """An expression label must not be computed from what the model reads: the model would learn the
        rule, not the outcome. Names compare case-insensitively, as Spark resolves them."""
        if isinstance(self.label, ExpressionLabel):
            inputs: dict[str, list[str]] = {}
            for feature in self.model_features:
                for column in dict.fromkeys((feature.name, *feature.source_columns)):
                    inputs.setdefault(column.lower(), []).append(feature.name)
            leaking = {c: inputs[c.lower()] for c in columns_of(self.label.expression) if c.lower() in inputs}
            if leaking:
                raise ValueError(f"label.expression names {sorted(leaking)}, which model features (used_by_model) "
                                 f"are computed from: {leaking}. A label from the model's own inputs leaks; label "
                                 "from other columns, or set those features used_by_model: false")
        return self

    def descriptions(self) -> dict[str, str]:
        return {f.name: f.description for f in self.features}

    @property
    def model_features(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.used_by_model]


@project_cache
def load_features(dataset: str) -> FeatureRegistry:
    """features.yaml, validated; an expression label also against the silver row it is evaluated over
    (processing.yaml's silver table, its contract in contracts.yaml), naming the file on error."""
    raw, where = read_dataset_yaml(dataset, "features.yaml")
    registry = validate(FeatureRegistry, raw, where)
    if isinstance(registry.label, ExpressionLabel):
        silver = load_processing(dataset).silver
        row = silver.row_types(load_contracts(dataset)[silver.contract])
        try:
            check_condition(registry.label.expression, row, f"silver/{silver.table} (processing.yaml)")
        except ValueError as error:
            raise ValueError(f"{where}: label.expression {error}") from error
    return registry
