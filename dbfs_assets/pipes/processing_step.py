"""Dagster Pipes entry script: one processing step (silver, features or labels) on this machine's Spark.

On Databricks it is the spark_python_task of a jobs runs/submit (lakehouse.databricks.compute.
DatabricksCompute); locally PipesSubprocessCompute runs it. It only opens Pipes, builds the table
catalog and calls lakehouse.processing.steps.run_step - the same function LocalCompute calls in the
Dagster process - for the run's partitions (the extras), then reports the write's figures and the check
results back to Dagster (lakehouse.databricks.pipes_outcome), where they become the materialisation's
metadata exactly as for a step run in-process.

Arguments: --pipes-io dbfs (Databricks: context and messages on DBFS) | default (local files).
Pipes' own bootstrap arguments (--dagster-pipes-context/-messages, on an existing cluster) pass through.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _pipes_options(io: str) -> dict[str, Any]:
    from dagster_pipes import (
        PipesCliArgsParamsLoader,
        PipesDbfsContextLoader,
        PipesDbfsMessageWriter,
        PipesEnvVarParamsLoader,
    )

    # Pipes passes its parameters as environment variables to a new job cluster and as script
    # arguments to an existing cluster (whose environment cannot be set per run).
    params = PipesCliArgsParamsLoader() if "--dagster-pipes-context" in sys.argv else PipesEnvVarParamsLoader()
    if io == "dbfs":
        return {"params_loader": params, "context_loader": PipesDbfsContextLoader(),
                "message_writer": PipesDbfsMessageWriter()}
    return {"params_loader": params}


def _tables(extras: dict[str, Any]) -> Any:
    """Unity Catalog on a cluster (its own session); the path catalog of a profile elsewhere."""
    if extras["catalog"] == "unity":
        from pyspark.sql import SparkSession

        from lakehouse.databricks.cluster_tables import ClusterTables

        return ClusterTables(SparkSession.builder.getOrCreate(), extras["catalog_name"])
    from lakehouse.config.profile import load_profile
    from lakehouse.resources.spark import spark_resource_for

    profile = load_profile(extras["profile"])
    conf = {**profile.spark.conf, **extras.get("spark_conf", {})}
    profile = profile.model_copy(update={"spark": profile.spark.model_copy(update={"conf": conf})})
    return spark_resource_for(profile, extras["data_root"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pipes-io", choices=["dbfs", "default"], default="default")
    args, _ = parser.parse_known_args(argv)

    from dagster_pipes import open_dagster_pipes

    from lakehouse.databricks import pipes_outcome
    from lakehouse.processing.steps import run_step
    from lakehouse.resources.compute import RunDays

    with open_dagster_pipes(**_pipes_options(args.pipes_io)) as pipes:
        extras = dict(pipes.extras)
        days = RunDays.from_json(extras["partitions"])  # the run's partitions and their days, from Dagster
        pipes.log.info(f"step {extras['step']} for [{days.start}, {days.end}) ({len(days.partitions)} partition(s)) "
                       f"on {extras['catalog']} tables")
        outcome = run_step(extras["step"], _tables(extras), extras["dataset"], days)
        pipes_outcome.report(pipes, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
