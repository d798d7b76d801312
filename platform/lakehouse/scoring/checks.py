"""Checks on `scoring/predictions`, declared with the asset and returned with its materialisation.

- `rows_match_input` (blocking): rows this run committed to the window (its `scored_at`, read back from
  Delta) = input rows. Counting this run's rows, not the window's, keeps the check true to every output
  mode (append adds rows).
- `contract` (blocking): the run's rows against the `predictions` contract (pandera): probabilities in
  [0, 1], no null prediction, unique transaction ids, types. Validated on the cached rows that were
  written (pandera runs a Spark job per rule: reading Delta again for each would double the run).
- `model_version_exists` (blocking): the version is still registered and every committed row of the run
  names it.
- `score_drift` (WARN): PSI of the day's scores against the model's test window (drift.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.scoring.drift import Reference, bin_counts, fractions, psi

ROWS, CONTRACT, VERSION, DRIFT = "rows_match_input", "contract", "model_version_exists", "score_drift"


def check_specs(key: AssetKey, contract_name: str, psi_warn: float) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(ROWS, asset=key, blocking=True,
                       description="Rows scored by this run in the partition window = input rows of the window."),
        AssetCheckSpec(CONTRACT, asset=key, blocking=True,
                       description=f"This run's rows conform to the `{contract_name}` contract (pandera.pyspark): "
                                   "probabilities in [0, 1], no null predictions, unique keys."),
        AssetCheckSpec(VERSION, asset=key, blocking=True,
                       description="The model version is registered and stamped on every row of this run."),
        AssetCheckSpec(DRIFT, asset=key,
                       description=f"WARN when the population stability index of the scores against the model's "
                                   f"test window exceeds {psi_warn}."),
    ]


@dataclass(frozen=True)
class ScoreStats:
    """Aggregates of one run's scores, from one Spark job."""

    rows: int
    positives: int
    histogram: list[int]  # rows per drift bin (empty without a reference)

    @property
    def positive_rate(self) -> float:
        return self.positives / self.rows if self.rows else 0.0


def score_stats(scored: DataFrame, edges: list[float] | None) -> ScoreStats:
    bins = bin_counts(F.col("probability"), edges) if edges is not None else []
    row = scored.agg(F.count(F.lit(1)).alias("_rows"),
                     F.sum(F.col("prediction").cast("long")).alias("_positives"), *bins).first()
    if row is None:
        raise RuntimeError("Aggregation over the scored rows returned nothing")
    histogram = [int(row[f"_bin_{b}"] or 0) for b in range(len(edges) + 1)] if edges is not None else []
    return ScoreStats(rows=int(row["_rows"]), positives=int(row["_positives"] or 0), histogram=histogram)


@dataclass(frozen=True)
class Committed:
    """What the window of the output table holds after the write (one Spark job)."""

    rows_in_window: int
    rows_of_run: int
    versions: list[str]  # model versions stamped on the run's rows


def committed(table: DataFrame, event_date: str, start: date, end: date, scored_at: datetime) -> Committed:
    ours = F.col("scored_at") == F.lit(scored_at).cast("timestamp")
    window = table.where((F.col(event_date) >= F.lit(start)) & (F.col(event_date) < F.lit(end)))
    row = window.agg(F.count(F.lit(1)).alias("window"), F.sum(ours.cast("long")).alias("run"),
                     F.collect_set(F.when(ours, F.col("model_version"))).alias("versions")).collect()[0]
    return Committed(int(row["window"]), int(row["run"] or 0), sorted(row["versions"]))


def rows_result(key: AssetKey, written_by_run: int, input_rows: int, rows_in_window: int) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=key, check_name=ROWS, passed=written_by_run == input_rows,
        metadata={"rows_scored": written_by_run, "input_rows": input_rows, "rows_in_window": rows_in_window},
    )


def version_result(key: AssetKey, client: Any, name: str, version: str, stamped: list[str]) -> AssetCheckResult:
    """Registered (the registry answers for it) and the only version stamped on the run's rows."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_model_version(name, version)
        registered, reason = True, "registered"
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise  # the registry could not answer: that is an error, not a check result
        registered, reason = False, error.message
    return AssetCheckResult(
        # An empty window (no transactions that day) names no version, and is no failure of this check.
        asset_key=key, check_name=VERSION, passed=registered and set(stamped) <= {version},
        metadata={"model": f"{name} v{version}", "registry": reason, "versions_on_rows": ", ".join(map(str, stamped))},
    )


def drift_result(key: AssetKey, reference: Reference | str, histogram: list[int], psi_warn: float) -> AssetCheckResult:
    if isinstance(reference, str):  # no reference window: say so, visibly, without blocking scoring
        return AssetCheckResult(asset_key=key, check_name=DRIFT, passed=False, severity=AssetCheckSeverity.WARN,
                                metadata={"psi": "n/a", "reason": f"no reference distribution: {reference}"})
    if not sum(histogram):
        return AssetCheckResult(asset_key=key, check_name=DRIFT, passed=False, severity=AssetCheckSeverity.WARN,
                                metadata={"psi": "n/a", "reason": "no rows scored in the window"})
    value = psi(reference.fractions, fractions(histogram))
    return AssetCheckResult(
        asset_key=key, check_name=DRIFT, passed=value <= psi_warn, severity=AssetCheckSeverity.WARN,
        metadata={"psi": round(value, 6), "psi_warn": psi_warn, "reference": reference.source,
                  "reference_rows": reference.rows, "bins": len(reference.fractions),
                  "reference_shares": ", ".join(f"{f:.3f}" for f in reference.fractions),
                  "current_shares": ", ".join(f"{f:.3f}" for f in fractions(histogram))},
    )
