"""Asset checks for bronze tables, declared with the asset and evaluated after each write.

- `contract` (blocking): the committed rows against the contract -- the table's column types, required
  columns non-null, hard ranges and allowed values, unique keys. The rules are SQL conditions counted in
  one aggregation (`contract_rules`), or observed while the rows are written; silver, gold and scoring
  check their contracts with the same functions. (pandera.pyspark ran one Spark job per rule: at 1 M rows
  a day that was half of what the raw copy of the day costs.)
- `soft_rules` (WARN): values above a column's `soft_max` (e.g. amount outliers); visible, not blocking.
- `reconciliation` (blocking): rows read from the source = rows loaded + rows quarantined.
- `quarantine_rate` (blocking, file sources): a landing day with too many rows quarantined, or none
  loaded, fails; `quarantine_rate_warning` (WARN, not blocking) above a lower share; see
  ingestion/quarantine_rate.py.
"""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.config.contracts import Contract
from lakehouse.resources.catalog import double_literal, quote

_SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "boolean": T.BooleanType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}


def spark_type(type_name: str) -> T.DataType:
    if type_name.startswith("decimal("):
        precision, scale = (int(x) for x in type_name[len("decimal(") : -1].split(","))
        return T.DecimalType(precision, scale)
    return _SPARK_TYPES[type_name]


def check_specs(asset_key: AssetKey, contract: Contract) -> list[AssetCheckSpec]:
    specs = [
        AssetCheckSpec("contract", asset=asset_key, blocking=True,
                       description=f"Rows conform to the `{contract.name}` contract: types, required values, "
                                   "ranges, allowed values, unique keys."),
        AssetCheckSpec("reconciliation", asset=asset_key, blocking=True,
                       description="Rows read from the source = rows loaded + rows quarantined."),
    ]
    if any(c.soft_max is not None for c in contract.columns):
        specs.append(AssetCheckSpec("soft_rules", asset=asset_key,
                                    description="Values above their soft maximum (WARN, not blocking)."))
    return specs


def contract_rules(contract: Contract, columns: list[str]) -> dict[str, str]:
    """{rule: SQL condition a row breaks}, for the contract's columns among `columns`: a null is only a
    `required` violation; a missing column or a wrong type is a schema error (`schema_errors`)."""
    rules: dict[str, str] = {}
    for spec in (c for c in contract.columns if c.name in columns):
        column = quote(spec.name)
        if spec.required:
            rules[f"{spec.name}: not null"] = f"{column} IS NULL"
        if spec.min is not None:
            rules[f"{spec.name}: >= {spec.min:g}"] = f"{column} < {double_literal(spec.min)}"
        if spec.max is not None:
            rules[f"{spec.name}: <= {spec.max:g}"] = f"{column} > {double_literal(spec.max)}"
        if spec.allowed is not None:
            rules[f"{spec.name}: in {spec.allowed}"] = f"NOT {column} IN ({', '.join(map(_string, spec.allowed))})"
    return rules


def violation_counts(rules: dict[str, str]) -> Column:
    """One aggregate (observed while writing, or computed): the rows breaking each rule, in its order.
    SQL text, parsed once by Spark: built from Column objects it would cost a py4j round trip per operator."""
    if not rules:
        return F.expr("CAST(array() AS array<bigint>)")
    return F.expr("array(" + ", ".join(f"count(CASE WHEN {broken} THEN 1 END)" for broken in rules.values()) + ")")


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def schema_errors(contract: Contract, schema: T.StructType) -> list[str]:
    """Missing columns and wrong types: no Spark job (a Delta table's schema is in its log)."""
    errors = []
    for spec in contract.columns:
        if spec.name not in schema.fieldNames():
            errors.append(f"{spec.name}: missing")
        elif schema[spec.name].dataType != spark_type(spec.type):
            errors.append(f"{spec.name}: type {schema[spec.name].dataType.simpleString()}, expected {spec.type}")
    return errors


def duplicate_count(keys: list[str], among: Column | None = None) -> Column:
    """An aggregate: keyed rows (`among` them, e.g. a run's own rows) beyond the first of their key. A null
    key is a `not null` violation, not a duplicate."""
    keyed = F.lit(True) if among is None else among
    for key in keys:
        keyed = keyed & F.col(key).isNotNull()
    return F.count(F.when(keyed, 1)) - F.count_distinct(*[F.when(keyed, F.col(k)) for k in keys])


def contract_result(df: DataFrame, contract: Contract, asset_key: AssetKey) -> AssetCheckResult:
    """`df` (what was committed) against the contract: its schema, and one aggregation counting the rows
    that break each rule and the duplicate keys."""
    rules = contract_rules(contract, df.columns)
    keys = [k for k in contract.keys if k in df.columns]
    aggregates = [violation_counts(rules).alias("broken"), F.count(F.lit(1)).alias("rows"),
                  (duplicate_count(keys) if keys else F.lit(0)).alias("duplicates")]
    row = df.agg(*aggregates).first()
    assert row is not None  # a global aggregation has one row
    return contract_verdict(asset_key, contract, df.schema, dict(zip(rules, row["broken"], strict=True)),
                            int(row["duplicates"] or 0), int(row["rows"]))


def contract_verdict(asset_key: AssetKey, contract: Contract, schema: T.StructType, broken: dict[str, int],
                     duplicates: int, rows_checked: int) -> AssetCheckResult:
    """The `contract` check from its figures: rows breaking each rule (`contract_rules`), rows duplicating
    a key, and the checked table's `schema`."""
    counts = dict(broken)
    if contract.keys:
        counts[f"{', '.join(contract.keys)}: unique"] = duplicates
    errors = schema_errors(contract, schema) + [f"{rule}: {n} rows" for rule, n in counts.items() if n]
    return AssetCheckResult(
        asset_key=asset_key, check_name="contract", passed=not errors,
        metadata={"errors": len(errors), "details": "\n".join(errors[:20]) or "none", "rules": len(counts),
                  "rows_checked": rows_checked},
    )


def soft_rule_counts(contract: Contract) -> dict[str, Column]:
    """{column: aggregate counting its values above `soft_max`}, observed while the table is written."""
    return {c.name: F.count(F.when(F.col(c.name) > F.lit(c.soft_max), 1))
            for c in contract.columns if c.soft_max is not None}


def soft_rules_verdict(above: dict[str, int], asset_key: AssetKey) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=asset_key,
        check_name="soft_rules",
        passed=sum(above.values()) == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={f"{name}_above_soft_max": n for name, n in above.items()},
    )


def reconciliation_result(read: int, loaded: int, quarantined: int, asset_key: AssetKey) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=asset_key,
        check_name="reconciliation",
        passed=read == loaded + quarantined,
        metadata={"rows_read": read, "rows_loaded": loaded, "rows_quarantined": quarantined,
                  "unaccounted": read - loaded - quarantined},
    )
