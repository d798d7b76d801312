"""What `lakehouse new-dataset` prints: what it inferred and wrote, what to check, and the commands to run
the dataset, in order."""

from __future__ import annotations

import shlex
from pathlib import Path

from lakehouse.config.project import REPO_ROOT
from lakehouse_tools.scaffold.new_dataset import Result
from lakehouse_tools.scaffold.project import data_root
from lakehouse_tools.scaffold.render_stages import training_window


def _shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def summary(result: Result, sample: Path) -> list[str]:
    plan = result.plan
    lines = [f"Wrote {_shown(result.folder)}/: " + ", ".join(p.name for p in result.files if p.parent == result.folder)]
    lines += [f"Wrote {_shown(p)}" for p in result.files if p.parent != result.folder]
    lines += [f"  ({note})" for note in result.notes]
    lines += ["", f"Contract `{plan.name}` ({plan.sample_rows} sample rows, {plan.format}):"]
    width = max(len(c.name) for c in plan.columns)
    for column in plan.columns:
        always = column.required or any(column is c for c in (plan.time, plan.entity, plan.key_column))
        tags = [column.type, "required" if always else "nullable"]
        tags += [f"format {column.format}"] if column.format else []
        tags += [f"from {column.source_name!r}"] if column.source_name else []
        role = {plan.key.header: "KEY", plan.time.header: "EVENT TIME"}.get(column.header)
        role = role or ("ENTITY" if plan.entity is column else None)
        lines.append(f"  {column.name:<{width}}  {', '.join(tags)}" + (f"   <- {role}" if role else ""))
        lines += [f"  {'':<{width}}  note: {note}" for note in column.notes]
    lines.append(f"Key: {plan.key_column.name} ({plan.key.reason})")
    if plan.key.warning:
        lines.append(f"  CHECK: {plan.key.warning}")
    label = plan.label_on_sample
    on_sample = ("not evaluated in Python (Spark will)" if label is None else
                 f"{label.positive} rows 1, {label.negative} rows 0, {label.unknown} unknown")
    lines.append(f"Label `{plan.label_name}`: {plan.label_expression}   (on the sample: {on_sample})")
    if label is not None and label.positive + label.negative and (label.positive == 0 or label.negative == 0):
        lines.append("  CHECK: the label has one value only on the sample; training needs both")
    lines.append(f"Features ({len(plan.features)}): " + ", ".join(f.name for f in plan.features))
    lines += [f"  left out: {name}: {why}" for name, why in plan.left_out]
    lines += [f"Note: {note}" for note in plan.notes]
    if result.assets is not None:
        lines.append(f"Checked: every configuration file loads, and the Dagster definitions ({result.assets} assets) build.")
    return lines + ["", *next_steps(result, sample)]


def next_steps(result: Result, sample: Path) -> list[str]:
    name = result.plan.name
    root = REPO_ROOT / data_root(name)
    env = (f"export LAKEHOUSE_PROJECT_DIR={shlex.quote(str(result.project))} LAKEHOUSE_PROFILE={result.profile} "
           f"LAKEHOUSE_DATA_ROOT={shlex.quote(str(root))}")
    return [
        "Next:",
        "  1. Read the files' header comments, check the contract above (types, required, key), describe the columns.",
        f"  2. {env}",
        f"  3. lakehouse land {name} {shlex.quote(str(sample))}    # -> {data_root(name)}/landing/{name}/<day>/, one folder per event day",
        f"  4. make run DATASET={name}         # every landed day end to end once: ingest, process, train, score, report",
        f"  5. make dev DATASET={name}         # UI + daemon: the landing sensor ingests each new day, automation builds the rest",
        "  6. cd platform && dg check defs  # what CI checks: the definitions load",
        f"  7. beside other datasets: a location with `attribute: {result.profile}` in the workspace file "
        "(workspace.demos.yaml; docs/architecture.md, \"Several datasets\")",
        f"  Training (ml/model, one partition per week) reads {training_window(result.plan.known_after_days)}: "
        "make run trains the newest week your days cover; docs/changing-the-data-model.md, \"From a sample file\".",
    ]
