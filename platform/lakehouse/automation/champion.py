"""Optional (automation.yaml `champion_rescore`, off by default): when the weekly training promotes a new
champion, re-score the newest days with it.

The trigger is the model asset's materialisation with metadata `promoted: true` (ml/assets.py records it
with `model_version`). Everything else is the rematerialisation sensor's machinery: the newest `days`
partitions of the targets become stale with that event as trigger, so a day already re-scored after the
promotion (e.g. by the daily schedule) is not requested again, a day being scored waits, and the
`report_on_new_predictions` rule then rebuilds the reports of every re-scored day.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetKey, AssetsDefinition, SensorDefinition

from lakehouse.automation.events import Event
from lakehouse.automation.graph import build_net
from lakehouse.automation.sensors import RuleSpec, build_rule_sensor, jobs_for
from lakehouse.config.automation import ChampionRescore, Rule

SENSOR_NAME = "rescore_on_new_champion"
PROMOTED, VERSION = "promoted", "model_version"  # metadata keys of the model asset


def build_champion_rescore_sensor(
    assets: Sequence[AssetsDefinition], config: ChampionRescore, name: str = SENSOR_NAME
) -> SensorDefinition | None:
    """The sensor, or None when the feature is disabled (nothing is added to the definitions)."""
    if not config.enabled:
        return None
    net = build_net(assets)
    model = net.resolve([config.model_asset])[0]
    targets = net.resolve(config.targets)
    partitions_defs = {net.partitions[k] for k in targets}
    if len(partitions_defs) != 1 or None in partitions_defs:
        raise ValueError(f"champion_rescore.targets {config.targets} must share one partitions definition")
    partitions_def = partitions_defs.pop()
    assert partitions_def is not None

    def affected(event: Event) -> dict[AssetKey, set[str | None]]:
        if event.metadata.get(PROMOTED) is not True:
            return {}  # a challenger that did not pass the champion gate changes nothing served
        newest: set[str | None] = set(partitions_def.get_partition_keys()[-config.days:])  # resolved at tick time
        return {key: set(newest) for key in targets}

    rule = Rule(
        description=f"A new champion was promoted ({config.model_asset}): re-score the newest {config.days} days.",
        upstream=[config.model_asset],
        downstream=config.targets,
        default_status=config.default_status,
        minimum_interval_seconds=config.minimum_interval_seconds,
        max_partitions_per_tick=config.days,
    )
    return build_rule_sensor(RuleSpec(name, rule, net, (model,), jobs_for(name, targets, net), affected))
