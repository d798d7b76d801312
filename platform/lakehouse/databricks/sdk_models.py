"""The Databricks SDK's request models as the schema of what we submit: build one, fail on what it drops.

`SubmitTask.from_dict` (and every SDK `from_dict`) silently ignores keys it does not know and turns an
unknown enum value into None, so a misspelt key in a cluster spec (`num_worker`, `SINGLE_USR`) would
vanish before jobs runs/submit and the cluster would start with defaults. `strict_from_dict` builds the
model and compares its `as_dict()` with the input: anything lost or changed is an error, named by path.
Not caught: a value of the wrong type (`"2"` for an int), which the SDK keeps as it is.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

M = TypeVar("M", bound="SdkModel")


class SdkModel(Protocol):
    """What every request dataclass in databricks.sdk.service.* offers."""

    @classmethod
    def from_dict(cls: type[M], d: dict[str, Any]) -> M: ...

    def as_dict(self) -> dict[str, Any]: ...


def _pruned(value: Any) -> Any:
    """The input as `as_dict()` writes it back: no None, no empty lists or mappings."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def differences(given: Any, kept: Any, path: str = "") -> list[str]:
    """Where `kept` (the model's as_dict) is not `given` (the pruned input), as readable paths."""
    if isinstance(given, dict) and isinstance(kept, dict):
        found = [f"{path}{k}: dropped by the SDK model (a key it does not know, or an enum value it does not know)"
                 for k in given if k not in kept]
        found += [f"{path}{k}: added by the SDK model" for k in kept if k not in given]
        for key in given.keys() & kept.keys():
            found += differences(given[key], kept[key], f"{path}{key}.")
        return found
    if isinstance(given, list) and isinstance(kept, list) and len(given) == len(kept):
        return [d for i, (g, k) in enumerate(zip(given, kept)) for d in differences(g, k, f"{path}{i}.")]
    if given != kept:
        return [f"{path.rstrip('.')}: {given!r} came back as {kept!r}"]
    return []


def strict_from_dict(model: type[M], data: dict[str, Any], what: str) -> M:
    """`model.from_dict(data)`, raising ValueError when the model would not send `data` as given."""
    built = model.from_dict(data)
    problems = differences(_pruned(data), built.as_dict())
    if problems:
        raise ValueError(f"{what} does not match databricks-sdk {model.__name__}:\n  " + "\n  ".join(problems))
    return built
