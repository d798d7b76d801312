"""Automation rules (config/datasets/<dataset>/automation.yaml): which assets Dagster's Declarative
Automation keeps up to date, and when.

Each rule attaches one `AutomationCondition` to the assets it names (lakehouse/automation/conditions.py);
one `AutomationConditionSensorDefinition` evaluates them all and emits a backfill per tick, so the
partitions one tick finds stale become single-run ranges (the Spark assets have
`BackfillPolicy.single_run()`). Which partitions a change reaches is not configured here: it comes from
the assets' partitions definitions and partition mappings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.project import project_cache

SensorStatus = Literal["running", "stopped"]


class Rule(StrictModel):
    description: str = Field(description="Why the rule exists; shown as the condition's label in the UI.")
    enabled: bool = Field(default=True, description="false: the assets get no automation condition.")
    assets: list[str] = Field(
        min_length=1,
        description="Asset keys (`schema/table`) the rule keeps up to date; `*` matches within one key "
        "component (`reporting/*`). Every output of a multi-asset is included with the one named.",
    )
    when: Literal["upstream_changed", "cron"] = Field(
        default="upstream_changed",
        description="upstream_changed: a partition is requested when a partition it reads was "
        "materialised since it was last requested, for any day, however old (late data); "
        "cron: the newest partition (or the last `recent_days`) is requested once per tick of `cron` (what "
        "Dagster cannot watch: databases read as they are now, a stream's new events, labels maturing with time).",
    )
    cron: str | None = Field(
        default=None,
        description="Cron schedule of a `when: cron` rule, in the partitions' timezone; default: the "
        "dataset's `schedules.daily` time (dataset.yaml).",
    )
    recent_days: PositiveInt | Literal["label_maturity"] | None = Field(
        default=None,
        description="`when: cron` only: at each tick request the partitions of the last N days, not only "
        "the newest. `label_maturity`: the days whose labels may still change, the label's maturity delay "
        "(features.yaml) + 2. Days whose upstream is missing or held are skipped, as for upstream_changed rules.",
    )
    ignore_updates_from: list[str] = Field(
        default_factory=list,
        description="Upstream assets whose updates do not trigger the rule (e.g. labels that mature on "
        "their own schedule). Patterns as in `assets`.",
    )
    optional_upstream: list[str] = Field(
        default_factory=list,
        description="Upstream assets whose missing partitions do not hold the rule back: dimensions read "
        "as of a date, or late-arrival reads of days that may never land. Any other upstream partition "
        "that is missing holds the partition back, so a look-back never builds days past the newest data.",
    )

    @model_validator(mode="after")
    def _cron_rule_has_cron(self) -> Rule:
        if self.cron is not None and self.when != "cron":
            raise ValueError("`cron` is only allowed with `when: cron`")
        if self.recent_days is not None and self.when != "cron":
            raise ValueError("`recent_days` is only allowed with `when: cron`")
        return self


class SensorSettings(StrictModel):
    name: str = Field(default="data_automation", description="Name of the automation condition sensor.")
    default_status: SensorStatus = Field(
        default="running", description="Status of the sensor when the code location is first loaded."
    )
    minimum_interval_seconds: int = Field(default=30, ge=5, description="Seconds between two evaluations.")


class ChampionRescore(StrictModel):
    enabled: bool = Field(default=False, description="Re-score recent days when a new champion is promoted.")
    model_asset: str = Field(
        default="ml/model",
        description="Asset whose materialisation metadata says `promoted: true` and the new `model_version`.",
    )
    target: str = Field(
        default="scoring/predictions",
        description="Daily asset re-materialised, as one range run, for its newest `days` materialised partitions.",
    )
    days: int = Field(default=7, ge=1, le=366, description="How many of the newest scored days to re-score (a gap in them ends the range).")
    default_status: SensorStatus = Field(default="running", description="Sensor status on first load.")
    minimum_interval_seconds: int = Field(default=60, ge=5, description="Seconds between two ticks.")


class AutomationConfig(StrictModel):
    sensor: SensorSettings = Field(default_factory=SensorSettings, description="The one automation sensor.")
    rules: dict[str, Rule] = Field(
        default_factory=dict, description="Rules by name; the name labels the condition in the UI."
    )
    champion_rescore: ChampionRescore = Field(
        default_factory=ChampionRescore, description="Optional re-scoring after a champion change."
    )
    run_tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags on every run the automation launches (e.g. `dagster/max_retries`).",
    )

    @model_validator(mode="after")
    def _identifiers(self) -> AutomationConfig:
        bad = [name for name in [*self.rules, self.sensor.name] if not name.isidentifier()]
        if bad:
            raise ValueError(f"Rule and sensor names must be identifiers: {bad}")
        return self

    def enabled_rules(self) -> dict[str, Rule]:
        return {name: rule for name, rule in self.rules.items() if rule.enabled}


@project_cache
def load_automation_config(dataset: str) -> AutomationConfig:
    return load_dataset_yaml(dataset, "automation.yaml", AutomationConfig)
