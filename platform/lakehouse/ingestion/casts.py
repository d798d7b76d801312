"""From a landed value's text to its contract type, and why a value does not make it.

`try_cast` never raises; a value whose cast fails is quarantined, never nulled. A cast must not change a
value either: a string keeps its spaces, and a decimal with more places than the type's scale is
quarantined unless the column declares `round: true`.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse.config.contracts import ColumnSpec


def decimal_digits(type_name: str) -> tuple[int, int]:
    """(precision, scale) of `decimal(p,s)`."""
    precision, scale = (int(x) for x in type_name[len("decimal("):-1].split(","))
    return precision, scale


def typed_value(spec: ColumnSpec, raw: Column) -> Column:
    """The value in the contract's type, null when the text does not convert."""
    if spec.type == "string":
        return raw  # exactly as landed: trimming would alter the value
    text = F.trim(raw)
    if spec.format is not None:
        return _with_format(spec, text)
    if spec.type == "timestamp":
        return F.try_to_timestamp(text)
    if spec.type == "boolean":
        return F.lower(text).try_cast("boolean")
    return text.try_cast(spec.type)


def _with_format(spec: ColumnSpec, text: Column) -> Column:
    """The text parsed with the column's pattern. Wall-clock values are read in the column's zone (UTC by
    default) by appending the zone to the text: the result does not depend on the session's time zone."""
    if spec.type == "date":
        return F.try_to_date(text, spec.format)
    if spec.reads_zone:
        return F.try_to_timestamp(text, F.lit(spec.format))
    zoned = F.concat(text, F.lit(" " + (spec.timezone or "UTC")))
    return F.try_to_timestamp(zoned, F.lit(f"{spec.format} VV"))


def cast_reasons(spec: ColumnSpec, raw: Column, typed: Column, present: Column) -> list[Column]:
    """One reason (or null) per way the text failed its type."""
    shown = F.substring(raw, 1, 60)
    expected = spec.type if spec.format is None else f"{spec.type} in format '{spec.format}'"
    reasons = [F.when(present & typed.isNull(), F.concat(F.lit(f"{spec.display_name}: not a {expected}: "), shown))]
    if spec.type.startswith("decimal(") and not spec.round:
        # The same text at the widest scale the integer digits allow: a difference is a rounded value.
        precision, scale = decimal_digits(spec.type)
        exact = F.trim(raw).try_cast(f"decimal(38,{38 - (precision - scale)})")
        rounded = typed.isNotNull() & (typed.cast(f"decimal(38,{38 - (precision - scale)})") != exact)
        reasons.append(F.when(rounded, F.concat(F.lit(f"{spec.display_name}: "), shown,
                                                F.lit(f" does not fit {spec.type} without rounding"))))
    return reasons
