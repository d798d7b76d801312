"""The automation's hold on partitions that failed a blocking check: per partition, not per asset.

Dagster 1.13's `AutomationCondition.all_deps_blocking_checks_passed()` reads the latest evaluation of each
upstream check, which for our (unpartitioned) checks is one verdict per asset: a failed day holds every
partition downstream until any later run passes the check, and then releases the failed day too (the IO
manager's guard then refuses that run). This condition asks the same question as the guard
(`resources/check_guard.py`), per candidate partition: was any upstream partition it reads last written by
a run in which a blocking ERROR check on that upstream asset failed? So a held day stays held, and the
days after it flow. A partition whose writing run is still going waits too: the run records the
materialisation before it evaluates the checks, and a tick in between would otherwise request a run the
guard then refuses (the soak caught that).

It is an arbitrary-Python condition, so the automation sensor runs in the code server
(`use_user_code_server=True`, a Dagster beta). Put it last in an `&` chain: Dagster evaluates each
operand on what the previous ones let through, so it only queries the instance for partitions that are
about to be requested.
"""

from __future__ import annotations

from dagster import AssetKey, AutomationCondition, AutomationContext, AutomationResult

from lakehouse.resources.check_guard import not_yet_readable


class NoUpstreamPartitionHeld(AutomationCondition[AssetKey]):
    """True for a partition none of whose upstream partitions is held by a failed blocking check."""

    @property
    def requires_cursor(self) -> bool:
        return False  # recomputed from the instance at every tick

    @property
    def name(self) -> str:
        return "no_upstream_partition_held"

    @property
    def description(self) -> str:
        return "No upstream partition read was written by a run whose blocking check on it failed"

    def evaluate(self, context: AutomationContext[AssetKey]) -> AutomationResult[AssetKey]:
        candidates = context.candidate_subset
        if candidates.is_empty:
            return AutomationResult(context, candidates)
        view = context.asset_graph_view
        held = context.get_empty_subset()
        for parent in sorted(context.asset_graph.get(context.key).parent_keys, key=AssetKey.to_user_string):
            if parent == context.key or not context.asset_graph.has(parent) \
                    or not context.asset_graph.get(parent).is_materializable:
                continue
            parent_def = context.asset_graph.get(parent).partitions_def
            read = candidates.compute_parent_subset(parent)
            if read.is_empty:
                continue
            partitions = sorted(read.expensively_compute_partition_keys()) if parent_def else None
            days = set(not_yet_readable(view.instance, parent, partitions))
            if not days:
                continue
            held_parent = (view.get_subset_from_partition_keys(parent, parent_def, days) if parent_def
                           else view.get_full_subset(key=parent))
            held = held.compute_union(held_parent.compute_child_subset(context.key).compute_intersection(candidates))
        return AutomationResult(context, candidates.compute_difference(held))
