"""Dataset configuration: what flows through the pipeline (partitions now; sources, contracts,
features, models and reports are added by their stages). One folder per dataset under datasets/."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATASETS_DIR = Path(__file__).parent / "datasets"


class PartitionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start_date: date = Field(description="First day of every daily, weekly and monthly partition set.")
    timezone: str = Field(default="UTC", description="Timezone of partition boundaries.")
    end_offset: int = Field(
        default=0,
        description="Extra partitions past the last complete one (0: today's partition appears tomorrow).",
    )


class ScheduleTime(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hour: int = Field(ge=0, le=23, description="Hour of the tick, in the partitions' timezone.")
    minute: int = Field(default=0, ge=0, le=59, description="Minute of the tick.")


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    daily: ScheduleTime = Field(
        default=ScheduleTime(hour=2), description="When the day just ended is read from the source databases (automation.yaml `when: cron` rules); the labels refresh runs an hour later."
    )


class DatasetConfig(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(description="Dataset name; its folder under config/datasets/.")
    description: str = Field(description="What the dataset is.")
    owner: str = Field(description="Team or person answering for the dataset (shown as asset owner).")
    partitions: PartitionSettings = Field(description="Partition calendar shared by all stages.")
    schedules: ScheduleSettings = Field(
        default=ScheduleSettings(), description="Daily times: source databases read (weekly training: ml.yaml; reports: reporting.yaml)."
    )


@cache
def load_dataset(name: str) -> DatasetConfig:
    path = DATASETS_DIR / name / "dataset.yaml"
    if not path.exists():
        known = sorted(p.name for p in DATASETS_DIR.iterdir() if (p / "dataset.yaml").exists())
        raise ValueError(f"Unknown dataset {name!r}; known datasets: {known}")
    return DatasetConfig(name=name, **(yaml.safe_load(path.read_text()) or {}))
