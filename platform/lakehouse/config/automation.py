"""Re-materialisation rules (config/datasets/<dataset>/automation.yaml): when an upstream asset's partition
is materialised, which downstream assets must be rebuilt, and how the sensor doing it behaves.

Each rule becomes one cursor-based sensor (lakehouse/automation/sensors.py). Which downstream partitions
a change reaches is not configured here: it comes from the assets' partitions definitions and mappings.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lakehouse.config.dataset import DATASETS_DIR


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SensorStatus = Literal["running", "stopped"]


class Rule(_Strict):
    description: str = Field(description="Why the rule exists; shown as the sensor's description in the UI.")
    enabled: bool = Field(default=True, description="false: no sensor is built for the rule.")
    upstream: list[str] = Field(
        min_length=1,
        description="Asset keys (`schema/table`) whose new materialisations trigger the rule.",
    )
    downstream: list[str] = Field(
        min_length=1,
        description="Asset keys to rebuild; `*` matches within one key component (`reporting/*`). Only assets "
        "that depend on an upstream asset (directly or through other assets) are selected.",
    )
    default_status: SensorStatus = Field(
        default="running", description="Status of the sensor when the code location is first loaded."
    )
    minimum_interval_seconds: int = Field(default=30, ge=5, description="Seconds between two ticks.")
    max_partitions_per_tick: int = Field(
        default=50,
        ge=1,
        description="At most this many downstream partitions (one run each) are requested per tick; the "
        "rest wait in the cursor, oldest first.",
    )
    events_per_tick: int = Field(
        default=1000, ge=1, description="Upstream materialisations read per tick and upstream asset (paging)."
    )

    @model_validator(mode="after")
    def _no_cycle(self) -> Rule:
        both = set(self.upstream) & set(self.downstream)
        if both:
            raise ValueError(f"Assets both upstream and downstream of one rule: {sorted(both)}")
        return self


class ChampionRescore(_Strict):
    enabled: bool = Field(default=False, description="Re-score recent days when a new champion is promoted.")
    model_asset: str = Field(
        default="ml/model",
        description="Asset whose materialisation metadata says `promoted: true` and the new `model_version`.",
    )
    targets: list[str] = Field(
        default_factory=lambda: ["scoring/predictions"],
        description="Daily assets re-materialised for each of the last `days` partitions.",
    )
    days: int = Field(default=7, ge=1, le=366, description="How many of the newest daily partitions to re-score.")
    default_status: SensorStatus = Field(default="running", description="Sensor status on first load.")
    minimum_interval_seconds: int = Field(default=60, ge=5, description="Seconds between two ticks.")


class AutomationConfig(_Strict):
    rules: dict[str, Rule] = Field(
        default_factory=dict, description="Rules by name; the name is the sensor's name (a Dagster identifier)."
    )
    champion_rescore: ChampionRescore = Field(
        default_factory=ChampionRescore, description="Optional re-scoring after a champion change."
    )

    @model_validator(mode="after")
    def _identifiers(self) -> AutomationConfig:
        bad = [name for name in self.rules if not name.isidentifier()]
        if bad:
            raise ValueError(f"Rule names must be identifiers (they name sensors and jobs): {bad}")
        return self

    def enabled_rules(self) -> dict[str, Rule]:
        return {name: rule for name, rule in self.rules.items() if rule.enabled}


@lru_cache(maxsize=None)
def load_automation_config(dataset: str) -> AutomationConfig:
    path = DATASETS_DIR / dataset / "automation.yaml"
    if not path.exists():
        raise ValueError(f"Dataset {dataset!r} has no automation.yaml ({path})")
    return AutomationConfig(**(yaml.safe_load(path.read_text()) or {}))
