"""File helpers: atomic writes (readers never see half a file) and manifest file records."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import TracebackType


def _tmp(path: Path) -> Path:
    # A leading dot: Spark and most file readers skip hidden files, so a partial file is never read.
    return path.with_name(f".{path.name}.tmp")


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def remove_files(folder: Path, pattern: str) -> None:
    """Delete earlier output before a day is landed again (the generator owns these folders)."""
    for path in folder.glob(pattern):
        if path.is_file():
            path.unlink()


def file_record(rel: Path, data: bytes, rows: int) -> dict:
    return {"path": rel.as_posix(), "rows": rows, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


class AtomicFile:
    """Write a large file in pieces under a temporary name; rename into place on success."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sha = hashlib.sha256()
        self.size = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(_tmp(path), "wb")

    def write(self, data: bytes) -> None:
        self._fh.write(data)
        self._sha.update(data)
        self.size += len(data)

    def record(self, rel: Path, rows: int) -> dict:
        return {"path": rel.as_posix(), "rows": rows, "bytes": self.size, "sha256": self._sha.hexdigest()}

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._fh.close()
        if exc_type is None:
            os.replace(_tmp(self.path), self.path)
        else:
            _tmp(self.path).unlink(missing_ok=True)
