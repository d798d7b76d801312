"""The top-k of a row's contributions (explain.top_k): largest |contribution| first, ties by feature name,
NaN last."""

from __future__ import annotations

import math

from pyspark.sql import functions as F

from lakehouse.scoring.explain import top_k

FEATURES = ["delta", "alpha", "charlie", "bravo"]


def _top(spark, rows: list[tuple[float, ...]], k: int) -> list[list[tuple[str, float]]]:
    frame = spark.createDataFrame(rows, ", ".join(f"{f} DOUBLE" for f in FEATURES))
    explanation = top_k(FEATURES, [F.col(f) for f in FEATURES], k)
    return [[(p[0], p[1]) for p in r["e"]] for r in frame.select(explanation.alias("e")).collect()]


def _sorted(row: tuple[float, ...], k: int) -> list[tuple[str, float]]:
    """The reference: pairs sorted by (-|c|, name), NaN last (Spark orders NaN above every number)."""
    def key(pair: tuple[str, float]) -> tuple[bool, float, str]:
        name, c = pair
        return (math.isnan(c), -abs(c) if not math.isnan(c) else 0.0, name)
    return sorted(zip(FEATURES, row, strict=True), key=key)[:k]


def test_largest_first_ties_by_name_nan_last(spark):
    rows = [(0.1, -0.5, 0.3, 0.2),  # distinct: alpha, charlie, bravo, delta
            (0.5, -0.5, 0.5, 0.0),  # a three-way tie on |c|: by name alpha, charlie, delta
            (float("nan"), 0.0, -0.0, 1.0),  # NaN last; 0.0 and -0.0 tie
            (0.0, 0.0, 0.0, 0.0)]
    for k in (1, 3, 4, 10):
        found = _top(spark, rows, k)
        for row, top in zip(rows, found, strict=True):
            expected = _sorted(row, k)
            assert [f for f, _ in top] == [f for f, _ in expected], (row, k)
            assert all(c == e or (math.isnan(c) and math.isnan(e)) for (_, c), (_, e) in zip(top, expected, strict=True))
    assert [f for f, _ in _top(spark, rows, 2)[1]] == ["alpha", "charlie"]
