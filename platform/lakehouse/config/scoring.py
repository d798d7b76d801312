"""Batch-scoring configuration (config/datasets/<dataset>/scoring.yaml): the defaults of the seed's
`batch_scoring` parameters (each is run config of `scoring/predictions`, editable in the Launchpad),
explanations, the drift check and exports. docs/scoring.md describes every knob.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from lakehouse.config.base import StrictModel, read_dataset_yaml, validate
from lakehouse.config.identifiers import AssetKeyName, key_parts, validate_identifier
from lakehouse.config.project import project_cache

OutputMode = Literal["overwrite", "append", "merge"]
ExportFormat = Literal["csv", "parquet"]
TreeMethod = Literal["exact", "approximate"]
ExplainedRows = Literal["all", "positive"]


class ExplanationSettings(StrictModel):
    mode: Literal["off", "on"] = Field(
        default="off",
        description="on: every row gets `explanation`, its top_k features by |contribution| (exact "
        "coefficient x standardised value for linear models; for forests and boosted trees TreeSHAP, or "
        "Saabas with tree_method: approximate); off: the column is null and costs nothing.",
    )
    top_k: int = Field(default=5, ge=1, le=100, description="Features kept per row, largest |contribution| first.")
    rows: ExplainedRows = Field(
        default="all",
        description="all: every row; positive: only rows predicted positive (prediction = 1, the alerts an analyst "
        "reviews), the others get null. TreeSHAP on a large forest costs milliseconds per row: explaining "
        "only the alerts (or tree_method: approximate) makes it affordable.",
    )
    tree_method: TreeMethod = Field(
        default="exact",
        description="How tree models (random forest, GBT, decision tree) are explained. exact: TreeSHAP "
        "(path-dependent Shapley values, consistent attributions); approximate: Saabas path attribution "
        "(shap's `approximate=True`: each split on a row's path credits its feature with the change of the "
        "node value), ~500x cheaper on a deep forest, summing to the same total (prediction - expected "
        "value) but not consistent: on a proxy of the demo's 100-tree depth-10 forest 80 % of the top-5 "
        "features (70 % of the top features) are the exact ones. Ignored by linear models, whose "
        "explanations are exact and cheap.",
    )

    @field_validator("mode", mode="before")
    @classmethod
    def _yaml_boolean(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted `off` / `on` as a boolean.
        return {False: "off", True: "on"}.get(value, value) if isinstance(value, bool) else value


class DriftSettings(StrictModel):
    bins: int = Field(
        default=10, ge=2, le=100,
        description="Quantile bins of the reference score distribution (the model's test window) for the PSI.",
    )
    psi_warn: float = Field(
        default=0.2, gt=0,
        description="Population stability index above which the WARN check `score_drift` fails "
        "(< 0.1 stable, 0.1-0.2 moderate, > 0.2 shifted).",
    )


class ExportSettings(StrictModel):
    directory: str = Field(
        default="exports", description="Folder for exports, relative to the data root unless absolute."
    )
    format: ExportFormat = Field(default="parquet", description="Default export format: csv or parquet.")


class ScoringSettings(StrictModel):
    model_name: str = Field(description="Registered MLflow model; default: registry.model_name of ml.yaml.")
    model_version: str = Field(
        default="production",
        description="`production` (the champion alias), `latest` (highest version), a version number, or an alias.",
    )
    # No defaults for names that differ per dataset (features, key): each scoring.yaml sets its own.
    features_asset: AssetKeyName = Field(description=(
        "Asset key (<schema>/<table>) of the gold features scored, partitioned by day: the declared upstream, "
        "whose table is the default of the seed's `input_table`."))
    predictions_asset: AssetKeyName = Field(default="scoring/predictions", description=(
        "Asset key (<schema>/<table>) of the predictions asset; its table is the seed's `output_table`. "
        "Monitoring and reporting name this key."))
    output_mode: OutputMode = Field(
        default="overwrite",
        description="overwrite: replace exactly the partition window; append: add rows; merge: upsert on the key.",
    )
    contract: str = Field(default="predictions", description="Contract (contracts.yaml) of the output rows.")
    key: str = Field(description="Row key: merge key and uniqueness.")
    event_date: str = Field(default="event_date", description="Date column holding the daily partition.")
    explanations: ExplanationSettings = Field(default_factory=ExplanationSettings, description="Per-row explanations.")
    drift: DriftSettings = Field(default_factory=DriftSettings, description="Score drift check (WARN).")
    export: ExportSettings = Field(default_factory=ExportSettings, description="Exports of predictions.")

    @property
    def features_key(self) -> tuple[str, str]:
        return key_parts(self.features_asset)

    @property
    def predictions_key(self) -> tuple[str, str]:
        return key_parts(self.predictions_asset)

    @field_validator("key", "event_date")
    @classmethod
    def _column_name(cls, value: str) -> str:
        return validate_identifier(value, "column name")


@project_cache
def load_scoring_config(dataset: str) -> ScoringSettings:
    """scoring.yaml, with the model name defaulting to ml.yaml's registry name (one place to rename it)."""
    from lakehouse.config.ml import load_ml_config

    raw, where = read_dataset_yaml(dataset, "scoring.yaml")
    if not raw.get("model_name"):
        raw["model_name"] = load_ml_config(dataset).registry.model_name
    return validate(ScoringSettings, raw, where)
