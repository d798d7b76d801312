"""Dataset configuration: what flows through the pipeline (partitions now; sources, contracts,
features, models and reports are added by their stages). One folder per dataset under datasets/."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
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


class DatasetConfig(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(description="Dataset name; its folder under config/datasets/.")
    description: str = Field(description="What the dataset is.")
    owner: str = Field(description="Team or person answering for the dataset (shown as asset owner).")
    partitions: PartitionSettings = Field(description="Partition calendar shared by all stages.")


@lru_cache(maxsize=None)
def load_dataset(name: str) -> DatasetConfig:
    path = DATASETS_DIR / name / "dataset.yaml"
    if not path.exists():
        known = sorted(p.name for p in DATASETS_DIR.iterdir() if (p / "dataset.yaml").exists())
        raise ValueError(f"Unknown dataset {name!r}; known datasets: {known}")
    return DatasetConfig(name=name, **(yaml.safe_load(path.read_text()) or {}))
