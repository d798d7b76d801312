#!/bin/bash
# Cluster init script: install the pinned runtime packages and the lakehouse wheel (without its
# dependencies, so the runtime's pyspark and Delta stay) into the cluster's Python environment.
# LAKEHOUSE_REQUIREMENTS and LAKEHOUSE_WHEEL come from the cluster spec's spark_env_vars.
set -euo pipefail

PIP=/databricks/python/bin/pip
: "${LAKEHOUSE_REQUIREMENTS:?set in the cluster spec (spark_env_vars)}"
: "${LAKEHOUSE_WHEEL:?set in the cluster spec (spark_env_vars)}"

echo "lakehouse init: installing $LAKEHOUSE_REQUIREMENTS"
"$PIP" install --quiet --disable-pip-version-check -r "$LAKEHOUSE_REQUIREMENTS"
echo "lakehouse init: installing $LAKEHOUSE_WHEEL (no dependencies)"
"$PIP" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$LAKEHOUSE_WHEEL"
"$PIP" check || echo "lakehouse init: pip check reports conflicts above (review them before a production run)"
