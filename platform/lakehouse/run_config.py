"""Run config whose defaults are the dataset's configured values (the seed notebooks' parameters).

Each run-config class is a static `dagster.Config`: its fields, types, descriptions and validators.
What a field defaults to depends on the dataset (a source's `target_table`, scoring.yaml's
`model_version`, ...), and Dagster builds an op's schema from a `Config` annotation using the class's
own field defaults only (a default instance of the `config` argument is refused), so one class
cannot carry per-asset defaults that way. Instead the asset (or op) declares `config_schema` built
here from the class's fields (`Config.to_fields_dict`) with the dataset's values as defaults: every
Launchpad (the asset graph's Materialize, the jobs, backfills) shows them pre-filled, and runs that
pass no config (schedules, sensors, Declarative Automation) get them from Dagster. The compute
function reads the resolved values back as the class with `op_config`, which validates them.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from dagster import AssetExecutionContext, Config, Field, OpExecutionContext

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
