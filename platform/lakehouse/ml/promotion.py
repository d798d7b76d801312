"""The champion gate and model-version resolution over MLflow aliases (registry stages are deprecated).

Gate: the challenger (the version just registered) and the current champion are scored on the same
test window -- the challenger's held-out test days. The challenger becomes `champion` only when it
clears the absolute floor AND beats the champion by the margin; the first model needs only the floor.
Check outcome: promoted -> passed; challenger rejected while a champion keeps serving -> failed WARN
(visible, does not stop scoring); no model clears the floor -> failed ERROR (blocks downstream).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.errors import AnalysisException
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame

from lakehouse.config.ml import MlConfig
from lakehouse.ml.features import FeatureSpec
from lakehouse.ml.train import evaluate


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    passed: bool
    severity: Literal["ERROR", "WARN"]
    reason: str
    metric: str
    challenger_version: str
    challenger_value: float
    champion_version: str | None
    champion_value: float | None

    def metadata(self) -> dict[str, Any]:
        return {
            "decision": "promoted" if self.promote else "not promoted",
            "reason": self.reason,
            "metric": self.metric,
            "challenger_version": self.challenger_version,
            "challenger_value": round(self.challenger_value, 6),
            "champion_version_before": self.champion_version or "none",
            "champion_value": round(self.champion_value, 6) if self.champion_value is not None else "n/a",
        }


def decide(
    metric: str,
    greater_is_better: bool,
    challenger: float,
    champion: float | None,
    margin: float,
    floor: float,
) -> tuple[bool, str]:
    """Pure rule: (promote?, why). For lower-is-better metrics the floor is a ceiling and the margin an
    improvement below the champion."""
    sign = 1.0 if greater_is_better else -1.0
    word = "above" if greater_is_better else "below"
    if sign * (challenger - floor) < 0:
        return False, f"{metric} {challenger:.4f} is not {word} the floor {floor}"
    if champion is None:
        return True, f"no champion yet; {metric} {challenger:.4f} clears the floor {floor}"
    gain = sign * (challenger - champion)
    if gain < margin:
        return False, (f"{metric} {challenger:.4f} vs champion {champion:.4f}: improvement {gain:+.4f} is "
                       f"below the margin {margin}")
    return True, f"{metric} {challenger:.4f} beats champion {champion:.4f} by {gain:+.4f} (margin {margin})"


def model_threshold(model: PipelineModel) -> float:
    """The decision threshold stored in a fitted classifier (0.5 when none was set)."""
    clf = model.stages[-1]
    if clf.hasParam("threshold") and clf.isDefined(clf.getParam("threshold")):
        return float(clf.getOrDefault(clf.getParam("threshold")))
    if clf.isDefined(clf.getParam("thresholds")):
        return float(clf.getOrDefault(clf.getParam("thresholds"))[1])
    return 0.5


def champion_version(client: MlflowClient, name: str, alias: str) -> str | None:
    version = client.get_registered_model(name).aliases.get(alias)
    return None if version is None else str(version)


def _champion_value(name: str, version: str, test: DataFrame, spec: FeatureSpec, config: MlConfig) -> float:
    """The champion's promotion metric on the challenger's test window, at the champion's own threshold."""
    model = mlflow.spark.load_model(f"models:/{name}/{version}")
    k = round(model_threshold(model) * config.evaluation.bins)
    return evaluate(model, test, spec, config, k).metrics[config.promotion.metric]


def champion_gate(
    client: MlflowClient,
    challenger_version: str,
    challenger_value: float,
    test: DataFrame,
    spec: FeatureSpec,
    config: MlConfig,
    run_id: str | None = None,
) -> GateDecision:
    """Score the champion on the challenger's test window, decide, move the alias, and record why on
    the challenger version (and on the training's MLflow run when `run_id` is given).

    Call inside MlflowResource.activate() (the champion is loaded through MLflow's fluent registry URI)."""
    reg, rule = config.registry, config.promotion
    current = champion_version(client, reg.model_name, reg.champion_alias)
    champion_value, note = None, ""
    if current is not None:
        try:
            champion_value = _champion_value(reg.model_name, current, test, spec, config)
        except AnalysisException as error:
            # The champion reads columns the current gold contract no longer has: it cannot score
            # today's data either, so the challenger is judged by the floor alone (and says so).
            note = f"; champion v{current} cannot score the current features ({error.getCondition()})"
    greater = config.evaluation.greater_is_better(rule.metric)
    promote, reason = decide(rule.metric, greater, challenger_value, champion_value, rule.margin, rule.floor)
    if promote:
        client.set_registered_model_alias(reg.model_name, reg.champion_alias, challenger_version)
    decision = GateDecision(
        promote=promote,
        passed=promote,
        severity="WARN" if promote or current is not None else "ERROR",
        reason=reason + note,
        metric=rule.metric,
        challenger_version=challenger_version,
        challenger_value=challenger_value,
        champion_version=current,
        champion_value=champion_value,
    )
    for key, value in decision.metadata().items():
        client.set_model_version_tag(reg.model_name, challenger_version, f"gate.{key}", str(value))
        if run_id is not None:
            client.set_tag(run_id, f"gate.{key}", str(value))
    return decision


class ModelVersionNotFound(LookupError):
    """A model version spec that names no version; the message lists what exists."""


def resolve_model_version(client: MlflowClient, name: str, spec: str, champion_alias: str = "champion") -> ModelVersion:
    """`production` (or `champion`) -> the champion alias; `latest` -> the highest version number;
    `3` -> version 3; `@alias` or `alias` -> that alias. Anything else raises ModelVersionNotFound."""
    if "'" in name:
        raise ValueError(f"Invalid registered model name {name!r}")
    try:
        aliases = dict(client.get_registered_model(name).aliases)
    except MlflowException as error:
        raise ModelVersionNotFound(f"No registered model {name!r}: {error.message}") from error
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
    wanted = spec.strip()
    alias = champion_alias if wanted.lower() in ("production", "champion") else wanted.removeprefix("@")
    if wanted.lower() == "latest" and versions:
        return client.get_model_version(name, str(versions[-1]))
    if wanted.isdigit() and int(wanted) in versions:
        return client.get_model_version(name, wanted)
    if alias in aliases:
        return client.get_model_version(name, str(aliases[alias]))
    raise ModelVersionNotFound(
        f"Model version {spec!r} of {name!r} does not exist. Use 'latest', 'production' (alias "
        f"{champion_alias!r}), a version number or an alias. Versions: {versions or 'none'}; aliases: "
        + (", ".join(f"{a} -> v{v}" for a, v in sorted(aliases.items())) or "none")
    )
