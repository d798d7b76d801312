"""Lakehouse: a Dagster asset platform for Spark + Delta pipelines (ingestion to reporting).

Importing this package has no side effects: no JVM, no environment reads beyond the profile name.
"""
