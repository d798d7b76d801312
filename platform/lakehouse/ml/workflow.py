"""One weekly training end to end, without Dagster: train -> log and register -> champion gate.

The model asset calls this with the Dagster run's context; tests and notebooks call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.ml import MlConfig
from lakehouse.ml.features import FeatureSpec
from lakehouse.ml.promotion import GateDecision, champion_gate
from lakehouse.ml.tracking import Registered, TrainingContext, log_and_register
from lakehouse.ml.train import TrainingResult, train_candidates
from lakehouse.ml.training_set import SPLIT
from lakehouse.resources.mlflow import MlflowResource


@dataclass(frozen=True)
class TrainingOutcome:
    result: TrainingResult
    registered: Registered
    decision: GateDecision


def train_register_promote(
    resource: MlflowResource, training_set: DataFrame, ctx: TrainingContext, spec: FeatureSpec, config: MlConfig
) -> TrainingOutcome:
    result = train_candidates(training_set, spec, config)
    registered = log_and_register(resource, result, training_set, ctx, spec, config)
    with resource.activate():
        decision = champion_gate(
            resource.client(),
            registered.version,
            result.best.test.metrics[config.promotion.metric],
            training_set.where(F.col(SPLIT) == "test"),
            spec,
            config,
            run_id=registered.parent_run_id,
        )
    return TrainingOutcome(result, registered, decision)
