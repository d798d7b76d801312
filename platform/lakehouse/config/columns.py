"""Column names of the scored predictions and of their labels: ONE model each, read by monitoring
(monitoring.yaml) and reporting (reporting.yaml) under the same YAML keys `predictions:` / `labels:`.

Both consumers join predictions to labels on (key, event_date) or key and read the same columns, so a
dataset maps its names once per file with the same field names (subscription_churn: `usage_id`,
`is_churn`). Every name is a plain identifier: it reaches Spark column expressions.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lakehouse.config.base import StrictModel
from lakehouse.config.identifiers import validate_identifier


class _Names(StrictModel):
    @model_validator(mode="after")
    def _identifiers(self) -> _Names:
        for name in self.model_dump().values():
            validate_identifier(name, "column name")
        return self


class PredictionColumns(_Names):
    key: str = Field(default="transaction_id", description="Row key, joined to the labels' key.")
    event_date: str = Field(default="event_date", description="Day column; the predictions table's partition.")
    event_time: str = Field(default="event_time", description="Event timestamp (reports' hour-of-day patterns).")
    probability: str = Field(default="probability", description="Predicted probability of the positive class.")
    prediction: str = Field(default="prediction", description="0/1 decision at the model version's threshold.")
    threshold: str = Field(default="threshold", description="Decision threshold stored with each row.")
    amount: str = Field(default="amount", description="Monetary (or other) value of the row; reports' percentiles.")
    model_version: str = Field(default="model_version", description="Registered model version that scored the row.")


class LabelColumns(_Names):
    key: str = Field(default="transaction_id", description="Row key, joined to the predictions' key.")
    event_date: str = Field(default="event_date", description="Day column; the labels table's partition.")
    label: str = Field(default="is_fraud", description="0/1 realised label.")
    matured: str = Field(default="label_matured", description="True once the label is final (its window has passed).")
