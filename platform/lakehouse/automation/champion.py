"""Optional (automation.yaml `champion_rescore`, off by default): when the weekly training promotes a new
champion, re-score the newest days that were scored with it, as one range run.

Hand-written because Declarative Automation cannot express it: scoring reads the model from the MLflow
registry, not as an asset input, so a promotion is no dependency update of the predictions' partitions.
The trigger is the model asset's materialisation with metadata `promoted: true` (ml/assets.py records it
with `model_version`). The re-scored predictions are then an ordinary upstream change: the automation
conditions rebuild those days' reports, weeks and months (automation/conditions.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import (
    AssetKey,
    AssetPartitionStatus,
    AssetRecordsFilter,
    AssetSelection,
    DefaultSensorStatus,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from lakehouse.config.automation import ChampionRescore
from lakehouse.config.identifiers import dataset_key

SENSOR_NAME = "rescore_on_new_champion"
PROMOTED, VERSION = "promoted", "model_version"  # metadata keys of the model asset
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def build_champion_rescore_sensor(
    config: ChampionRescore, target_partitions: PartitionsDefinition | None, dataset: str, name: str = SENSOR_NAME
) -> SensorDefinition | None:
    """The sensor, or None when the feature is disabled (nothing is added to the definitions). `config`
    names the dataset's assets (`ml/model`, `scoring/predictions`)."""
    if not config.enabled:
        return None
    if target_partitions is None:
        raise ValueError(f"champion_rescore.target {config.target!r} must be a daily partitioned asset")
    model, target = (AssetKey(dataset_key(dataset, k)) for k in (config.model_asset, config.target))

    @sensor(
        name=name, target=AssetSelection.assets(target), minimum_interval_seconds=config.minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING if config.default_status == "running"
        else DefaultSensorStatus.STOPPED,
        description=f"A champion promoted by {config.model_asset} re-scores the newest {config.days} scored days in one run.",
    )
    def _rescore(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        if not context.cursor:  # first start: begin after the newest event, replay nothing
            newest = context.instance.fetch_materializations(model, limit=1).records
            cursor = str(newest[0].storage_id) if newest else "0"
            return SensorResult(skip_reason=SkipReason("Watching promotions from now on"), cursor=cursor)
        records = context.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=model, after_storage_id=int(context.cursor)), limit=100, ascending=True,
        ).records
        if not records:
            return SkipReason("No new model materialisation")
        days = newest_scored_days(context, target, target_partitions, config.days)
        requests = []
        for record in records:
            mat = record.asset_materialization
            meta = mat.metadata if mat else {}
            promoted = meta.get(PROMOTED)
            if promoted is None or promoted.value is not True:
                continue  # a challenger that did not pass the champion gate changes nothing served
            if not days:
                context.log.info("A champion was promoted before any day was scored: nothing to re-score")
                continue
            version = meta[VERSION].value if VERSION in meta else "?"
            requests.append(RunRequest(
                run_key=f"rescore:{version}:{record.storage_id}", asset_selection=[target],
                tags={RANGE_START: days[0], RANGE_END: days[-1], "lakehouse/rescore_model_version": str(version)},
            ))
        return SensorResult(run_requests=requests, cursor=str(records[-1].storage_id),
                            skip_reason=None if requests else SkipReason("No promotion among the new models"))

    return _rescore


def newest_scored_days(
    context: SensorEvaluationContext, target: AssetKey, partitions: PartitionsDefinition, days: int
) -> Sequence[str]:
    """The newest `days` partitions of `target` that are materialised now, without a gap.

    Not the calendar's newest days: the calendar runs to yesterday whatever the data does (a source that
    stopped, a demo replaying an earlier quarter), and re-scoring a day never scored reads features that
    do not exist. A gap (a day held by a failed check, a day not yet scored) ends the range: one range
    run must not cover days it cannot score."""
    keys = partitions.get_partition_keys()
    status = context.instance.get_status_by_partition(target, keys, partitions) or {}
    scored = [k for k in keys if status.get(k) == AssetPartitionStatus.MATERIALIZED]
    if not scored:
        return []
    newest = keys.index(scored[-1])
    chosen: list[str] = []
    for key in reversed(keys[: newest + 1]):
        if status.get(key) != AssetPartitionStatus.MATERIALIZED or len(chosen) == days:
            break
        chosen.append(key)
    return list(reversed(chosen))
