"""Where a run may read source files from: inside the data root, or a root the profile allow-lists.

`data_source` and `checkpoint_path` come from run config, which anyone with Launchpad access can type.
Without a rule, `data_source: /home/someone/private` (or `../../elsewhere`, or a symlink in the landing
zone pointing out of it) was read into bronze (issue 16). Every location is resolved first — `..`
collapsed, symlinks followed — and only then compared with the roots (`Path.is_relative_to`), so
neither can escape. A refused location is an error naming the path and the rule; nothing is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

RULE = (
    "sources are read only from inside the data root or a folder listed in the profile's "
    "storage.allowed_source_roots"
)


class LocationRefused(ValueError):
    """A source location outside every allowed root (nothing was read)."""


@dataclass(frozen=True)
class SourceRoots:
    """The data root and the profile's extra allowed roots (absolute paths), as given."""

    data_root: Path
    allowed: tuple[Path, ...] = ()

    @classmethod
    def of(cls, data_root: Path, allowed: Sequence[str] = ()) -> SourceRoots:
        return cls(Path(data_root), tuple(Path(a) for a in allowed))

    def resolve(self, value: str, what: str = "data_source", *, data_root_only: bool = False) -> Path:
        """`value` (relative to the data root, or absolute) if it resolves inside the roots.
        Returns the path as joined, not resolved: paths used so far stay the same strings (a stream
        checkpoint records the file paths it has read). `data_root_only`: for locations the run writes
        or deletes (a stream checkpoint)."""
        if not value.strip():
            raise LocationRefused(f"{what} is empty: name a folder under the data root {self.data_root}")
        if "://" in value or value.startswith("dbfs:"):
            raise LocationRefused(
                f"{what} {value!r} is a URI; file sources read local (or mounted) folders: {RULE}"
            )
        path = self.data_root / value
        self.check(path, what, shown=value, data_root_only=data_root_only)
        return path

    def check(self, path: Path, what: str, *, shown: str | None = None, data_root_only: bool = False) -> Path:
        """`path` resolved (symlinks followed) if it lies inside a root; LocationRefused otherwise."""
        resolved = path.resolve()  # `data_root / absolute` is the absolute path itself
        roots = [self.data_root.resolve()] + ([] if data_root_only else [a.resolve() for a in self.allowed])
        if any(resolved.is_relative_to(root) for root in roots):
            return resolved
        rule = f"{what} must lie inside the data root" if data_root_only else RULE
        listed = ", ".join(str(r) for r in roots)
        raise LocationRefused(
            f"{what} {shown if shown is not None else str(path)!r} resolves to {resolved}, outside {listed}: "
            f"{rule}. Nothing was read."
        )

    def check_all(self, paths: Iterable[Path], what: str) -> list[Path]:
        """Every file to read, each checked (a symlinked file or day folder may point elsewhere)."""
        files = list(paths)
        for path in files:
            self.check(path, what)
        return files
