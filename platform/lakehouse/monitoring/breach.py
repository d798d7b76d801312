"""Thresholds and breach episodes: pure functions shared by the monitoring asset (its WARN check and
metadata) and the retraining sensor. No pyspark: the sensor runs in the daemon.

An episode is a run of consecutive breached observations of one serving model version. Retraining is
requested once when an episode starts; a continuing breach of the same version asks for nothing more
(the retraining it already requested is the answer), while a breach by a different version -- a new
champion that is also failing -- starts a new episode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakehouse.config.monitoring import Thresholds

# metric name in the metadata -> (threshold field, "min" | "max")
LIMITS: dict[str, tuple[str, str]] = {
    "pr_auc": ("min_pr_auc", "min"),
    "recall": ("min_recall", "min"),
    "precision": ("min_precision", "min"),
    "psi_vs_prior_days": ("max_psi_vs_prior_days", "max"),
}
DRIFT = {"psi_vs_prior_days"}  # not evidence about labels: the matured window is not named after it


@dataclass(frozen=True)
class Breach:
    metric: str
    value: float
    limit: float
    kind: str  # "min" | "max"

    def message(self) -> str:
        sign = "<" if self.kind == "min" else ">"
        return f"{self.metric} {self.value:.4f} {sign} {self.kind} {self.limit}"


def judged(metrics: Mapping[str, Any], thresholds: Thresholds) -> set[str]:
    """Metrics that have both a threshold and a value in this observation."""
    return {m for m, (field, _) in LIMITS.items() if getattr(thresholds, field) is not None and metrics.get(m) is not None}


def breaches(metrics: Mapping[str, Any], thresholds: Thresholds) -> list[Breach]:
    """The thresholds the metrics cross. A metric that is absent or None (too few matured rows, no
    reference yet) is not judged: missing evidence is not a breach."""
    found = []
    for metric, (field, kind) in LIMITS.items():
        limit, value = getattr(thresholds, field), metrics.get(metric)
        if limit is None or value is None:
            continue
        if (kind == "min" and value < limit) or (kind == "max" and value > limit):
            found.append(Breach(metric, float(value), float(limit), kind))
    return found


def reason(found: list[Breach], context: Mapping[str, Any]) -> str:
    """Human-readable cause, with the evidence window: goes into run tags and logs."""
    window = ""
    if context.get("evaluated_from") and context.get("evaluated_to"):
        window = (f" (matured {context['evaluated_from']}..{context['evaluated_to']}, "
                  f"{context.get('evaluated_rows', '?')} rows)")
    perf = [b.message() for b in found if b.metric not in DRIFT]
    drift = [b.message() for b in found if b.metric in DRIFT]
    parts = ([", ".join(perf) + window] if perf else []) + drift
    return "; ".join(parts)


@dataclass(frozen=True)
class Episode:
    since: str  # first breached day
    model_version: str
    metrics: tuple[str, ...]


def step(
    episode: Episode | None, day: str, model_version: str, found: list[Breach], seen: set[str]
) -> tuple[Episode | None, bool]:
    """(episode after this observation, whether to request retraining now). `seen`: the metrics judged
    in this observation (see `judged`)."""
    if found:
        if episode is not None and episode.model_version == model_version:
            return episode, False
        return Episode(day, model_version, tuple(sorted(b.metric for b in found))), True
    if episode is not None and not set(episode.metrics) <= seen:
        return episode, False  # the breached metric could not be judged today: no evidence of recovery
    return None, False  # recovered: a later breach is a new episode
