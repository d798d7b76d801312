"""The path catalog: table folders of the warehouse registered by name in a Spark session.

Tables live at <warehouse>/<schema>/<table>. A session registers a table when it is used, not by listing
the warehouse at start (resources/spark.py): its writer registers it, `register_named` registers the
tables a SQL text names, and `register_path_catalog` (a notebook that wants every name) registers them
all. The platform itself reads and writes path tables by location, so it never needs a name. One folder
that is not a usable table — a name outside the
identifier rule, no `_delta_log`, a log Delta cannot read — must not stop every session on the data
root (issue 16: a table once created as "bronze.t7nl\\n" did). Such a folder is reported with a warning
naming it. A folder whose Delta log cannot be read has its name held by a placeholder view whose every
read fails with the same message, so a query on that table errors clearly while every other table works.
A later registration (the table's writer, or `register_path_catalog` again) replaces the placeholder.

A folder with no `_delta_log` is only reported, never held: Delta writes a new table's data files before
its first commit, so such a folder is usually a first write still running in another process. Where the
catalog is shared by sessions (a Spark Connect server keeps one for all its clients), a placeholder made
by one session's start-up would hide the table its writer is about to register.

Placeholders are found in the catalog itself, not in a session's memory, for the same reason: they are
the only persistent views in a warehouse schema (the platform creates no others), so any session's writer
recognises and replaces one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.config.identifiers import is_identifier
from lakehouse.resources.catalog import TableRef, quote

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class UnusableTable:
    folder: Path
    reason: str
    ref: TableRef | None = None  # set when the folder's name is valid
    held: bool = False  # its name is held by a placeholder view (a log that cannot be read)

    @property
    def message(self) -> str:
        return (
            f"Table folder {str(self.folder)!r} is not usable: {self.reason}. Every other table is registered; "
            "repair the folder or move it out of the warehouse."
        )


def scan_warehouse(warehouse: Path) -> tuple[list[TableRef], list[UnusableTable]]:
    """Every <schema>/<table> folder: the Delta tables, and the folders that cannot be one."""
    tables: list[TableRef] = []
    unusable: list[UnusableTable] = []
    if not warehouse.is_dir():
        return tables, unusable
    for table_dir in sorted(p for p in warehouse.glob("*/*") if p.is_dir()):
        schema, table = table_dir.parent.name, table_dir.name
        if schema.startswith(".") or table.startswith("."):
            continue  # hidden folders (editor or OS bookkeeping) are never tables
        if not (is_identifier(schema) and is_identifier(table)):
            reason = "its name is not a valid <schema>/<table> (ASCII letters, digits, underscores; config/identifiers.py)"
            unusable.append(UnusableTable(table_dir, reason))
            continue
        ref = TableRef(schema=schema, table=table, location=str(table_dir))
        if (table_dir / "_delta_log").is_dir():
            tables.append(ref)
        else:
            reason = ("it has no _delta_log, so it is not a Delta table (yet: a first write still running "
                      "registers it when done)")
            unusable.append(UnusableTable(table_dir, reason, ref))
    return tables, unusable


def register_named(spark: Any, warehouse: Path, sql: str) -> int:
    """Register the tables `sql` names as <schema>.<table> (for `SHOW TABLES IN <schema>`: that schema's
    tables) before it runs; returns how many of them are usable. Text sqlglot cannot read: every table."""
    wanted = named_tables(sql)
    if wanted is None:
        return register_path_catalog(spark, warehouse)
    return register_path_catalog(spark, warehouse, wanted)


def named_tables(sql: str) -> set[tuple[str, str | None]] | None:
    """{(schema, table)} the statement names without a catalog; (schema, None) for a whole schema; None
    when the text cannot be read (the caller then registers everything rather than guess)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    words = sql.split()
    if len(words) == 4 and [w.upper() for w in words[:3]] == ["SHOW", "TABLES", "IN"]:
        return {(words[3].strip("`;"), None)}
    try:
        statements = sqlglot.parse(sql, read="spark")
    except SqlglotError:
        return None
    found: set[tuple[str, str | None]] = set()
    for statement in statements:
        if statement is None or isinstance(statement, exp.Command):
            return None
        found |= {(t.db, t.name) for t in statement.find_all(exp.Table) if t.db and not t.catalog}
    return found


def register_path_catalog(spark: Any, warehouse: Path, only: set[tuple[str, str | None]] | None = None) -> int:
    """Register the Delta tables under the warehouse that this session's catalog does not know yet (`only`:
    those (schema, table) pairs; (schema, None) for a whole schema); returns how many tables are usable.
    Unusable folders are logged as warnings and held by placeholders. A notebook calls it with no `only`
    to see every table, and again later to see tables other processes created since."""
    tables, unusable = scan_warehouse(warehouse)
    if only is not None:
        def wanted(schema: str, table: str) -> bool:
            return (schema, table) in only or (schema, None) in only

        tables = [t for t in tables if wanted(t.schema, t.table)]
        unusable = [u for u in unusable if wanted(u.folder.parent.name, u.folder.name)]
    known: dict[str, set[str]] = {}
    held: dict[str, set[str]] = {}
    usable = 0
    for ref in tables:
        if not any(Path(str(ref.location), "_delta_log").glob("*.json")):
            # Another process is creating this table right now (its log has no commit yet): Delta would
            # refuse to register it, and its writer registers it once committed.
            continue
        if ref.schema not in known:
            known[ref.schema], held[ref.schema] = table_names(spark, ref.schema), placeholder_names(spark, ref.schema)
        if ref.table in known[ref.schema] and ref.table not in held[ref.schema]:
            usable += 1
            continue
        try:
            register(spark, ref)
        # Deliberately broad: Delta reports an unreadable log as AnalysisException, SparkException or a
        # Py4J error depending on what is wrong. It is not swallowed: the folder is reported below and
        # its name fails every query with this message.
        except Exception as exc:  # noqa: BLE001
            reason = f"its Delta log cannot be read ({_first_line(exc)})"
            unusable.append(UnusableTable(Path(str(ref.location)), reason, ref, held=True))
        else:
            usable += 1
    for bad in unusable:
        log.warning(bad.message)
        if bad.ref is not None and bad.held:
            _hold(spark, bad.ref, bad.message)
    return usable


def register(spark: Any, ref: TableRef) -> None:
    """Register a path table by name, replacing a placeholder view that held the name."""
    if not spark.catalog.databaseExists(ref.schema):
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote(ref.schema)}")
    if is_placeholder(spark, ref):
        spark.sql(f"DROP VIEW IF EXISTS {ref.quoted_name}")
    location = str(ref.location).replace("'", "")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {ref.quoted_name} USING DELTA LOCATION '{location}'")


def is_placeholder(spark: Any, ref: TableRef) -> bool:
    return ref.table in placeholder_names(spark, ref.schema)


def placeholder_names(spark: Any, schema: str) -> set[str]:
    """The schema's persistent views: in a warehouse schema, only placeholders are views."""
    if not spark.catalog.databaseExists(schema):
        return set()
    return {row["viewName"] for row in spark.sql(f"SHOW VIEWS IN {quote(schema)}").collect() if not row["isTemporary"]}


def table_names(spark: Any, schema: str) -> set[str]:
    """Names only (SHOW TABLES reads no Delta log, unlike tableExists); creates the schema if missing."""
    if not spark.catalog.databaseExists(schema):
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        return set()
    return {row["tableName"] for row in spark.sql(f"SHOW TABLES IN {quote(schema)}").collect()}


def _hold(spark: Any, ref: TableRef, message: str) -> None:
    """A view under the table's name that fails every read with `message`. The error is raised by a
    filter, not a selected column, so column pruning (`SELECT count(*)`) cannot skip it."""
    if ref.table in table_names(spark, ref.schema) and not is_placeholder(spark, ref):
        return  # registered earlier in this session and broken since: reads fail with Delta's own error
    spark.sql(
        f"CREATE OR REPLACE VIEW {ref.quoted_name} AS SELECT unusable_table FROM "
        f"(SELECT CAST(NULL AS STRING) AS unusable_table) WHERE raise_error({_sql_string(message)}) IS NULL"
    )


def _sql_string(text: str) -> str:
    """A Spark SQL string literal of `text` (backslash escapes are on by default)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def _first_line(exc: BaseException) -> str:
    """The JVM's root cause when there is one (Py4J's own first line only says which call failed)."""
    java = getattr(exc, "java_exception", None)
    root = None
    while java is not None:
        root, java = java, java.getCause()
    if root is not None:
        return str(root.toString()).splitlines()[0][:300]
    lines = [line.strip(" :") for line in str(exc).splitlines() if line.strip(" :")]
    return (lines[0] if lines else type(exc).__name__)[:300]
