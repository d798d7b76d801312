"""The `compute` resource's contract: what every processing run gets, wherever its step runs.

A processing asset's body is `compute.run(context, step)`. The implementations (lakehouse/databricks/
compute.py) only decide where the step runs — the run's Spark session, a Pipes subprocess, a Databricks
cluster — by implementing `execute`. `run` is the same for all of them and does, in the Dagster process,
what the Delta IO manager does for assets that return DataFrames:

- before the step is dispatched: blocking checks hold across runs (`check_guard.refuse_failed_upstream_deps`,
  the guard the IO manager applies to each input it loads);
- after: the step's write figures (`DeltaOutput`, JSON-safe so they cross Pipes) become the IO manager's
  own metadata (resources/delta_output.py), each partition of a range run with its own row count, and
  the step's check results are returned with the materialisation.
"""

# No `from __future__ import annotations`: Dagster reads the resource's field annotations.

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    ConfigurableResource,
    MaterializeResult,
    TimeWindowPartitionsDefinition,
)
from pydantic import Field

from lakehouse.resources.check_guard import refuse_failed_upstream_deps
from lakehouse.resources.delta_output import DeltaOutput, output_metadata, partition_metadata
from lakehouse.resources.delta_write import TimeWindowFilter


@dataclass(frozen=True)
class RunDays:
    """The run's partitions and the days each covers, [start, end) in order: one for a one-day run,
    several for a range run (a single-run backfill)."""

    partitions: dict[str, tuple[date, date]]

    def __post_init__(self) -> None:
        if not self.partitions:
            raise ValueError("A processing step needs at least one partition to run for")

    @classmethod
    def of(cls, context: AssetExecutionContext) -> "RunDays":
        definition = context.assets_def.partitions_def
        if not isinstance(definition, TimeWindowPartitionsDefinition):
            raise ValueError(f"{context.assets_def.key.to_user_string()}: a processing step needs time partitions, "
                             f"not {type(definition).__name__}")
        windows = {key: definition.time_window_for_partition_key(key) for key in context.partition_keys}
        return cls({key: (w.start.date(), w.end.date()) for key, w in windows.items()})

    @property
    def start(self) -> date:
        return next(iter(self.partitions.values()))[0]

    @property
    def end(self) -> date:
        return list(self.partitions.values())[-1][1]

    def window(self, column: str) -> TimeWindowFilter:
        """The run's whole window on `column` (every partition of a range run)."""
        return TimeWindowFilter(column, _midnight(self.start), _midnight(self.end))

    def windows(self, column: str) -> dict[str, TimeWindowFilter]:
        """Each partition's own window on `column`."""
        return {key: TimeWindowFilter(column, _midnight(s), _midnight(e)) for key, (s, e) in self.partitions.items()}

    def to_json(self) -> dict[str, list[str]]:
        return {key: [s.isoformat(), e.isoformat()] for key, (s, e) in self.partitions.items()}

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> "RunDays":
        return cls({key: (date.fromisoformat(s), date.fromisoformat(e)) for key, (s, e) in data.items()})


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


@dataclass
class StepOutcome:
    """What a step wrote and what its checks found, for one asset."""

    asset_key: AssetKey
    output: DeltaOutput
    checks: list[AssetCheckResult] = field(default_factory=list)
    # What the compute target adds about itself (e.g. the Databricks job run's id and URL).
    metadata: dict[str, Any] = field(default_factory=dict)


class ComputeResource(ConfigurableResource):
    """Runs one processing step for the asset's partitions and returns its materialisation."""

    dataset: str = Field(description="Dataset configuration the steps read (<project>/datasets/<dataset>).")

    def run(self, context: AssetExecutionContext, step: str) -> MaterializeResult:
        """Guard, dispatch, record: implementations override `execute`, never this."""
        refuse_failed_upstream_deps(context)  # before the step is sent anywhere
        outcome = self.execute(context, step, RunDays.of(context))
        return materialize_result(context, outcome)

    def execute(self, context: AssetExecutionContext, step: str, days: RunDays) -> StepOutcome:
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")


def materialize_result(context: AssetExecutionContext, outcome: StepOutcome) -> MaterializeResult:
    """The step's figures as the Delta IO manager's metadata: shared keys on the result, each partition's
    own row count and window as partition-scoped asset metadata (merged into that partition's event)."""
    spec = context.assets_def.specs_by_key[outcome.asset_key]
    descriptions: Any = spec.metadata.get("column_descriptions")
    for key, metadata in partition_metadata(outcome.output).items():
        context.add_asset_metadata(metadata, asset_key=outcome.asset_key, partition_key=key)
    metadata = {**outcome.metadata, **output_metadata(outcome.output, descriptions)}
    return MaterializeResult(asset_key=outcome.asset_key, metadata=metadata, check_results=outcome.checks)
