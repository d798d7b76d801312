"""`scoring/predictions` (seed notebook `batch_scoring`): one day of gold features scored by a registered
model, written to `scoring.predictions` by the Delta IO manager, with its checks.

The notebook's parameters are the asset's run config (Launchpad), defaulting from scoring.yaml. Thin
wiring: model.py loads, predict.py scores, explain.py / treeshap.py explain, checks.py / drift.py check.
"""

# No `from __future__ import annotations`: Dagster resolves the resource annotations at definition time.

from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MetadataValue,
    Output,
    multi_asset,
)
from pydantic import Field
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.config.contracts import Contract, load_contracts
from lakehouse.config.dataset import DatasetConfig
from lakehouse.config.identifiers import dataset_key, table_name_of
from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.config.scoring import ScoringSettings, load_scoring_config
from lakehouse.ingestion.checks import contract_rules, violation_counts
from lakehouse.ingestion.file_source import in_window
from lakehouse.ml.features import load_feature_spec
from lakehouse.partitions import Calendar
from lakehouse.resources.delta_io_manager import ObservedFrame
from lakehouse.resources.delta_write import read_table, table_exists
from lakehouse.resources.mlflow import MlflowResource
from lakehouse.resources.spark import SparkResource
from lakehouse.run_config import config_schema, op_config, require_table
from lakehouse.scoring import checks
from lakehouse.scoring.drift import Reference, reference_for
from lakehouse.scoring.explain import EXPLANATION
from lakehouse.scoring.export import EXPORT_JOB
from lakehouse.scoring.model import model_for_run
from lakehouse.scoring.predict import explanation_method, score, stamp_for

OUTPUT_MODES = ("overwrite", "append", "merge")
OP_NAME, OUTPUT = "scoring__predictions", "predictions"  # run config: ops: {scoring__predictions: {config: ...}}


class ScoringRunConfig(Config):
    """The seed notebook's `batch_scoring` parameters; each defaults to scoring.yaml."""

    model_name: str = Field(description="Registered MLflow model name.")
    model_version: str = Field(description=(
        "`production` (the champion alias), `latest` (highest version), a version number, or an alias."))
    input_table: str = Field(description=(
        "Gold features, <schema>.<table>: the table of scoring.yaml's `features_asset` (the declared upstream). "
        "Another value fails the run: lineage would name a table the run did not read."))
    output_table: str = Field(description=(
        "Predictions, <schema>.<table>: the table of this asset's key (scoring.yaml `predictions_asset`). "
        "Another value fails the run before anything is read; to put predictions elsewhere, run the "
        "`export_predictions` job (files) or define a different asset."))
    output_mode: str = Field(description=(
        "overwrite: replace the partition window; append: add rows; merge: upsert on the key."))


def run_defaults(settings: ScoringSettings) -> dict[str, Any]:
    """scoring.yaml's values of the notebook's parameters (the Launchpad's defaults)."""
    return {"model_name": settings.model_name, "model_version": settings.model_version,
            "input_table": table_name_of(settings.features_key),
            "output_table": table_name_of(settings.predictions_key),
            "output_mode": settings.output_mode}


def build_scoring_assets(
    dataset: DatasetConfig, calendar: Calendar, settings: ScoringSettings | None = None, ml: MlConfig | None = None
) -> list[AssetsDefinition]:
    """The daily predictions asset; `settings` / `ml` override scoring.yaml / ml.yaml (tests, benchmark)."""
    settings = settings or load_scoring_config(dataset.name)
    contract = load_contracts(dataset.name)[settings.contract]
    champion_alias = (ml or load_ml_config(dataset.name)).registry.champion_alias
    model_features = load_feature_spec(dataset.name).columns  # the gold columns models read (used_by_model)
    descriptions = {**contract.descriptions(), EXPLANATION: (
        "Top-k features by |contribution| to this row's score: [{feature, contribution}], null when explanations "
        "are off (linear: coefficient x standardised value, logit scale; trees: SHAP values, or Saabas path "
        "attributions with explanations.tree_method: approximate).")}
    explain_mode = settings.explanations.mode
    # Lineage follows the configured input (card_fraud: gold/transaction_features; churn: gold/account_features).
    features_key = AssetKey(dataset_key(dataset.name, settings.features_key))
    predictions_key = AssetKey(dataset_key(dataset.name, settings.predictions_key))

    out = AssetOut(
        key=predictions_key,
        metadata={"partition_expr": settings.event_date, "merge_keys": [settings.key],
                  "column_descriptions": descriptions},
        owners=[dataset.owner],
        kinds={"spark", "delta", "mlflow"},
        description=f"Transactions of the day scored by `{settings.model_name}` ({settings.model_version}), stamped "
                    f"with the model version and threshold; explanations {explain_mode}.",
    )

    # A multi_asset because only it can be subset: a run may deselect checks (e.g. a large backfill).
    @multi_asset(
        name=OP_NAME,
        outs={OUTPUT: out},
        partitions_def=calendar.daily,
        deps=[features_key],  # read by name (the window of a single-run backfill), never another table
        check_specs=checks.check_specs(predictions_key, contract.name, settings.drift.psi_warn),
        can_subset=True,
        group_name="scoring",
        backfill_policy=BackfillPolicy.single_run(),
        config_schema=config_schema(ScoringRunConfig, run_defaults(settings)),
    )
    def predictions(context: AssetExecutionContext, spark: SparkResource, mlflow: MlflowResource):
        config = run_config(context, settings)
        yield from _score_window(context, config, spark, mlflow, settings, contract, champion_alias, model_features,
                                 (features_key, predictions_key))

    return [predictions]


def require_own_tables(config: ScoringRunConfig, settings: ScoringSettings) -> None:
    """`input_table` / `output_table` name the tables of the declared upstream and of this asset, or the run
    fails here, before anything is read or written (lakehouse/run_config.py)."""
    require_table("input_table", config.input_table, settings.features_key,
                  "to score other features, point scoring.yaml `features_asset` at their asset.")
    require_table("output_table", config.output_table, settings.predictions_key,
                  f"to write predictions elsewhere, run the `{EXPORT_JOB}` job (files) or define a different asset.")


def run_config(context: AssetExecutionContext, settings: ScoringSettings) -> ScoringRunConfig:
    config = op_config(context, ScoringRunConfig)
    require_own_tables(config, settings)
    return config


def _score_window(context: AssetExecutionContext, config: ScoringRunConfig, spark: SparkResource, mlflow: MlflowResource,
                  settings: ScoringSettings, contract: Contract, champion_alias: str, model_features: list[str],
                  keys: tuple[AssetKey, AssetKey]):
    if config.output_mode not in OUTPUT_MODES:
        raise ValueError(f"output_mode {config.output_mode!r} is not one of {OUTPUT_MODES}")
    features_key, key = keys
    source, target = spark.table_for(features_key.path), spark.table_for(key.path)
    session = spark.spark_session
    rows = _input_rows(session, source)
    window = context.partition_time_window  # the whole range in a single-run backfill
    start, end = window.start.date(), window.end.date()
    model = model_for_run(context.run.run_id, mlflow, config.model_name, config.model_version, champion_alias)
    reference = reference_for(model, spark, mlflow.client(), settings.drift.bins)
    # Only the checks selected for this run (the Launchpad and backfills can deselect them).
    wanted = {key.name for key in context.selected_asset_check_keys}
    # Counted while the IO manager writes, like the stats below: counting the input apart is a Spark job.
    features = ObservedFrame(in_window(rows, settings.event_date, start, end), {"input_rows": F.count(F.lit(1))})
    stamp = stamp_for(model, datetime.now(UTC))
    explanations = settings.explanations
    scored = score(model, features.df, contract, stamp, model_features, explanations)
    # No cache and no aggregation before the write: the write computes the rows once, and the stats and
    # the contract's rule counts with them; the IO manager puts the stats on the materialisation.
    observed = checks.stat_columns(reference.edges if isinstance(reference, Reference) else None)
    rules = contract_rules(contract, scored.columns) if checks.CONTRACT in wanted else {}
    if rules:
        observed[checks.VIOLATIONS] = violation_counts(rules)
    output = ObservedFrame(scored, observed, published=checks.STATS)
    explained = (f"on (top {explanations.top_k}, {explanations.rows} rows, {explanation_method(model, explanations)})"
                 if explanations.mode == "on" else "off")
    yield Output(output, output_name=OUTPUT, metadata=_metadata(config, model, mlflow, stamp, explained))
    # Dagster ran the IO manager before resuming here: the rows are committed, the values observed.
    stats = output.values()
    if wanted & {checks.ROWS, checks.VERSION, checks.CONTRACT}:
        # One aggregation over the committed window (one partition's files) serves the three checks.
        table = read_table(session, target)
        done = checks.committed(table, settings.event_date, start, end, stamp.scored_at,
                                contract.keys if checks.CONTRACT in wanted else None)
        if checks.ROWS in wanted:
            yield checks.rows_result(key, done.rows_of_run, features.values()["input_rows"],
                                     done.rows_in_window)
        if checks.VERSION in wanted:
            yield checks.version_result(key, mlflow.client(), model.name, model.version, done.versions)
        if checks.CONTRACT in wanted:
            yield checks.contract_result(key, contract, table.schema, list(rules),
                                         stats.get(checks.VIOLATIONS, []), done)
    if checks.DRIFT in wanted:
        yield checks.drift_result(key, reference, stats.get(checks.HISTOGRAM) or [], settings.drift.psi_warn)


def _input_rows(session: Any, source: Any) -> DataFrame:
    """The input table; a missing one is named. Probed only on failure: DESCRIBE DETAIL is a Delta query."""
    try:
        rows = read_table(session, source)
        _ = rows.columns  # analysed here on Spark Connect too
    except AnalysisException:
        if table_exists(session, source):
            raise
        raise FileNotFoundError(f"Input table {source.name} does not exist (location {source.location})") from None
    return rows


def _metadata(config: ScoringRunConfig, model: Any, mlflow: MlflowResource, stamp: Any, explained: str) -> dict[str, Any]:
    """What is known before the write; the IO manager adds the observed stats (rows_scored, ...)."""
    url = mlflow.run_url(model.experiment_id, model.run_id) if model.experiment_id else None
    version_url = mlflow.model_version_url(model.name, model.version)
    return {
        "write_mode": config.output_mode,
        "input_table": config.input_table,
        "model_name": model.name,
        "model_version": model.version,
        "model_version_spec": config.model_version,
        "model_family": model.family,
        "model_uri": model.uri,
        "mlflow_run_id": model.run_id,
        **({"mlflow_run_url": MetadataValue.url(url)} if url else {}),
        **({"mlflow_model_version_url": MetadataValue.url(version_url)} if version_url else {}),
        "threshold": model.threshold,
        "explanations": explained,
        "scored_at": stamp.scored_at.isoformat(),
    }
