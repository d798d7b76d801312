"""The one rule for names that reach SQL text or a path: schemas, tables, columns, sources.

A name is 1-128 ASCII letters, digits and underscores, not starting with a digit. The whole string must
match (`re.fullmatch`): `re.match` with `$` also accepts a final newline, and a table once created as
"bronze.t7nl\n" broke the catalog of every new Spark session. The allowed characters exclude whitespace,
quotes, backticks, `;`, `/`, `\\` and `.`, so a valid name can neither inject SQL nor leave its folder.

This module imports nothing from the project (and no pyspark): config models, resources and the IO
manager all use it without import cycles.
"""

from __future__ import annotations

import re

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


def split_table_name(value: object, what: str = "table") -> tuple[str, str]:
    """`<schema>.<table>` -> (schema, table), both validated."""
    if not isinstance(value, str) or value.count(".") != 1:
        raise ValueError(f"Invalid {what} {value!r}: must be <schema>.<table>")
    schema, table = value.split(".")
    return validate_identifier(schema, f"{what} schema name"), validate_identifier(table, f"{what} table name")


def validate_table_name(value: str, what: str = "table") -> str:
    """`value` unchanged if it is a valid `<schema>.<table>` (for pydantic field validators)."""
    split_table_name(value, what)
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
