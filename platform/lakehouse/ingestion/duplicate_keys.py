"""Duplicate keys: a key is loaded once, from the first file holding it, and every other row with it is
quarantined naming that file. Two cases: a key an earlier landing day already loaded (`earlier_keys` in
file_source.py, joined in by `join_loaded_before`), and a key repeated within the load (`flag_repeated`).

A key repeats in a handful of rows a day, if any. So the rows are not all sorted by key to find them:
one aggregation over the keys of the (cached) valid rows finds the keys that repeat and, for each, the row
it keeps; a broadcast of those few keys then flags the other rows in the pass that writes. More than
`REPEATED_KEYS_LIMIT` repeated keys (a file landed twice, say) take the window over every row instead, so
nothing that grows with the data is held on the driver.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.ingestion.raw_files import SOURCE_FILE

REASON = "_reason"  # why the row is quarantined ("; "-joined), null for a row that loads
CONTENT = "_content_hash"  # the row's content, hashed: breaks ties between rows of one key in one file
ROW = "_row_id"  # the row's place in the files as read: tells identical rows apart
REPEATED_KEYS_LIMIT = 100_000
_KEPT_FROM, _FIRST = "_kept_from", "_first"
# Which row of a key is kept: the first by source file, then by content, then by place in the file.
_ORDER_COLUMNS = (SOURCE_FILE, CONTENT, ROW)


def _order() -> Column:
    return F.struct(*[F.col(c) for c in _ORDER_COLUMNS])


def typed(name: str) -> str:
    """The staged column holding a contract column's typed value (files.split_valid)."""
    return f"_typed_{name}"


def duplicate_reason(keys: list[str], kept_from: Column) -> Column:
    # The same words whether the key was kept by this load or an earlier one: the reason does not depend
    # on how landing days were grouped into runs.
    return F.concat(F.lit(f"duplicate key {keys}: first kept from "), kept_from)


def join_loaded_before(rows: DataFrame, keys: list[str], loaded_before: DataFrame) -> DataFrame:
    """Each row with the file that an earlier landing day loaded its key from (`_kept_from`, null if none)."""
    kept = loaded_before.select(*[F.col(k).alias(f"_kept_{k}") for k in keys], F.col(SOURCE_FILE).alias(_KEPT_FROM))
    joined = rows.join(kept, on=[rows[typed(k)] == kept[f"_kept_{k}"] for k in keys], how="left")
    return joined.drop(*[f"_kept_{k}" for k in keys])


def flag_loaded_before(checked: DataFrame, keys: list[str]) -> DataFrame:
    """Valid rows whose key an earlier landing day already loaded are quarantined, naming that day's file:
    the earliest landing day keeps a key, whether the days ran one by one or as one range."""
    again = F.col(REASON).isNull() & F.col(_KEPT_FROM).isNotNull()
    reason = duplicate_reason(keys, F.col(_KEPT_FROM))
    return checked.withColumn(REASON, F.when(again, reason).otherwise(F.col(REASON))).drop(_KEPT_FROM)


def flag_repeated(checked: DataFrame, keys: list[str], scanned: DataFrame | None = None) -> DataFrame:
    """`checked` with the second and later valid rows of each key quarantined. Runs one Spark job over
    `scanned` (default `checked`; persist it first): the aggregation finding the repeated keys and the row
    each keeps, or with no keys a pass over the rows. `scanned` is `checked` with observations attached,
    for them to be reported by the same job (file_source.py counts the rows read so)."""
    rows = checked if scanned is None else scanned
    if not keys:
        rows.write.format("noop").mode("overwrite").save()
        return checked
    key_columns = [F.col(typed(k)) for k in keys]
    repeated = (rows.where(F.col(REASON).isNull()).groupBy(*key_columns)
                .agg(F.count(F.lit(1)).alias("_rows"), F.min(_order()).alias(_FIRST))
                .where(F.col("_rows") > 1).drop("_rows"))
    found = repeated.limit(REPEATED_KEYS_LIMIT + 1).collect()
    if not found:
        return checked
    if len(found) > REPEATED_KEYS_LIMIT:
        return _keep_first(checked, keys)
    kept = checked.sparkSession.createDataFrame(found, repeated.schema)
    kept = kept.select(*[F.col(typed(k)).alias(f"_repeated_{k}") for k in keys], _FIRST)
    matched = [checked[typed(k)].eqNullSafe(kept[f"_repeated_{k}"]) for k in keys]
    marked = checked.join(F.broadcast(kept), on=matched, how="left").drop(*[f"_repeated_{k}" for k in keys])
    another = F.col(REASON).isNull() & F.col(_FIRST).isNotNull() & (_order() != F.col(_FIRST))
    reason = duplicate_reason(keys, F.col(_FIRST)[SOURCE_FILE])
    return marked.withColumn(REASON, F.when(another, reason).otherwise(F.col(REASON))).drop(_FIRST)


def _keep_first(checked: DataFrame, keys: list[str]) -> DataFrame:
    """The window: per key among valid rows, the first by source file, then by content, is kept; the others
    are quarantined naming its file. Deterministic, whichever rows the run read first."""
    valid = F.col(REASON).isNull()
    window = Window.partitionBy(valid, *[F.col(typed(k)) for k in keys]).orderBy(*_ORDER_COLUMNS)
    rank = F.row_number().over(window)
    duplicate = duplicate_reason(keys, F.first(SOURCE_FILE).over(window))
    return checked.withColumn(REASON, F.when(valid & (rank > 1), duplicate).otherwise(F.col(REASON)))
