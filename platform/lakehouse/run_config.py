"""Run config whose defaults are the dataset's configured values (the seed notebooks' parameters).

Each run-config class is a static `dagster.Config`: its fields, types, descriptions and validators.
What a field defaults to depends on the dataset (a source's `ingest_mode`, scoring.yaml's
`model_version`, ...), and Dagster builds an op's schema from a `Config` annotation using the class's
own field defaults only (a default instance of the `config` argument is refused), so one class
cannot carry per-asset defaults that way. Instead the asset (or op) declares `config_schema` built
here from the class's fields (`Config.to_fields_dict`) with the dataset's values as defaults: every
Launchpad (the asset graph's Materialize, the jobs, backfills) shows them pre-filled, and runs that
pass no config (schedules, sensors, Declarative Automation) get them from Dagster. The compute
function reads the resolved values back as the class with `op_config`, which validates them.

The seed's table parameters (`target_table`, `input_table`, `output_table`, `data_table`, `labels_table`)
stay in the Launchpad, defaulting to the tables of the asset's own key and its declared upstream keys.
Dagster records a materialisation under the asset's key, so a value naming another table would make
lineage, freshness and the sensors describe a table that did not change: `require_table` fails the run
on it, before anything is read or written, saying how to write elsewhere instead.
"""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from dagster import AssetExecutionContext, Config, Field, OpExecutionContext

from lakehouse.config.identifiers import split_table_name, table_name_of

C = TypeVar("C", bound=Config)


def config_schema(cls: type[Config], defaults: Mapping[str, Any]) -> dict[str, Field]:
    """The op config schema of `cls`, each field in `defaults` defaulting to that value; other fields
    keep the class's own default (or stay required)."""
    fields = cls.to_fields_dict()
    unknown = set(defaults) - set(fields)
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)} to give a default")
    return {
        name: Field(field.config_type, default_value=defaults[name], description=field.description)
        if name in defaults else field
        for name, field in fields.items()
    }


def op_config(context: AssetExecutionContext | OpExecutionContext, cls: type[C]) -> C:
    """This run's config of the op as `cls` (Launchpad values over the defaults); the class's validators
    run here, so a bad value fails the step before anything is read or written."""
    return cls(**context.op_execution_context.op_config)


def require_table(field: str, value: str, key: Sequence[str], remedy: str) -> None:
    """Fail unless run-config `field` (`<schema>.<table>`) names the table of asset key `key`: the asset's
    own (written) or its declared upstream (read). `remedy` says how to reach another table instead."""
    if split_table_name(value, field) != tuple(key):
        raise ValueError(
            f"{field} {value!r} is not {table_name_of(key)}, the table of asset {'/'.join(key)}: Dagster records "
            f"this run against that asset, so lineage, freshness and sensors would describe a table the run did "
            f"not touch. Leave {field} at {table_name_of(key)}; {remedy}"
        )
