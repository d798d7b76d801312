"""The `compute` resource for a profile: in-process Spark, or Dagster Pipes (Databricks or a subprocess).

Secrets: the workspace URL and token are dagster.EnvVar references, resolved when a run starts, so
loading definitions reads no secret and none reaches logs or the UI.
"""

from __future__ import annotations

from typing import Any

from dagster import EnvVar

from lakehouse.config.profile import Profile
from lakehouse.databricks.compute import ComputeResource, DatabricksCompute, LocalCompute, PipesSubprocessCompute
from lakehouse.resources.spark import SparkResource


def compute_resource_for(profile: Profile, spark: SparkResource, data_root: str | None = None) -> ComputeResource:
    settings = profile.databricks
    if settings is None:
        return LocalCompute(dataset=profile.dataset, spark=spark)
    common: dict[str, Any] = dict(dataset=profile.dataset, catalog=profile.storage.catalog, catalog_name=profile.storage.catalog_name,
                  profile=profile.name, data_root=data_root or profile.storage.data_root)
    if settings.compute == "pipes_subprocess":
        return PipesSubprocessCompute(**common)
    return DatabricksCompute.from_settings(
        settings, host=EnvVar(settings.host_env), token=EnvVar(settings.token_env), **common
    )
