"""Score drift: the population stability index (PSI), and scoring's reference distribution.

PSI is computed here only, for two measures named for what they compare:
- `psi_vs_test_window` (scoring's `score_drift` check): a day's probabilities against the distribution the
  model produced on its own test window (the held-out days its metrics and the champion gate were
  measured on);
- `psi_vs_prior_days` (monitoring.model_performance): a day's probabilities against the same model
  version's scores of the days before it (monitoring.yaml drift.reference_days).
Both cut the reference into quantile bins (`quantiles`, `quantile_edges`: one percentile_approx sketch), put a
score in bin sum_i(p > edge_i) (`bin_index`, the same expression for the reference and for the day, so
ties at an edge are counted alike) and compare the shares per bin (`psi`).

Scoring's reference is computed once per model version -- score the test split of the training table
at the Delta version the model was trained from (version tags `training_table`, `training_week`), cut it
into quantile bins -- and stored as the version tag `scoring.score_reference`, so later runs read a tag
instead of rescoring a week of rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.config.identifiers import split_table_name
from lakehouse.ml.training_set import SPLIT, TRAINING_WEEK
from lakehouse.resources.catalog import double_literal, quote
from lakehouse.resources.delta_write import table_exists
from lakehouse.resources.spark import SparkResource
from lakehouse.scoring.predict import positive_probability

REFERENCE_TAG = "scoring.score_reference"
_FLOOR = 1e-4  # empty bins: PSI's log needs a positive share
# percentile_approx's accuracy: rank error at most 1 / 10 000 of the rows, so the edges are true quantiles
# to well within a bin (a bin holds 1 / bins of the rows).
QUANTILE_ACCURACY = 10_000


@dataclass(frozen=True)
class Reference:
    edges: list[float]
    fractions: list[float]
    rows: int
    source: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Reference:
        return cls(**json.loads(text))


def quantiles(p: Column, bins: int) -> Column:
    """The reference's bins - 1 inner quantiles of `p`, as ONE aggregate (to group or to run with others)."""
    return F.percentile_approx(p, F.array(*[F.lit(i / bins) for i in range(1, bins)]), QUANTILE_ACCURACY)


def quantile_edges(quantile_values: list[float]) -> list[float]:
    """Bin edges from `quantiles`' values: rounded (float noise), ties (many equal scores) merge bins."""
    return sorted(set(round(float(q), 9) for q in quantile_values))


def bin_index(p: Column, bin_edges: list[float] | list[Column]) -> Column:
    """The bin of score p: the number of edges below it (edges as numbers, or as columns of a joined row)."""
    index: Column = F.lit(0)
    for edge in bin_edges:
        index = index + (p > (edge if isinstance(edge, Column) else F.lit(edge))).cast("int")
    return index


def bin_counts(p: Column, bin_edges: list[float]) -> list[Column]:
    """One aggregate per bin (to run in the same Spark job as other aggregates)."""
    index = bin_index(p, bin_edges)
    return [F.sum((index == b).cast("long")).alias(f"_bin_{b}") for b in range(len(bin_edges) + 1)]


def histogram_aggregate(column: str, bin_edges: list[float]) -> Column:
    """Rows per bin (bin_index's bins) as ONE array aggregate, e.g. to observe during a write. Built as SQL
    text: the same expression from Column objects costs a py4j round trip per operator (~0.15 s a run
    on a busy driver, profiled)."""
    index = " + ".join(f"CAST({quote(column)} > {double_literal(edge)} AS INT)" for edge in bin_edges) or "0"
    counts = ", ".join(f"count(CASE WHEN {index} = {b} THEN 1 END)" for b in range(len(bin_edges) + 1))
    return F.expr(f"array({counts})")


def fractions(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [c / total for c in counts] if total else [0.0] * len(counts)


def psi(reference: list[float], current: list[float]) -> float:
    """sum (current - reference) * ln(current / reference), shares floored at 1e-4."""
    if len(reference) != len(current):
        raise ValueError(f"PSI over {len(reference)} reference bins and {len(current)} current bins")
    total = 0.0
    for r, c in zip(reference, current):
        r, c = max(r, _FLOOR), max(c, _FLOOR)
        total += (c - r) * math.log(c / r)
    return total


def reference_from_scores(scores: DataFrame, bins: int, source: str) -> Reference:
    """Quantile edges of column `p` and the share of rows per bin (one quantile job, one count job)."""
    head = scores.agg(quantiles(F.col("p"), bins).alias("_q")).first()
    # A null quantile array: no rows, raised below.
    cuts = quantile_edges(head["_q"]) if head is not None and head["_q"] is not None else []
    row = scores.agg(F.count(F.lit(1)).alias("_rows"), *bin_counts(F.col("p"), cuts)).first()
    if row is None or not row["_rows"]:
        raise ValueError(f"No reference rows in {source}")
    counts = [int(row[f"_bin_{b}"]) for b in range(len(cuts) + 1)]
    return Reference(edges=cuts, fractions=[round(f, 6) for f in fractions(counts)], rows=int(row["_rows"]),
                     source=source)


def _parse_table_tag(tag: str) -> tuple[str, int | None]:
    """`ml.training_set@v12` -> ("ml.training_set", 12)."""
    name, _, version = tag.partition("@v")
    return name, int(version) if version.isdigit() else None


def reference_for(model: Any, spark: SparkResource, client: Any, bins: int) -> Reference | str:
    """The model version's reference distribution (computed and tagged on first use), or why there is none."""
    stored = model.tags.get(REFERENCE_TAG)
    if stored:
        reference = Reference.from_json(stored)
        if len(reference.edges) <= bins - 1 and reference.source.endswith(f"bins={bins}"):
            return reference
    if "training_table" not in model.tags or "training_week" not in model.tags:
        return f"model {model.name} v{model.version} has no training_table / training_week tags (not trained here)"
    name, version = _parse_table_tag(model.tags["training_table"])
    ref = spark.table(*split_table_name(name, "training_table tag"))
    session = spark.spark_session
    if not table_exists(session, ref):
        return f"training table {name} (location {ref.location}) does not exist in this environment"
    reader = session.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    table = reader.load(ref.location) if ref.location else reader.table(ref.name)
    week = model.tags["training_week"]
    rows = table.where((F.col(TRAINING_WEEK) == F.lit(week).cast("date")) & (F.col(SPLIT) == "test"))
    scores = model.pipeline.transform(rows).select(positive_probability().alias("p"))
    source = f"{model.tags['training_table']} week {week} split=test bins={bins}"
    reference = reference_from_scores(scores, bins, source)
    client.set_model_version_tag(model.name, model.version, REFERENCE_TAG, reference.to_json())
    return reference
