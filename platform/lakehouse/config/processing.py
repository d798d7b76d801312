"""Processing configuration (seed notebook `data_processing`): the silver table built from bronze
sources, and the dimensions that gold joins point in time. One processing.yaml per dataset."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lakehouse.config.base import StrictModel, load_dataset_yaml
from lakehouse.config.contracts import Contract
from lakehouse.config.identifiers import DatasetKey, dataset_key
from lakehouse.config.project import project_cache

# Columns processing/silver.py writes besides the contract's and the two days: lineage and quality notes.
SOURCE_FILE, SOURCE, NOTES = "_source_file", "_source", "_quality_notes"


class MissingPolicy(StrictModel):
    column: str = Field(description="Column the policy applies to.")
    policy: Literal["constant", "median", "mode", "none"] = Field(
        description="constant: filled in silver with `value`. median / mode: filled by the fitted feature "
        "pipeline (fitted on the training window, reused at scoring). none: left null.",
    )
    value: str | float | None = Field(default=None, description="Fill value for the constant policy.")
    flag: bool = Field(default=True, description="Add `<column>_missing` (1 when the value was missing).")


class Normalisation(StrictModel):
    upper: list[str] = Field(default_factory=list, description="Columns trimmed and upper-cased.")
    lower: list[str] = Field(default_factory=list, description="Columns trimmed and lower-cased.")
    aliases: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per column, spellings mapped to the canonical value (after casing)."
    )
    valid_values: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per column, the canonical values; anything else becomes null with a reason in "
        "`_quality_notes` (the raw value is kept there).",
    )


class SilverSettings(StrictModel):
    table: str = Field(description="Silver table name (schema silver).")
    description: str = Field(description="What one row is.")
    sources: list[str] = Field(description="Bronze sources unioned into the table (same contract).")
    contract: str = Field(description="Contract of the sources.")
    key: str = Field(description="Business key: duplicates across files, days and sources are removed.")
    event_date: str = Field(default="event_date", description="Date column of the event; silver's partition.")
    landing_date: str = Field(default="landing_date", description="Bronze partition column (landing day).")
    late_tolerance_days: int = Field(
        description="Landing days after an event day that may still hold its events; silver for day D reads "
        "bronze landing days D .. D + this (late events merge into their own day).",
    )
    normalise: Normalisation = Field(default_factory=Normalisation, description="Spelling and type clean-up.")
    missing: list[MissingPolicy] = Field(default_factory=list, description="Missing-value policy per column.")

    def row_types(self, contract: Contract) -> dict[str, str]:
        """Silver's columns and Spark SQL types as processing/silver.py writes them (a Spark test holds the
        two together): the contract's, the event and landing days, lineage, quality notes, and a
        `<column>_missing` flag per flagged policy. What an expression over the silver row may name."""
        types = {c.name: c.type for c in contract.columns}
        types |= {self.event_date: "date", self.landing_date: "date", SOURCE_FILE: "string", SOURCE: "string",
                  NOTES: "array<string>"}
        return types | {f"{p.column}_missing": "int" for p in self.missing if p.flag}


class DimensionSettings(StrictModel):
    source: str = Field(description="Bronze asset holding the dimension (history or daily snapshots).")
    key: str = Field(description="Join key, present in the silver table and the dimension.")
    mode: Literal["as_of", "snapshot"] = Field(
        description="as_of: the version valid at the event (latest `valid_from` <= event time; deleted -> "
        "nulls). snapshot: the dimension's daily snapshot of the event day.",
    )
    valid_from: str | None = Field(default=None, description="as_of: version timestamp column.")
    deleted: str | None = Field(default=None, description="as_of: soft-delete flag column.")
    snapshot_date: str = Field(default="landing_date", description="snapshot: the snapshot's date column.")
    columns: list[str] = Field(description="Dimension columns brought into gold.")
    prefix: str = Field(description="Prefix of the joined columns in gold (e.g. customer_).")


class ProcessingConfig(StrictModel):
    silver: SilverSettings = Field(description="The silver table.")
    features_table: str = Field(description="Gold table of model features (schema gold), one row per silver row.")
    labels_table: str = Field(description="Gold table of labels with maturity (schema gold).")
    dimensions: dict[str, DimensionSettings] = Field(
        default_factory=dict, description="Dimensions joined point in time into gold, by name."
    )

    def table_keys(self, dataset: str) -> tuple[DatasetKey, DatasetKey, DatasetKey]:
        """The asset keys of the dataset's silver, gold features and labels tables (both processing asset
        factories, the Databricks steps and training name them here)."""
        return (dataset_key(dataset, ("silver", self.silver.table)), dataset_key(dataset, ("gold", self.features_table)),
                dataset_key(dataset, ("gold", self.labels_table)))


@project_cache
def load_processing(dataset: str) -> ProcessingConfig:
    return load_dataset_yaml(dataset, "processing.yaml", ProcessingConfig)
