"""Column names from the real world: how a landed file's names meet the contract, and what a quarantined
row says when they do not.

A contract column is read from its `landed_name` (its `source_name`, else its `name`) and loaded under its
`name`. The match is exact, case included: Python string equality against a CSV header
(raw_files._by_header) and map-key lookups in a JSON line (raw_files._json_frame), never Spark's column
resolution, which ignores case by default (`spark.sql.caseSensitive=false`) and would let `Amount` stand
for `amount`. So `Amount` and `amount` in one file are two columns, and a file headed `Amount` where the
contract reads `amount` lacks `amount`.

A file (CSV) or line (JSON) that lacks a contract column while it holds names no contract column reads
that look like the cause — not valid column names, or a missing column's `source_name` or `name` ignoring
case (`Trip Id` or `trip_id` for a column read from `Trip ID`) — gets a hint (`HINT`): the rows it
quarantines anyway (a required value missing, a bad value) name them and say to declare them as `source_name`. The hint never quarantines a row by itself, and absent
optional columns still load as null.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse.config.contracts import ColumnSpec
from lakehouse.config.identifiers import MAX_LENGTH, is_identifier

HINT = "_names_hint"  # technical column of the raw shape: the hint, or null
_SHOWN = 5  # names listed in a hint; a wide export could have hundreds
_ADVICE = (", which no contract column reads: declare each as `source_name` of its contract column (matched "
           "exactly, case included)")
# identifiers.py's rule as a Java regex; \A and \z: `$` would also accept a final newline.
_IDENTIFIER_JAVA = rf"\A[A-Za-z_][A-Za-z0-9_]{{0,{MAX_LENGTH - 1}}}\z"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_SHOWN])
    return shown + (f" (+{len(names) - _SHOWN} more)" if len(names) > _SHOWN else "")


def _near(columns: Sequence[ColumnSpec]) -> set[str]:
    """Lower-cased names a file might use for these (missing) columns: their landed names and names."""
    return {n.lower() for c in columns for n in (c.landed_name, c.name)}


def header_hint(header: Sequence[str], columns: Sequence[ColumnSpec]) -> str | None:
    """The hint for a CSV file with this header (computed once per header, on the driver), or None."""
    landed = {c.landed_name for c in columns}
    absent = [c for c in columns if c.landed_name not in header]
    near = _near(absent)
    odd = [h for h in dict.fromkeys(header) if h not in landed and (not is_identifier(h) or h.lower() in near)]
    if not absent or not odd:
        return None
    return f"file header lacks {_listed([c.landed_name for c in absent])} and has {_listed(odd)}{_ADVICE}"


def _listed_column(names: Column) -> Column:
    quoted = F.transform(F.slice(names, 1, _SHOWN), lambda n: F.concat(F.lit("'"), n, F.lit("'")))
    more = F.when(F.size(names) > _SHOWN, F.concat(F.lit(" (+"), (F.size(names) - _SHOWN).cast("string"),
                                                    F.lit(" more)"))).otherwise(F.lit(""))
    return F.concat(F.array_join(quoted, ", "), more)


def line_hint(unread: Column, missing: Column, columns: Sequence[ColumnSpec]) -> Column:
    """The hint for a JSON line, or null: header_hint's rule in Spark, per line. `unread`: the line's keys
    no contract column reads; `missing`: the landed names of the contract columns it lacks (string arrays)."""
    name_of = F.create_map(*[F.lit(x) for c in columns for x in (c.landed_name, c.name.lower())])
    near = F.concat(F.transform(missing, lambda n: F.lower(n)), F.transform(missing, lambda n: F.element_at(name_of, n)))
    odd = F.filter(unread, lambda k: ~k.rlike(_IDENTIFIER_JAVA) | F.array_contains(near, F.lower(k)))
    text = F.concat(F.lit("JSON line lacks "), _listed_column(missing), F.lit(" and has "), _listed_column(odd),
                    F.lit(_ADVICE))
    return F.when((F.size(missing) > 0) & (F.size(odd) > 0), text)
