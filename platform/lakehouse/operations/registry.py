"""Model-registry clean-up: keep every version that holds an alias (champion, challenger, …) and the
newest `keep_latest`; archive-tag or delete the others.

Aliases are read from the registered model (search results do not carry them in every store). A tag
`archived=true` is reversible and keeps the files; a kept version that was archived earlier (it got an
alias back) loses the tag again, so the tag always means "eligible for deletion".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mlflow import MlflowClient

ARCHIVED_TAG = "archived"
ARCHIVED_AT_TAG = "archived_at"


@dataclass(frozen=True)
class VersionDecision:
    version: int
    keep: bool
    reason: str
    aliases: tuple[str, ...]
    archived: bool  # carries archived=true now


def _versions(client: MlflowClient, name: str) -> list[Any]:
    if "'" in name:
        raise ValueError(f"Registered model name {name!r} contains a quote")
    found: list[Any] = []
    token = None
    while True:  # paginated: a registry keeps growing
        page = client.search_model_versions(f"name='{name}'", max_results=1000, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            return found


def plan_versions(client: MlflowClient, name: str, keep_latest: int) -> list[VersionDecision]:
    aliases: dict[int, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
        aliases.setdefault(int(version), []).append(alias)
    versions = sorted(_versions(client, name), key=lambda v: int(v.version), reverse=True)
    newest = {int(v.version) for v in versions[:keep_latest]}
    decisions = []
    for mv in versions:
        number = int(mv.version)
        held = tuple(sorted(aliases.get(number, [])))
        if held:
            keep, reason = True, f"alias {', '.join(held)}"
        elif number in newest:
            keep, reason = True, f"among the newest {keep_latest}"
        else:
            keep, reason = False, f"older than the newest {keep_latest}, no alias"
        archived = (mv.tags or {}).get(ARCHIVED_TAG) == "true"
        decisions.append(VersionDecision(number, keep, reason, held, archived))
    return decisions


def clean_model(
    client: MlflowClient, name: str, keep_latest: int, action: Literal["tag", "delete"], dry_run: bool
) -> dict[str, Any]:
    if not client.search_registered_models(filter_string=f"name='{name}'"):
        return {"model": name, "status": "skipped", "reason": "registered model does not exist"}
    decisions = plan_versions(client, name, keep_latest)
    to_remove = [d for d in decisions if not d.keep and (action == "delete" or not d.archived)]
    to_restore = [d for d in decisions if d.keep and d.archived]
    if not dry_run:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        for d in to_remove:
            if action == "delete":
                client.delete_model_version(name, str(d.version))
            else:
                client.set_model_version_tag(name, str(d.version), ARCHIVED_TAG, "true")
                client.set_model_version_tag(name, str(d.version), ARCHIVED_AT_TAG, stamp)
        for d in to_restore:
            client.delete_model_version_tag(name, str(d.version), ARCHIVED_TAG)
            client.delete_model_version_tag(name, str(d.version), ARCHIVED_AT_TAG)
    return {
        "model": name,
        "status": "dry_run" if dry_run else "done",
        "action": action,
        "kept": [d.version for d in decisions if d.keep],
        "deleted" if action == "delete" else "archived": [d.version for d in to_remove],
        "unarchived": [d.version for d in to_restore],
        "versions": [asdict(d) for d in decisions],
    }
