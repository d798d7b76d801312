"""Launchpad run config of `ml/model`: which families to train and how hard to tune them.

ml.yaml says what a scheduled weekly run does (every enabled family, its full grid, k-fold CV). A person
trying a feature, or `make run`'s demo, often wants an answer in a minute instead: train a subset of the
families, or `tuning: quick` (each grid cut to its first value per parameter: one fit per family, as a
one-point grid needs no cross-validation; see train.fit_family). The run's MLflow
parent run records the choice (tag `tuning`), and the model still passes the same promotion gate.
"""

from __future__ import annotations

from typing import Literal

from dagster import Config
from pydantic import Field

from lakehouse.config.ml import MlConfig


class TrainingRunConfig(Config):
    families: list[str] = Field(
        default_factory=list,
        description="Model families to train (keys of ml.yaml `models`, enabled ones). Empty: every enabled family.",
    )
    tuning: Literal["grid", "quick"] = Field(
        default="grid",
        description="grid: cross-validated search over each family's ml.yaml grid; quick: each grid cut to its "
        "first value per parameter, fitted once without cross-validation (for demos and experiments).",
    )


def effective_config(config: MlConfig, families: list[str], tuning: str) -> MlConfig:
    """ml.yaml narrowed by one run's choices; unknown or disabled families are an error listing the valid ones."""
    enabled = config.enabled_families()
    unknown = sorted(set(families) - set(enabled))
    if unknown:
        raise ValueError(f"families {unknown} are not enabled model families of ml.yaml; choose from {sorted(enabled)}")
    chosen = set(families or enabled)
    models = {}
    for name, family in config.models.items():
        grid = {param: values[:1] for param, values in family.grid.items()} if tuning == "quick" else family.grid
        models[name] = family.model_copy(update={"enabled": family.enabled and name in chosen, "grid": grid})
    return config.model_copy(update={"models": models})
