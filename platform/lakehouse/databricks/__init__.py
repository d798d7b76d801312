"""Processing on Databricks through Dagster Pipes: the `compute` resource, the engine-neutral steps,
the processing assets that call them, and the upload command (`python -m lakehouse.databricks`)."""
