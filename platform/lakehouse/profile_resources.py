"""Every resource the assets use, built for one environment profile (`build_resources`).

It sits above the stages, beside definitions.py, because one resource is a stage's own: `compute`
(databricks/compute.py, on the contract of resources/compute.py) runs the processing steps. The resources
package below imports no stage.
"""

from __future__ import annotations

from typing import Any

from lakehouse.config.profile import Profile
from lakehouse.databricks.compute import compute_resource_for
from lakehouse.resources.delta_io_manager import DeltaSparkIOManager
from lakehouse.resources.jdbc import jdbc_connections
from lakehouse.resources.mlflow import mlflow_resource_for
from lakehouse.resources.spark import spark_resource_for


def build_resources(profile: Profile, data_root: str | None = None) -> dict[str, Any]:
    """Every resource the assets use, for one profile. Constructing them starts nothing."""
    spark = spark_resource_for(profile, data_root)
    return {
        "spark": spark,
        "io_manager": DeltaSparkIOManager(spark=spark),
        "mlflow": mlflow_resource_for(profile, data_root),
        # Where the processing steps run: this Spark session, or a Databricks cluster through Pipes.
        "compute": compute_resource_for(profile, spark, data_root),
        # One JDBC resource per profile connection, keyed by its name (e.g. customers_db).
        **jdbc_connections(profile, data_root),
    }
