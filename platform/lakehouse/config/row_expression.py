"""A Spark SQL condition over one row (features.yaml `label.expression`), checked without a JVM.

sqlglot (dialect "spark") parses the text, so a definitions load rejects what Spark would reject at run
time, hours later: a syntax error, an unknown column, a result that is not true / false. It also refuses
what would make a label depend on something other than its own row — another table (a subquery),
other rows (an aggregate, a window), or the clock or chance (current_date(), rand()) — so a day's labels
are the same whenever they are rebuilt. Spark evaluates the text as written (`F.expr`), never sqlglot's
rewrite of it; a function sqlglot does not know is left for Spark to judge.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

DIALECT = "spark"
_ROW = "row"  # the table name the expression is typed against (any name: it never reaches Spark)

# What a per-row, repeatable label must not contain, with the reason the error gives.
_REFUSED: tuple[tuple[tuple[type[exp.Expr], ...], str], ...] = (
    ((exp.Query, exp.Subquery), "a subquery (it reads another table)"),
    ((exp.AggFunc, exp.Window), "an aggregate or window function (it reads other rows)"),
    ((exp.Rand, exp.Randn, exp.Randstr, exp.Uuid, exp.CurrentDate, exp.CurrentTime, exp.CurrentTimestamp,
      exp.CurrentTimestampLTZ, exp.CurrentDatetime),
     "a function of the clock or of chance (a rebuilt day would get other labels)"),
    ((exp.Placeholder, exp.Parameter, exp.Star), "a parameter or `*`"),
    ((exp.Alias,), "an alias (the label's name is label.name)"),
)


def parse_condition(text: str) -> exp.Expr:
    """The expression of `text`; ValueError saying why when it is not one per-row Spark SQL expression."""
    try:
        parsed = sqlglot.parse(text, dialect=DIALECT)
    except SqlglotError as error:
        raise ValueError(f"{text!r} does not parse as Spark SQL: {_reason(error)}") from error
    statements = [p for p in parsed if p is not None]
    if len(statements) != 1:
        raise ValueError(f"{text!r} must be one expression, found {len(statements)}")
    expression = statements[0]
    for kinds, reason in _REFUSED:
        found = next(iter(expression.find_all(*kinds)), None)
        if found is not None:
            raise ValueError(f"{text!r} contains {reason}: {found.sql(dialect=DIALECT)}")
    if next(iter(expression.find_all(exp.Column)), None) is None:
        raise ValueError(f"{text!r} names no column: a constant is not a label")
    qualified = sorted({c.sql(dialect=DIALECT) for c in expression.find_all(exp.Column) if c.table})
    if qualified:
        raise ValueError(f"{text!r} names {qualified}: columns of the row are named alone, without a table")
    return expression


def _reason(error: SqlglotError) -> str:
    """The parser's first complaint with where it is; its message underlines with terminal escape codes."""
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        return f"{first['description']} (line {first['line']}, column {first['col']})"
    return str(error)


def columns_of(text: str) -> list[str]:
    """The columns `text` names, as written, in order of first use (lambda variables are not columns)."""
    return list(dict.fromkeys(c.name for c in parse_condition(text).find_all(exp.Column)))


def check_condition(text: str, row_types: dict[str, str], row: str) -> None:
    """`text` names only columns of `row_types` ({name: Spark SQL type}; case-insensitive, as Spark
    resolves names) and, where sqlglot can type it, yields true / false. `row` names the row in errors."""
    known = {name.lower() for name in row_types}
    unknown = [c for c in columns_of(text) if c.lower() not in known]
    if unknown:
        raise ValueError(f"{text!r} names {unknown}, not columns of {row}; its columns: {sorted(row_types)}")
    kind = result_type(text, row_types)
    if kind is not None and kind.this != exp.DataType.Type.BOOLEAN:
        raise ValueError(f"{text!r} is of type {kind.sql(dialect=DIALECT)}, not a condition (true / false): the "
                         "label is 1 where it is true; compare a 0/1 column explicitly (`flag = 1`)")


def result_type(text: str, row_types: dict[str, str]) -> exp.DataType | None:
    """The type of `text` over a row of `row_types`, or None where sqlglot cannot tell (NULL, an unknown
    function): then Spark decides when the labels are built."""
    schema: dict[str, object] = {_ROW: row_types}
    select = exp.select(parse_condition(text).as_("v")).from_(_ROW)
    try:
        typed = annotate_types(qualify(select, schema=schema, dialect=DIALECT), schema=schema, dialect=DIALECT)
    except Exception:  # typing is a courtesy: where sqlglot's optimizer fails, Spark still checks at run time
        return None
    kind = typed.selects[0].type
    unknown = (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL)
    return None if kind is None or kind.this in unknown else kind
