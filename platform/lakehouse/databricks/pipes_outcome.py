"""How a step's outcome crosses Dagster Pipes, both ends in one place.

The entry script (dbfs_assets/pipes/processing_step.py) reports the write's figures as one JSON value
under OUTPUT_KEY, plus one check result per check; the Pipes computes (databricks/compute.py) read them
back into the StepOutcome LocalCompute gets in-process, and the ComputeResource base turns either into the
same Dagster metadata (resources/compute.py). So the figures, not finished metadata, cross the wire:
partition-scoped metadata and the column descriptions exist only on the Dagster side. Metadata the
Pipes client adds itself (the Databricks job run's id and URL) stays on the materialisation.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, JsonMetadataValue, MaterializeResult

from lakehouse.resources.compute import StepOutcome
from lakehouse.resources.delta_output import DeltaOutput

OUTPUT_KEY = "lakehouse/delta_output"


def report(pipes: Any, outcome: StepOutcome) -> None:
    """In the Pipes process: the materialisation (the figures) and every check result."""
    asset_key = outcome.asset_key.to_user_string()
    pipes.report_asset_materialization(
        metadata={OUTPUT_KEY: {"raw_value": outcome.output.to_json(), "type": "json"}}, asset_key=asset_key)
    for check in outcome.checks:
        pipes.report_asset_check(
            check_name=check.check_name, passed=check.passed, asset_key=asset_key, severity=check.severity.value,
            metadata={name: value.value for name, value in check.metadata.items()},
        )


def read(result: MaterializeResult, step: str) -> StepOutcome:
    """In the Dagster process: the outcome the entry script reported for `step`."""
    value = (result.metadata or {}).get(OUTPUT_KEY)
    figures = value.value if isinstance(value, JsonMetadataValue) else None  # Pipes resolves "json" to this
    if not isinstance(figures, dict) or result.asset_key is None:
        raise RuntimeError(
            f"The {step} step reported no {OUTPUT_KEY!r} figures for {result.asset_key} (got {value!r}): the Pipes "
            "entry script is not this version's (re-upload: python -m lakehouse.databricks upload)."
        )
    # Anything else is the Pipes client's own (PipesDatabricksClient: the job run's id and URL): kept.
    client = {key: v for key, v in (result.metadata or {}).items() if key != OUTPUT_KEY}
    return StepOutcome(AssetKey.from_coercible(result.asset_key), DeltaOutput.from_json(figures),
                       list(result.check_results or []), client)
