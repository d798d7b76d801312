"""Contract checks for rows that arrive already typed (JDBC tables), the sibling of files.split_valid.

`split_valid` starts from text and a `_corrupt_record` column; a database hands over typed values, so
here a value is cast only when its type differs from the contract (`try_cast`: a failure is a reason,
not an exception), and the hard rules are the same: required, min, max, allowed. A quarantined row
keeps every source value as JSON plus all its reasons. Rows read = rows loaded + rows quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, DecimalType

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.ingestion.casts import decimal_digits
from lakehouse.ingestion.files import hard_rule_reasons, joined_reasons

ROW_HASH = "_row_hash"
_REASON = "_reason"  # the reasons that apply, joined (files.joined_reasons); null when the row loads


@dataclass
class TypedSplit:
    loaded: DataFrame  # contract columns (typed) + pass-through columns
    quarantined: DataFrame  # raw_record, reason + pass-through columns


def with_row_hash(df: DataFrame, columns: list[str]) -> DataFrame:
    """A content hash of the contract columns: identifies one version of one row, so a re-read row is
    recognised (idempotent CDC appends) whatever its key or validity."""
    return df.withColumn(ROW_HASH, F.sha2(F.to_json(F.struct(*[F.col(c) for c in columns])), 256))


def _typed(spec: ColumnSpec, data_type: DataType) -> Column:
    col = F.col(spec.name)
    return col if data_type.simpleString() == spec.type else col.try_cast(spec.type)


def _reasons(spec: ColumnSpec, typed: Column, data_type: DataType) -> list[Column]:
    raw = F.col(spec.name)
    reasons = [
        F.when(raw.isNull() & F.lit(spec.required), F.lit(f"{spec.name}: required value missing")),
        F.when(raw.isNotNull() & typed.isNull(), F.lit(f"{spec.name}: not a {spec.type}")),
    ]
    if spec.type.startswith("decimal(") and not spec.round and isinstance(data_type, DecimalType) \
            and data_type.scale > decimal_digits(spec.type)[1]:
        # A database decimal with more places than the contract's scale: the cast would round it.
        wide = f"decimal(38,{data_type.scale})"
        rounded = typed.isNotNull() & (typed.cast(wide) != raw.cast(wide))
        reasons.append(F.when(rounded, F.concat(F.lit(f"{spec.name}: "), raw.cast("string"),
                                                F.lit(f" does not fit {spec.type} without rounding"))))
    return reasons + hard_rule_reasons(spec, typed)


def split_typed(df: DataFrame, contract: Contract, extra_reasons: list[Column] | None = None) -> TypedSplit:
    """Valid rows typed to the contract, and invalid rows with their reasons.

    `extra_reasons` are source-specific rules (string-or-null columns over the typed values' names),
    e.g. a change timestamp in the future. Columns outside the contract pass through unchanged."""
    names = [c.name for c in contract.columns]
    missing = [n for n in names if n not in df.columns]
    if missing:
        # The reader selects the contract's columns, so this is a programming error, not dirty data.
        raise ValueError(f"Contract {contract.name!r}: columns {missing} are not in the source rows")
    types = {f.name: f.dataType for f in df.schema.fields}
    typed = {c.name: _typed(c, types[c.name]) for c in contract.columns}
    reasons = [r for spec in contract.columns for r in _reasons(spec, typed[spec.name], types[spec.name])]
    passthrough = [c for c in df.columns if c not in names]
    checked = df.select(
        *[typed[n].alias(n) for n in names],
        *passthrough,
        F.to_json(F.struct(*[F.col(n) for n in names])).alias("raw_record"),
        joined_reasons(reasons).alias(_REASON),
    )
    if extra_reasons:
        # Extra rules see the typed values (the select above renamed them back to the contract names).
        checked = checked.withColumn(_REASON, joined_reasons([F.col(_REASON), *extra_reasons]))
    bad = F.col(_REASON).isNotNull()
    loaded = checked.where(~bad).select(*names, *passthrough)
    quarantined = checked.where(bad).select("raw_record", F.col(_REASON).alias("reason"), *passthrough)
    return TypedSplit(loaded=loaded, quarantined=quarantined)
