"""Sources as configuration: one entry in config/datasets/<dataset>/sources.yaml per source.

Adding a source is adding an entry (see docs/adding-a-source.md); one factory turns each entry into a
bronze asset with the seed notebook's parameters as run config.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import StrictModel, load_dataset_entries
from lakehouse.config.identifiers import validate_identifier, validate_source_table_name, validate_target_table
from lakehouse.config.project import project_cache

IngestMode = Literal["full", "incremental"]
BRONZE = "bronze"  # the schema (first key component) of every source's asset


class SourceConfig(StrictModel):
    name: str = Field(description=(
        "Source name. Its asset key is bronze/<name>, and that key is the table's only name: the bronze table "
        "is bronze.<name> (with bronze.<name>_quarantine, and bronze.<name>_history for CDC, beside it)."))
    description: str = Field(description="What the source is and who produces it.")
    format: Literal["csv", "json", "jdbc", "stream"] = Field(description="How the source is read.")
    location: str | None = Field(
        default=None,
        description="Files: folder relative to the data root (or an absolute / cloud URI) holding one "
        "sub-folder per landing day (YYYY-MM-DD).",
    )
    contract: str = Field(description="Contract name in contracts.yaml.")
    ingest_mode: IngestMode = Field(default="incremental", description="Default `ingest_mode` run config.")
    partition_column: str = Field(
        default="landing_date",
        description="Date column of the bronze table that holds its daily partition.",
    )
    keys: list[str] = Field(default_factory=list, description="Key columns (merge, dedup, checks).")
    event_time_column: str | None = Field(
        default=None,
        description="Files: the event timestamp column; bronze derives `event_date` from it so later stages "
        "can place late events in their own day.",
    )
    multiline: bool = Field(
        default=False,
        description="CSV: quoted values may span lines (Spark's `multiLine`). Each file is then parsed whole "
        "by one task (not split), and its rows' raw text is their values as JSON. Off: one line, one record.",
    )
    duplicate_horizon_days: int = Field(
        default=30, ge=0, le=3660,
        description="Files: a row whose key was already loaded on one of this many landing days before the "
        "first day written is quarantined as a duplicate naming the file that holds it, so bronze is the "
        "same whether days ran one by one or as a range. 0: keys are unique within a load only. Costs a read "
        "of the key columns of those days.",
    )
    quarantine_warn_share: float = Field(
        default=0.01, ge=0, le=1,
        description="Files: the `quarantine_rate_warning` check (WARN, not blocking) fails for a landing day "
        "whose quarantined rows exceed this share of its rows read.",
    )
    quarantine_error_share: float = Field(
        default=0.05, ge=0, le=1,
        description="Files: the `quarantine_rate` check fails (blocking: the run is red, downstream waits) when "
        "a landing day's quarantined rows exceed this share of its rows read.",
    )
    quarantine_error_min_rows: int = Field(
        default=10, ge=1,
        description="Files: the failure also needs at least this many quarantined rows in the day; below it the "
        "check only warns (two bad rows of twelve are a large share, not an unusable day). A day with rows "
        "read and none loaded fails regardless.",
    )
    connection: str | None = Field(
        default=None, description="JDBC: name of the connection in the profile's `connections` section."
    )
    table: str | None = Field(default=None, description="JDBC: source table name.")
    cdc_column: str | None = Field(
        default=None, description="JDBC incremental: change timestamp column (high-water mark, ordering)."
    )
    delete_column: str | None = Field(default=None, description="JDBC incremental: boolean soft-delete flag.")
    read_partitions: int = Field(default=1, description="JDBC: parallel read partitions for large tables.")
    read_partition_column: str | None = Field(
        default=None, description="JDBC: numeric/date/timestamp column the parallel read is split on."
    )
    checkpoint: str | None = Field(
        default=None, description="Streaming: checkpoint folder relative to the data root (`checkpoint_path`)."
    )
    stream_format: Literal["json", "kafka"] = Field(
        default="json", description="Streaming: the stream source (a file stream of JSON now; Kafka later)."
    )
    owners: list[str] = Field(default_factory=list, description="Asset owners (emails or team:name).")
    freshness_hours: int = Field(default=36, description="Freshness policy: data older than this is late.")

    # Names below become asset keys, table names, folders and SQL text: one rule (config/identifiers.py).
    @field_validator("name", "partition_column", "event_time_column", "cdc_column", "delete_column",
                     "read_partition_column")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        return None if value is None else validate_identifier(value, "source name or column name")

    @field_validator("keys")
    @classmethod
    def _key_columns(cls, value: list[str]) -> list[str]:
        return [validate_identifier(name, "key column name") for name in value]

    @field_validator("name")
    @classmethod
    def _room_for_side_tables(cls, value: str) -> str:
        validate_target_table(f"{BRONZE}.{value}", "source name")
        return value

    @property
    def key(self) -> tuple[str, str]:
        """The bronze asset's key, [bronze, <name>]: the table is named from it (config/identifiers.py)."""
        return BRONZE, self.name

    @model_validator(mode="after")
    def _quarantine_shares(self) -> SourceConfig:
        if self.quarantine_warn_share > self.quarantine_error_share:
            raise ValueError(f"Source {self.name!r}: quarantine_warn_share {self.quarantine_warn_share} is above "
                             f"quarantine_error_share {self.quarantine_error_share}")
        return self

    @field_validator("table")
    @classmethod
    def _source_table(cls, value: str | None) -> str | None:
        return None if value is None else validate_source_table_name(value)


@project_cache
def load_sources(dataset: str) -> dict[str, SourceConfig]:
    return load_dataset_entries(dataset, "sources.yaml", SourceConfig)
