"""Asset checks for bronze tables, declared with the asset and evaluated after each write.

- `contract` (blocking): the pandera.pyspark schema derived from the contract — types, required
  columns non-null, hard ranges and allowed values, unique keys within the partition.
- `soft_rules` (WARN): values above a column's `soft_max` (e.g. amount outliers); visible, not blocking.
- `reconciliation` (blocking): rows read from the source = rows loaded + rows quarantined.
- `quarantine_rate` (blocking, file sources): a landing day with too many rows quarantined, or none
  loaded, fails; `quarantine_rate_warning` (WARN, not blocking) above a lower share; see
  ingestion/quarantine_rate.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.config.contracts import ColumnSpec, Contract

if TYPE_CHECKING:
    import pandera.pyspark as pa

# pandera is imported inside the functions that run checks: importing it costs ~1.4 s (it pulls in
# pandas and pyspark.pandas), which would triple the time to load the definitions.

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


def _checks(spec: ColumnSpec) -> list[pa.Check]:
    import pandera.pyspark as pa

    checks = []
    if spec.min is not None:
        checks.append(pa.Check.ge(spec.min))
    if spec.max is not None:
        checks.append(pa.Check.le(spec.max))
    if spec.allowed is not None:
        checks.append(pa.Check.isin(spec.allowed))
    return checks


def pandera_schema(contract: Contract) -> pa.DataFrameSchema:
    """The contract as a pandera.pyspark schema (extra technical columns are allowed)."""
    import pandera.pyspark as pa

    # pandera accepts any pyspark DataType; its annotation lists only some subclasses, not the base class.
    columns = {
        c.name: pa.Column(spark_type(c.type), nullable=not c.required, checks=_checks(c))  # type: ignore[arg-type]
        for c in contract.columns
    }
    return pa.DataFrameSchema(columns, strict=False, unique=contract.keys or None, name=contract.name)


def check_specs(asset_key: AssetKey, contract: Contract) -> list[AssetCheckSpec]:
    specs = [
        AssetCheckSpec("contract", asset=asset_key, blocking=True,
                       description=f"Rows conform to the `{contract.name}` contract (pandera.pyspark)."),
        AssetCheckSpec("reconciliation", asset=asset_key, blocking=True,
                       description="Rows read from the source = rows loaded + rows quarantined."),
    ]
    if any(c.soft_max is not None for c in contract.columns):
        specs.append(AssetCheckSpec("soft_rules", asset=asset_key,
                                    description="Values above their soft maximum (WARN, not blocking)."))
    return specs


def contract_result(df: DataFrame, contract: Contract, asset_key: AssetKey) -> AssetCheckResult:
    from pandera.config import ValidationDepth, config_context

    with config_context(validation_depth=ValidationDepth.SCHEMA_AND_DATA):
        validated = pandera_schema(contract).validate(df)
    # pandera adds the .pandera accessor at run time; pyspark's DataFrame.__getattr__ types it as a Column.
    errors = _flatten(dict(validated.pandera.errors))  # type: ignore[call-overload]
    return AssetCheckResult(
        asset_key=asset_key,
        check_name="contract",
        passed=not errors,
        metadata={"errors": len(errors), "details": "\n".join(errors[:20]) or "none"},
    )


def _flatten(errors: dict[str, Any]) -> list[str]:
    found = []
    for depth, by_kind in errors.items():
        for kind, items in by_kind.items():
            for item in items:
                found.append(f"{depth}/{kind}: {item.get('column') or '-'}: {item.get('error')}")
    return found


def soft_rules_result(df: DataFrame, contract: Contract, asset_key: AssetKey) -> AssetCheckResult:
    soft = [c for c in contract.columns if c.soft_max is not None]
    counts = df.agg(*[F.sum((F.col(c.name) > F.lit(c.soft_max)).cast("int")).alias(c.name) for c in soft]).first()
    above = {c.name: int((counts[c.name] if counts else 0) or 0) for c in soft}
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
