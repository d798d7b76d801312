"""The data half of a scaffolded dataset: dataset.yaml, contracts.yaml, sources.yaml, processing.yaml and
features.yaml, each opening with what to check and change. render_stages.py writes the other six."""

from __future__ import annotations

from datetime import date

from lakehouse_tools.scaffold.infer import ColumnGuess
from lakehouse_tools.scaffold.plan import Plan
from lakehouse_tools.scaffold.render_stages import PREDICTIONS, STAGE_FILES, predictions_columns
from lakehouse_tools.scaffold.yamltext import comment, flow, scalar, text

Files = dict[str, str]
DOC = "docs/changing-the-data-model.md"


def render(plan: Plan, description: str | None = None) -> Files:
    """Every file of the dataset folder, by file name."""
    files = {
        "dataset.yaml": _dataset(plan, description),
        "contracts.yaml": _contracts(plan),
        "sources.yaml": _sources(plan),
        "processing.yaml": _processing(plan),
        "features.yaml": _features(plan),
    }
    return files | {name: build(plan) for name, build in STAGE_FILES.items()}


def _header(plan: Plan, what: str, change: str) -> list[str]:
    return comment(f"{what} Scaffolded by `lakehouse new-dataset {plan.name}` from {plan.sample_file} on "
                   f"{date.today().isoformat()}; {DOC} says what each file decides.\nTo change: {change}")


def _dataset(plan: Plan, description: str | None) -> str:
    about = description or f"Rows of {plan.sample_file} (scaffolded): say what one row is and where the files come from."
    return text([
        *_header(plan, "The dataset, validated by lakehouse/config/dataset.py.",
                 "the description and owner (shown on every asset); the start date if older days matter."),
        f"description: {scalar(about)}",
        f"owner: {scalar(plan.owner)}",
        "partitions:",
        f"  start_date: {plan.start_date.isoformat()}   # the month of the sample's first event: no earlier day is processed",
        "  timezone: UTC",
        "schedules:",
        "  daily: {hour: 2, minute: 0}   # the labels' maturity refresh runs an hour later (no database source to read)",
    ])


def _column(column: ColumnGuess, plan: Plan) -> dict[str, object]:
    entry: dict[str, object] = {"name": column.name}
    if column.source_name is not None:
        entry["source_name"] = column.source_name
    entry["type"] = column.type
    if column.format is not None:
        entry["format"] = column.format
    if column.missing_values:
        entry["missing_values"] = list(column.missing_values)
    if column.required or any(column is c for c in (plan.key_column, plan.time, plan.entity)):
        entry["required"] = True
    if column is plan.key_column:
        entry["unique"] = True
    shown = ", ".join(repr(v[:30]) for v in column.examples)
    entry["description"] = f"TODO: what {column.name} means (sample: {shown})." if shown else f"TODO: what {column.name} means."
    return entry


def _column_notes(column: ColumnGuess, plan: Plan) -> list[str]:
    notes = list(column.notes)
    if column is plan.key_column:
        notes.append(f"The key ({plan.key.reason}): silver keeps one row per value, bronze quarantines a repeat.")
        if plan.key.warning:
            notes.append(f"CHECK: {plan.key.warning}.")
    if column is plan.time:
        notes.append("The event time: bronze and silver place each row in its day from it (required).")
        if not plan.time_of_day:
            notes.append("The files hold dates: read as a timestamp at midnight UTC.")
        elif column.format is not None and not any(z in column.format for z in "XZ"):
            notes.append("Values without a zone are read as UTC; add `timezone: Europe/Paris` (IANA) if they are local time.")
    if column is plan.entity:
        notes.append("The entity (--entity): required, since gold's per-entity features need it on every row.")
    return [line for note in notes for line in comment(note, "    ")]


def _contracts(plan: Plan) -> str:
    lines = _header(plan, "The contracts, validated by lakehouse/config/contracts.py (docs/adding-a-source.md, step 1):"
                    f" `{plan.name}`, the rows of the files, and `{PREDICTIONS}`, the scored rows.",
                    f"CHECK each type and `required`, inferred from {plan.sample_rows} sample rows "
                    " (an empty value in a required column quarantines its row); write each "
                    "description (the UI shows it); add rules: min, max, allowed, soft_max, earliest. A header that "
                    "is not a safe name is read from `source_name`: the tables use `name`.")
    lines += [f"{plan.name}:", f"  description: {scalar(f'One row of {plan.sample_file}, as landed (TODO: what it is).')}",
              "  columns:"]
    for column in plan.columns:
        lines += _column_notes(column, plan)
        lines.append(f"    - {flow(_column(column, plan))}")
    lines += [f"{PREDICTIONS}:",
              "  description: \"One scored row: the model's probability that the label is 1, stamped with the model "
              "that made it (scoring/predictions).\"",
              "  columns:"]
    lines += [f"    - {flow(entry)}" for entry in predictions_columns(plan)]
    return text(lines)


def _sources(plan: Plan) -> str:
    lines = _header(plan, "The one file source (docs/adding-a-source.md), validated by lakehouse/config/sources.py.",
                    f"owners; the quarantine shares once you know how dirty the files are. Files land under <data "
                    f"root>/landing/{plan.name}/<YYYY-MM-DD>/, one folder per landing day (`lakehouse land` "
                    "splits a file into its event days).")
    lines += [f"{plan.name}:",
              f"  description: {scalar(f'Files like {plan.sample_file} ({plan.format}), one folder per landing day.')}",
              f"  format: {plan.format}",
              f"  location: landing/{plan.name}",
              f"  contract: {plan.name}",
              "  ingest_mode: incremental",
              f"  keys: [{plan.key_column.name}]",
              f"  event_time_column: {plan.time.name}",
              f"  owners: [{scalar(plan.owner)}]"]
    if plan.multiline:
        lines.append("  multiline: true               # quoted values span lines in the sample: each file is parsed whole")
    return text(lines)


def _processing(plan: Plan) -> str:
    key = plan.key_column.name
    lines = _header(plan, "Silver and the gold tables' names, validated by lakehouse/config/processing.py.",
                    "normalise spellings (below), the missing-value policies, the late tolerance of your feed.")
    lines += [f"features_table: {plan.name}_features",
              f"labels_table: {plan.name}_labels",
              "silver:",
              f"  table: {plan.name}",
              f"  description: {scalar(f'One row per {key}, cleaned, in the day of its {plan.time.name}.')}",
              f"  sources: [{plan.name}]",
              f"  contract: {plan.name}",
              f"  key: {key}",
              "  event_date: event_date",
              "  landing_date: landing_date",
              f"  late_tolerance_days: {plan.late_tolerance_days}       # day D's silver reads landing days D .. D + this",
              "  # normalise:                  # e.g. lower: [a_column]; aliases: {a_column: {spelling: canonical}};",
              "  #                             # valid_values: {a_column: [a, b]} (anything else -> null + a note)"]
    missing = [f for f in plan.features if f.nullable and f.transform == "passthrough"]
    if missing:
        lines += ["  missing:                      # empty in the sample: imputed by the model's pipeline (fitted in training)"]
        lines += [f"    - {flow({'column': f.name, 'policy': 'median' if f.kind == 'numeric' else 'mode'})}" for f in missing]
    return text(lines)


def _features(plan: Plan) -> str:
    lines = _header(plan, "The feature registry and the label, validated by lakehouse/config/features.py.",
                    "add features (builders: lakehouse/processing/features.py), drop weak ones (used_by_model: "
                    "false), describe them; the label.")
    lines += [f"entity: {plan.entity_name}" + ("" if plan.entity else
              "               # no --entity: silver's source name, one entity; name a column for per-entity history"),
              f"event_time: {plan.time.name}",
              "event_date: event_date",
              f"amount: {plan.amount.name if plan.amount else plan.key_column.name}"
              + ("" if plan.amount else "   # no numeric column: no rolling sums, `amount` is unused"),
              f"lookback_days: {7 if plan.entity else 0}" + ("" if plan.entity else "   # no history features")]
    if plan.left_out:
        lines += comment("Left out: " + "; ".join(f"{name}: {why}" for name, why in plan.left_out) + ".")
    lines.append("features:")
    for feature in plan.features:
        entry: dict[str, object] = {"name": feature.name}
        if feature.nullable:
            entry["nullable"] = True
        entry |= {"transform": feature.transform, "params": feature.params, "kind": feature.kind, "used_by_model": True,
                  "owner": plan.owner, "source_columns": list(feature.source_columns), "description": feature.description}
        lines.append(f"  - {flow(entry)}")
    lines += comment("The label: a Spark SQL condition over the silver row, 1 where true, 0 where false, unknown where "
                     "null. A model feature may not be computed from a column it names (leakage): such features are "
                     "left out above. A day's labels are final known_after_days after it.")
    lines += ["label:",
              f"  name: {plan.label_name}",
              f"  description: {scalar(f'1 when {plan.label_expression}.')}",
              f"  expression: {scalar(plan.label_expression)}",
              f"  known_after_days: {plan.known_after_days}"]
    return text(lines)
