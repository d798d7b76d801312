"""Run config of the bronze assets: the seed notebook's `data_ingestion` parameters, for every source
format, defaulting to the source's entry in sources.yaml (lakehouse/run_config.py explains how)."""

from typing import Any, TypeVar

from dagster import AssetExecutionContext, Config
from dagster import Field as DagsterField
from pydantic import Field, field_validator

from lakehouse.config.identifiers import table_name_of, validate_target_table
from lakehouse.config.sources import SourceConfig
from lakehouse.run_config import config_schema, op_config, require_table

# Covers the demo's out-of-order updates (written up to ~3 days late) and slow source transactions.
CDC_LOOKBACK_HOURS = 72


class IngestionRunConfig(Config):
    """The seed notebook's `data_ingestion` parameters; each defaults to the source's sources.yaml entry."""

    data_source: str = Field(description=(
        "Where to read: the landing folder (csv / json) or the stream folder (stream), default the source's "
        "`location`; the table (or schema.table) on the source's connection (jdbc), default its `table`."))
    target_table: str = Field(description=(
        "Bronze table <schema>.<table>: always bronze.<source name>, the table of the source's asset key. "
        "Another value fails the run before anything is read (the materialisation is recorded against this "
        "asset); to load into another table, add a source entry (a different asset)."))
    ingest_mode: str = Field(description=(
        "`incremental`: files: the requested days; stream: new events only, exactly once; jdbc (CDC only): "
        "changes since the high-water mark. `full`: files: every landed day; stream: delete the checkpoint "
        "and rebuild from all files; jdbc: the whole table. Default: `ingest_mode`."))
    checkpoint_path: str = Field(description=(
        "Stream sources: checkpoint folder under the data root (default: `checkpoint`, else "
        "checkpoints/<source>); unused by other formats."))

    # Checked when the run starts, before any read or write: the name becomes a folder and SQL text.
    @field_validator("target_table")
    @classmethod
    def _target_table(cls, value: str) -> str:
        return validate_target_table(value)


R = TypeVar("R", bound="IngestionRunConfig")


class CdcRunConfig(IngestionRunConfig):
    """A JDBC CDC source's run config: the seed's parameters and the look-back below the high-water mark."""

    cdc_lookback_hours: int = Field(
        default=CDC_LOOKBACK_HOURS, ge=0, description="Re-read changes this far below the high-water mark."
    )


def run_config_class(source: SourceConfig) -> type[IngestionRunConfig]:
    return CdcRunConfig if source.format == "jdbc" and source.cdc_column else IngestionRunConfig


def source_defaults(source: SourceConfig) -> dict[str, Any]:
    """The source's configured values of the seed's parameters."""
    return {
        "data_source": (source.table if source.format == "jdbc" else source.location) or "",
        "target_table": table_name_of(source.key),
        "ingest_mode": source.ingest_mode,
        "checkpoint_path": source.checkpoint or f"checkpoints/{source.name}",
    }


def source_config_schema(source: SourceConfig) -> dict[str, DagsterField]:
    """The `config_schema` of the source's bronze asset (read back with `op_config(context, run_config_class(source))`)."""
    return config_schema(run_config_class(source), source_defaults(source))


def source_run_config(context: AssetExecutionContext, source: SourceConfig, cls: type[R]) -> R:
    """This run's parameters of the source's asset; a `target_table` other than the asset's own table
    (bronze.<name>) fails the run here, before anything is read or written (lakehouse/run_config.py)."""
    config = op_config(context, cls)
    require_table("target_table", config.target_table, source.key,
                  "to load this source into another table, add an entry to sources.yaml: a different asset.")
    return config
