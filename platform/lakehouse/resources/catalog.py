"""Table identity: which Delta table an asset is, by name and by location.

Identifiers are validated before they reach any SQL text, so a schema, table or column name can never
inject SQL (Delta's replaceWhere and MERGE conditions are SQL expressions built from them). The rule
lives in config/identifiers.py; `validate_identifier` is re-exported here for the modules that use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.config.identifiers import validate_identifier

__all__ = ["TableRef", "double_literal", "quote", "table_ref", "validate_identifier"]


def quote(name: str) -> str:
    """Back-quote a validated identifier for Spark SQL."""
    return f"`{validate_identifier(name)}`"


def double_literal(value: float) -> str:
    """A Spark SQL literal of exactly this double (repr round-trips)."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


@dataclass(frozen=True)
class TableRef:
    """A Delta table: `<schema>.<table>` (or `<catalog>.<schema>.<table>`) stored at `location`."""

    schema: str
    table: str
    location: str | None
    catalog: str | None = None

    def __post_init__(self) -> None:
        validate_identifier(self.schema, "schema name")
        validate_identifier(self.table, "table name")
        if self.catalog is not None:
            validate_identifier(self.catalog, "catalog name")

    @property
    def name(self) -> str:
        parts = [self.catalog] if self.catalog else []
        return ".".join(parts + [self.schema, self.table])

    @property
    def quoted_name(self) -> str:
        parts = [self.catalog] if self.catalog else []
        return ".".join(quote(p) for p in parts + [self.schema, self.table])


def table_ref(schema: str, table: str, warehouse: str, catalog_name: str | None = None) -> TableRef:
    """Path catalog when `catalog_name` is None: <warehouse>/<schema>/<table>; else a metastore name."""
    if catalog_name:
        return TableRef(schema=schema, table=table, location=None, catalog=catalog_name)
    return TableRef(schema=schema, table=table, location=f"{warehouse.rstrip('/')}/{schema}/{table}")
