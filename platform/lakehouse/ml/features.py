"""The gold <-> pipeline contract: which gold columns a model reads, and the fitted feature stages.

The model reads the features of the registry (features.yaml) marked `used_by_model: true`: numeric ones
as DOUBLE, categorical ones as STRING, both nullable. Every preparation step is a stage of the
candidate's PipelineModel, so scoring applies exactly what training fitted:

    SQLTransformer   <f>__num = CAST(f AS DOUBLE); <c>__cat = COALESCE(c, 'missing')
    Imputer          <f>__imp  median of the training rows (nulls and NaN)
    StringIndexer    <c>__idx  handleInvalid='keep': categories unseen in training get their own index
    OneHotEncoder    <c>__ohe  dropLast: that "unseen" index becomes the all-zero vector
    VectorAssembler  features_raw
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse.config.features import load_features
from lakehouse.config.processing import load_processing
from lakehouse.config.project import project_cache
from lakehouse.resources.catalog import quote, validate_identifier

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Transformer

MISSING_CATEGORY = "missing"
RAW_FEATURES = "features_raw"


@dataclass(frozen=True)
class FeatureSpec:
    """The model's view of the feature registry."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    label: str
    label_window_days: int  # the label's maturity delay (features.yaml window_days or known_after_days)
    descriptions: dict[str, str]
    # Row key (processing.yaml silver.key), entity, event time, event date: carried into the training set
    # as they are, the row key joining each gold row to its label row.
    identity: tuple[str, str, str, str]

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def row_key(self) -> str:
        return self.identity[0]

    def __post_init__(self) -> None:
        # Names reach SQL text (SQLTransformer): validate them once here.
        for name in (*self.numeric, *self.categorical, self.label, *self.identity):
            validate_identifier(name, "feature name")
        if not self.columns:
            raise ValueError("No feature has used_by_model: true")


@project_cache
def load_feature_spec(dataset: str) -> FeatureSpec:
    """The model's view of the one feature registry (config/features.py validates the file)."""
    registry = load_features(dataset)
    used = registry.model_features
    return FeatureSpec(
        numeric=tuple(f.name for f in used if f.kind == "numeric"),
        categorical=tuple(f.name for f in used if f.kind == "categorical"),
        label=registry.label.name,
        label_window_days=registry.label.maturity_days,
        descriptions=registry.descriptions(),
        identity=(load_processing(dataset).silver.key, registry.entity, registry.event_time, registry.event_date),
    )


def feature_stages(spec: FeatureSpec) -> list[Transformer | Estimator]:
    """Stages turning the gold feature columns into one vector column, `features_raw`."""
    # Imported here: the asset definitions need FeatureSpec, and Spark ML costs ~0.4 s to import.
    from pyspark.ml.feature import Imputer, OneHotEncoder, SQLTransformer, StringIndexer, VectorAssembler

    casts = [f"CAST({quote(f)} AS DOUBLE) AS {quote(f + '__num')}" for f in spec.numeric]
    fills = [
        f"COALESCE(CAST({quote(c)} AS STRING), '{MISSING_CATEGORY}') AS {quote(c + '__cat')}" for c in spec.categorical
    ]
    stages: list[Transformer | Estimator] = [
        SQLTransformer(statement=f"SELECT *, {', '.join(casts + fills)} FROM __THIS__")
    ]
    assembled: list[str] = []
    if spec.numeric:
        imputed = [f"{f}__imp" for f in spec.numeric]
        stages.append(
            Imputer(strategy="median", inputCols=[f"{f}__num" for f in spec.numeric], outputCols=imputed)
        )
        assembled += imputed
    if spec.categorical:
        indexed = [f"{c}__idx" for c in spec.categorical]
        encoded = [f"{c}__ohe" for c in spec.categorical]
        stages.append(
            StringIndexer(
                inputCols=[f"{c}__cat" for c in spec.categorical],
                outputCols=indexed,
                handleInvalid="keep",
                stringOrderType="frequencyDesc",
            )
        )
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, dropLast=True))
        assembled += encoded
    stages.append(VectorAssembler(inputCols=assembled, outputCol=RAW_FEATURES))
    return stages
