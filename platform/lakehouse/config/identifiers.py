"""The one rule for names that reach SQL text or a path: schemas, tables, columns, sources; and the one
parser of qualified table names (`split_table_name`) and rule from asset key to table (`key_table`).

A table's only name is its asset key [<dataset>, <schema>, <table>]. A dataset's configuration names its own
tables by the key within the dataset (`scoring/predictions`), and `dataset_key` puts the dataset in front,
so several datasets share one Dagster instance (and one asset graph) without mixing (docs/architecture.md,
"Several datasets"). The table is `<schema>.<table>` in the dataset's own storage: its profile's data root
locally, its profile's Unity catalog on Databricks (the Spark resource adds it). Tables written beside an
asset's own (`_quarantine`, `_history`) are named from its key by `side_key`.

A name is 1-128 ASCII letters, digits and underscores, not starting with a digit. The whole string must
match (`re.fullmatch`): `re.match` with `$` also accepts a final newline, and a table once created as
"bronze.t7nl\n" broke the catalog of every new Spark session. The allowed characters exclude whitespace,
quotes, backticks, `;`, `/`, `\\` and `.`, so a valid name can neither inject SQL nor leave its folder.

This module imports nothing from the project (and no pyspark; pydantic only for `AssetKeyName`): config models, resources and the IO
manager all use it without import cycles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator

MAX_LENGTH = 128
# Tables a bronze target brings along (<table>_quarantine, <table>_history): their names must be valid
# too, or a run would write the main table and only then fail on the second.
DERIVED_SUFFIXES = ("_quarantine", "_history")
# Explicit ASCII ranges: `\w` would also accept non-ASCII letters and digits.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_identifier(name: object) -> bool:
    return isinstance(name, str) and len(name) <= MAX_LENGTH and _IDENTIFIER.fullmatch(name) is not None


def validate_identifier(name: object, what: str = "identifier") -> str:
    """`name` unchanged if it is a valid identifier; otherwise a ValueError naming it and the rule."""
    if not is_identifier(name):
        raise ValueError(
            f"Invalid {what} {name!r}: use ASCII letters, digits and underscores, starting with a letter or "
            f"underscore, at most {MAX_LENGTH} characters (no spaces, newlines, dots, slashes or quotes)."
        )
    return str(name)


def split_table_name(value: object, what: str = "table", separator: str = ".") -> tuple[str, str]:
    """`<schema>.<table>` (or, with separator "/", the asset key `<schema>/<table>`) -> (schema, table),
    both validated. The one parser of qualified table names: every other module calls this one."""
    if not isinstance(value, str) or value.count(separator) != 1:
        example = separator.join(("<schema>", "<table>"))
        raise ValueError(f"Invalid {what} {value!r}: must be {example}")
    schema, table = value.split(separator)
    return validate_identifier(schema, f"{what} schema name"), validate_identifier(table, f"{what} table name")


def validate_asset_key(value: str, what: str = "asset key") -> str:
    """`value` unchanged if it is an asset key `<schema>/<table>`: how configuration names a table."""
    split_table_name(value, what, "/")
    return value


def key_parts(value: str) -> tuple[str, str]:
    """A key within a dataset as configuration writes it, `<schema>/<table>` -> (schema, table)."""
    return split_table_name(value, "asset key", "/")


# An asset key as a tuple: (dataset, schema, table).
DatasetKey = tuple[str, str, str]


def dataset_key(dataset: str, key: str | Sequence[str]) -> DatasetKey:
    """The asset key of a dataset's table: `scoring/predictions` (or ("scoring", "predictions")) of dataset
    card_fraud -> (card_fraud, scoring, predictions). The one place the dataset joins a key."""
    schema, table = key_parts(key) if isinstance(key, str) else split_table_name(".".join(key), "asset key")
    return validate_identifier(dataset, "dataset name"), schema, table


# A config field naming a table: its asset key `<schema>/<table>`, validated when the YAML loads.
AssetKeyName = Annotated[str, AfterValidator(validate_asset_key)]


def key_table(key: Sequence[str], what: str = "asset key") -> tuple[str, str]:
    """The table an asset key names: key [dataset, schema, table] -> (schema, table), in the dataset's own
    storage. The one rule from asset key to table; resources/spark.py `SparkResource.table_for` adds the
    location (or the Unity catalog)."""
    parts = list(key)
    if len(parts) != 3:
        raise ValueError(f"Invalid {what} {'/'.join(parts)!r}: a table's asset key is [<dataset>, <schema>, <table>]")
    validate_identifier(parts[0], f"{what} dataset name")
    return validate_identifier(parts[1], f"{what} schema name"), validate_identifier(parts[2], f"{what} table name")


def table_name_of(key: Sequence[str]) -> str:
    """`<schema>.<table>` of a table key within its dataset, (schema, table): the seed's table parameters
    show and accept this form (the table in the dataset's own storage)."""
    return ".".join(split_table_name(".".join(key), "table key"))


def side_key(key: Sequence[str], suffix: str) -> tuple[str, str, str]:
    """The key of a table written beside an asset's own (DERIVED_SUFFIXES: `<dataset>/bronze/customers` ->
    `<dataset>/bronze/customers_history`, `..._quarantine`): same dataset and schema, the table name + suffix."""
    if suffix not in DERIVED_SUFFIXES:
        raise ValueError(f"Unknown side-table suffix {suffix!r}; known: {DERIVED_SUFFIXES}")
    schema, table = key_table(key)
    return key[0], schema, validate_identifier(table + suffix, "side table name")


def validate_source_table_name(value: str) -> str:
    """A table on a JDBC source database: `table` or `schema.table` (pasted into the SQL sent to it)."""
    if "." in value:
        split_table_name(value, "source table name")
    else:
        validate_identifier(value, "source table name")
    return value


def validate_target_table(value: str, what: str = "target_table") -> str:
    """A bronze `<schema>.<table>` whose derived tables (DERIVED_SUFFIXES) are valid names as well."""
    schema, table = split_table_name(value, what)
    longest = max(DERIVED_SUFFIXES, key=len)
    if len(table) + len(longest) > MAX_LENGTH:
        raise ValueError(
            f"Invalid {what} {value!r}: the table name has {len(table)} characters, at most "
            f"{MAX_LENGTH - len(longest)} leave room for its `{longest}` table ({MAX_LENGTH} in all)."
        )
    return value
