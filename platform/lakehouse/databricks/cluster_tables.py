"""The tables a processing step reads and writes on a Databricks cluster (dbfs_assets/pipes/processing_step.py)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

from lakehouse.resources.catalog import TableRef, table_ref


@dataclass
class ClusterTables:
    """Unity Catalog tables on a Databricks cluster: names only, the metastore is real (nothing to register).
    The cluster's counterpart of SparkResource for the steps (resources/delta_output.py `Tables`)."""

    spark_session: SparkSession
    catalog_name: str
    warehouse: str = ""

    def table(self, schema: str, table: str) -> TableRef:
        return table_ref(schema, table, self.warehouse, self.catalog_name)

    def register(self, ref: TableRef) -> None:
        return None
