"""Where the processing steps run: the `compute` resource's implementations (in-process, a Pipes
subprocess, a Databricks cluster through Dagster Pipes), what crosses Pipes, the cluster's tables, and the
upload command (`python -m lakehouse.databricks`). The steps and the assets are lakehouse/processing's."""
