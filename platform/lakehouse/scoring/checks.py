"""Checks on `scoring/predictions`, declared with the asset and returned with its materialisation.

No check reads the scored rows a second time: the run's stats (rows, positive rate, drift histogram),
its input row count and its rows breaking a contract rule are observed while the IO manager writes
(ObservedFrame, no extra Spark job), and what needs the committed table -- this run's rows, the model
versions on them, duplicate keys -- is one aggregation over the window read back from Delta.

- `rows_match_input` (blocking): rows this run committed to the window (its `scored_at`, read back from
  Delta) = input rows (observed during the write). Counting this run's rows, not the window's, keeps the
  check true to every output mode (append adds rows).
- `contract` (blocking): the run's rows against the `predictions` contract, by ingestion's contract
  rules (ingestion/checks.py): the committed table's column types, required = not null, min / max,
  allowed values (counted while writing), unique keys (among the committed rows of the run).
- `model_version_exists` (blocking): the version is still registered and every committed row of the run
  names it.
- `score_drift` (WARN): `psi_vs_test_window`, the PSI of the day's scores against the model's test window
  (drift.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse.config.contracts import Contract
from lakehouse.ingestion.checks import contract_verdict, duplicate_count
from lakehouse.scoring.drift import Reference, fractions, histogram_aggregate, psi

ROWS, CONTRACT, VERSION, DRIFT = "rows_match_input", "contract", "model_version_exists", "score_drift"
PSI = "psi_vs_test_window"  # score_drift's measure; monitoring's is psi_vs_prior_days (drift.py)


def check_specs(key: AssetKey, contract_name: str, psi_warn: float) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(ROWS, asset=key, blocking=True,
                       description="Rows scored by this run in the partition window = input rows of the window."),
        AssetCheckSpec(CONTRACT, asset=key, blocking=True,
                       description=f"This run's rows conform to the `{contract_name}` contract: types, "
                                   "probabilities in [0, 1], no null predictions, unique keys."),
        AssetCheckSpec(VERSION, asset=key, blocking=True,
                       description="The model version is registered and stamped on every row of this run."),
        AssetCheckSpec(DRIFT, asset=key,
                       description=f"WARN when psi_vs_test_window, the population stability index of the scores "
                                   f"against the model's test window, exceeds {psi_warn}."),
    ]


# Names of the observed stats: also the materialisation's metadata keys (the UI shows them).
ROWS_SCORED, POSITIVE_RATE, HISTOGRAM = "rows_scored", "predicted_positive_rate", "score_histogram"
STATS = (ROWS_SCORED, POSITIVE_RATE, HISTOGRAM)
VIOLATIONS = "contract_violations"  # observed too, for the contract check only: rows per rule, in rule order

# The aggregates below are SQL text, parsed once by Spark: built from Column objects (a py4j round trip
# per operator, ~150 of them) they cost ~0.15 s a run on a busy driver (profiled), 3 % of a 100k-row run.
# The histogram is drift.histogram_aggregate, so the day is binned exactly as the reference was.


def stat_columns(edges: list[float] | None) -> dict[str, Column]:
    """The run's stats as aggregates to observe on the scored rows (ObservedFrame): no extra Spark job.
    `score_histogram`: rows per drift bin, binned as drift.bin_index does (only with a reference's edges)."""
    stats = {ROWS_SCORED: F.expr("count(1)"),
             POSITIVE_RATE: F.expr("round(coalesce(avg(CAST(prediction AS DOUBLE)), 0D), 6)")}
    if edges is not None:
        stats[HISTOGRAM] = histogram_aggregate("probability", edges)
    return stats


@dataclass(frozen=True)
class Committed:
    """What the window of the output table holds after the write (one Spark job)."""

    rows_in_window: int
    rows_of_run: int
    versions: list[str]  # model versions stamped on the run's rows: the lowest and the highest
    duplicates: int = 0  # rows of the run beyond the first of their key (with `keys`)


def committed(table: DataFrame, event_date: str, start: date, end: date, scored_at: datetime,
              keys: list[str] | None = None) -> Committed:
    """The window's rows and, among them, this run's: count, versions, duplicate `keys`. One aggregation."""
    ours = F.col("scored_at") == F.lit(scored_at).cast("timestamp")
    window = table.where((F.col(event_date) >= F.lit(start)) & (F.col(event_date) < F.lit(end)))
    version = F.when(ours, F.col("model_version"))
    # Versions as min and max, not collect_set: beside a distinct count, an object aggregate makes Spark
    # carry every row's partial set through the extra shuffle (measured at 100k rows: twice the time).
    aggregates = [F.count(F.lit(1)).alias("window"), F.sum(ours.cast("long")).alias("run"),
                  F.min(version).alias("first"), F.max(version).alias("last")]
    if keys:  # the run's keyed rows beyond the first of their key
        aggregates.append(duplicate_count(keys, among=ours).alias("duplicates"))
    row = window.agg(*aggregates).collect()[0]
    versions = sorted({v for v in (row["first"], row["last"]) if v is not None})  # one, unless mixed
    return Committed(int(row["window"]), int(row["run"] or 0), versions, int(row["duplicates"]) if keys else 0)


def rows_result(key: AssetKey, written_by_run: int, input_rows: int, rows_in_window: int) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=key, check_name=ROWS, passed=written_by_run == input_rows,
        metadata={"rows_scored": written_by_run, "input_rows": input_rows, "rows_in_window": rows_in_window},
    )


def contract_result(key: AssetKey, contract: Contract, schema: StructType, rules: list[str], counts: list[int],
                    done: Committed) -> AssetCheckResult:
    """`rules` / `counts`: the observed violations (ingestion.checks.violation_counts); `schema`: the
    committed table's."""
    return contract_verdict(key, contract, schema, dict(zip(rules, counts, strict=True)), done.duplicates,
                            done.rows_of_run)


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
                                metadata={PSI: "n/a", "reason": f"no reference distribution: {reference}"})
    if not sum(histogram):
        return AssetCheckResult(asset_key=key, check_name=DRIFT, passed=False, severity=AssetCheckSeverity.WARN,
                                metadata={PSI: "n/a", "reason": "no rows scored in the window"})
    value = psi(reference.fractions, fractions(histogram))
    return AssetCheckResult(
        asset_key=key, check_name=DRIFT, passed=value <= psi_warn, severity=AssetCheckSeverity.WARN,
        metadata={PSI: round(value, 6), "psi_warn": psi_warn, "reference": reference.source,
                  "reference_rows": reference.rows, "bins": len(reference.fractions),
                  "reference_shares": ", ".join(f"{f:.3f}" for f in reference.fractions),
                  "current_shares": ", ".join(f"{f:.3f}" for f in fractions(histogram))},
    )
