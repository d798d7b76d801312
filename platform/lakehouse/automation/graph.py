"""The dependency net of the assets passed in, and how one changed partition travels through it.

Partition mappings are the assets' own (explicit `AssetIn`/`AssetDep` mappings, else Dagster's default:
identity between equal definitions, time-window overlap between daily / weekly / monthly). So a day's
change reaches the Monday-start week and the month that hold it because the partitions definitions say
so, not because anything here knows about weeks.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dagster import AssetKey, AssetsDefinition, PartitionMapping, PartitionsDefinition

# (asset, partition); partition None: the asset is unpartitioned, or (as an upstream) "any partition".
Target = tuple[AssetKey, str | None]


@dataclass(frozen=True)
class AssetNet:
    partitions: dict[AssetKey, PartitionsDefinition | None]
    parents: dict[AssetKey, frozenset[AssetKey]]  # only parents that are in the net
    mappings: dict[tuple[AssetKey, AssetKey], PartitionMapping]  # (child, parent) -> mapping
    levels: dict[AssetKey, int]  # topological depth: parents have smaller levels than children

    def children(self, key: AssetKey) -> set[AssetKey]:
        return {child for child, parents in self.parents.items() if key in parents}

    def resolve(self, patterns: Sequence[str]) -> list[AssetKey]:
        """Keys matching `schema/table` patterns (`*` wildcards); a pattern matching nothing is an error."""
        found: list[AssetKey] = []
        for pattern in patterns:
            hits = sorted((k for k in self.partitions if fnmatch.fnmatchcase(k.to_user_string(), pattern)),
                          key=AssetKey.to_user_string)
            if not hits:
                known = sorted(k.to_user_string() for k in self.partitions)
                raise ValueError(f"No asset matches {pattern!r}; assets passed in: {known}")
            found += [k for k in hits if k not in found]
        return found

    def descendants(self, key: AssetKey) -> set[AssetKey]:
        seen: set[AssetKey] = set()
        frontier = [key]
        while frontier:
            for child in self.children(frontier.pop()):
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
        return seen


def build_net(assets: Iterable[AssetsDefinition]) -> AssetNet:
    definitions = [a for a in assets if a.keys]  # checks-only definitions hold no assets
    partitions = {k: a.specs_by_key[k].partitions_def for a in definitions for k in a.keys}
    parents: dict[AssetKey, frozenset[AssetKey]] = {}
    mappings: dict[tuple[AssetKey, AssetKey], PartitionMapping] = {}
    for a in definitions:
        for key in a.keys:
            inside = frozenset(p for p in a.asset_deps.get(key, set()) if p in partitions and p != key)
            parents[key] = inside
            for parent in inside:
                # The mapping Dagster itself uses when it loads the parent (explicit, else inferred).
                mappings[(key, parent)] = a.infer_partition_mapping(key, parent, partitions[parent])
    return AssetNet(partitions, parents, mappings, _levels(parents))


def _levels(parents: dict[AssetKey, frozenset[AssetKey]]) -> dict[AssetKey, int]:
    levels: dict[AssetKey, int] = {}
    remaining = dict(parents)
    while remaining:
        ready = [k for k, ps in remaining.items() if all(p in levels for p in ps)]
        if not ready:
            raise ValueError(f"Dependency cycle among {sorted(k.to_user_string() for k in remaining)}")
        for key in ready:
            levels[key] = 1 + max((levels[p] for p in remaining[key]), default=-1)
            del remaining[key]
    return levels


def map_down(net: AssetNet, parent: AssetKey, keys: set[str | None], child: AssetKey) -> set[str | None]:
    """The child's partitions that read any of the parent's `keys` (only partitions that exist now)."""
    child_def, parent_def = net.partitions[child], net.partitions[parent]
    if child_def is None:
        return {None}
    if parent_def is None or None in keys:
        return set(child_def.get_partition_keys())
    subset = parent_def.subset_with_partition_keys([k for k in keys if k is not None])
    mapped = net.mappings[(child, parent)].get_downstream_partitions_for_partitions(subset, parent_def, child_def)
    return set(mapped.get_partition_keys())


def reach(net: AssetNet, source: AssetKey, partition: str | None, targets: set[AssetKey]) -> dict[AssetKey, set]:
    """The partitions of each target that a change of `source`'s `partition` affects, following every
    path source -> ... -> target through the net (intermediate assets map the partitions on)."""
    on_path = {k for k in net.descendants(source) if k in targets or net.descendants(k) & targets}
    reached: dict[AssetKey, set[str | None]] = {source: {partition}}
    for key in sorted(on_path, key=lambda k: net.levels[k]):
        hit: set[str | None] = set()
        for parent in net.parents[key]:
            if reached.get(parent):
                hit |= map_down(net, parent, reached[parent], key)
        reached[key] = hit
    return {k: reached[k] for k in targets if reached.get(k)}


def upstream_of(net: AssetNet, key: AssetKey, partition: str | None) -> set[Target]:
    """The parent partitions `key`'s `partition` reads (None partition: any partition of that parent)."""
    result: set[Target] = set()
    child_def = net.partitions[key]
    for parent in net.parents[key]:
        parent_def = net.partitions[parent]
        if parent_def is None or child_def is None or partition is None:
            result.add((parent, None))
            continue
        mapped = net.mappings[(key, parent)].get_upstream_mapped_partitions_result_for_partitions(
            child_def.subset_with_partition_keys([partition]), child_def, parent_def
        )
        result |= {(parent, p) for p in mapped.partitions_subset.get_partition_keys()}
    return result


def exists(net: AssetNet, key: AssetKey, partition: str | None) -> bool:
    """A partition that is not in the calendar yet (this week's, this month's) cannot be requested."""
    partitions_def = net.partitions[key]
    if partitions_def is None:
        return partition is None
    return partition is not None and partitions_def.has_partition_key(partition)
