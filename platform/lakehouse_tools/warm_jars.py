"""Warm Spark's Ivy cache with the profile's packages (Delta, JDBC drivers): `make` calls this once.

Fast path: when every package's jar is in the Ivy cache (and not empty), nothing starts. Otherwise, holding
an exclusive lock on the cache, `spark-submit --packages` resolves them (downloading from Maven Central),
so later sessions start offline. Three fresh clones on one machine failed here when they filled the same
cache at once: Ivy reuses a 0-byte jar another process left in its cache without complaint (exit code 0)
and copies it into `jars/`, so Spark failed later, far from the cause. Hence the lock, the size check, the
removal of empty and partial files before every try, and a report that quotes Ivy instead of guessing.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lakehouse.config.base import load_yaml
from lakehouse.config.profile import Profile, SparkSettings
from lakehouse.config.project import DEFAULT_PROJECT_DIR, shown

LOCK_FILE = ".lakehouse-warm-jars.lock"
LOG_FILE = "lakehouse-warm-jars.log"  # the last failed try's full output, beside the lock
BACKOFF_SECONDS = (5.0, 15.0)  # waits before the 2nd and the 3rd try: 3 tries in all
RESOLVE_TIMEOUT_SECONDS = 1200.0  # a first fill takes minutes on a slow line; a hung download never ends
# A process waiting for the lock outwaits the holder's worst case (every try timing out), then gives up.
LOCK_WAIT_SECONDS = (len(BACKOFF_SECONDS) + 1) * RESOLVE_TIMEOUT_SECONDS + sum(BACKOFF_SECONDS) + 60
# Ivy names a module `group#artifact;version` in its errors (`:: io.delta#delta-storage;4.4.0: not found`).
_IVY_MODULE = re.compile(r"([\w.\-]+)#([\w.\-]+);([\w.\-]+)")
_ERROR_LINE = re.compile(
    r"NOT FOUND|FAILED|UNRESOLVED|not found|download failed|unresolved dependency|SERVER ERROR|"
    r"Exception|Error|error|refused|timed out|Unknown ?Host|certificate|denied|No space"
)


@dataclass(frozen=True)
class Resolution:
    """What one resolution try returned: its exit code and its whole output (Ivy's log)."""

    returncode: int
    output: str


# (packages, ivy home) -> Resolution. A parameter of `warm`, so tests can stand in for Maven Central.
Resolver = Callable[[Sequence[str], Path], Resolution]


def _parts(coordinate: str) -> tuple[str, str, str]:
    group, artifact, version = coordinate.split(":")
    return group, artifact, version


def missing_jars(packages: Sequence[str], jars_dir: Path) -> list[str]:
    """Packages whose jar is absent or empty in Ivy's retrieve folder (an empty one breaks every session)."""
    missing = []
    for coordinate in packages:
        group, artifact, version = _parts(coordinate)
        jar = jars_dir / f"{group}_{artifact}-{version}.jar"
        if not jar.is_file() or jar.stat().st_size == 0:
            missing.append(coordinate)
    return missing


def named_in(output: str) -> list[str]:
    """Coordinates (group:artifact:version) that Ivy's error lines name, in order, once each."""
    found = (":".join(m) for line in error_lines(output, limit=None) for m in _IVY_MODULE.findall(line))
    return [c for c in dict.fromkeys(found) if not c.startswith("org.apache.spark:spark-submit-parent")]


def _module(cached: Path) -> tuple[str, str]:
    return cached.parts[-4], cached.parts[-3]  # <ivy>/cache/<group>/<artifact>/jars/<file>


def broken_files(ivy: Path, coordinates: Iterable[str]) -> list[Path]:
    """Files that break a session: every empty jar, retrieved (`jars/`) or cached (Ivy would copy it again),
    and the empty files and unfinished downloads (`*.part`) of these modules and of those jars' modules.
    `jars/<group>_<file>` is a copy of `cache/<group>/<artifact>/jars/<file>`; the name alone cannot be
    split (artifacts hold `_`, versions `-`), so a retrieved jar's module is found through the cache."""
    jars_dir, cache = ivy / "jars", ivy / "cache"
    # Transitive dependencies too: `missing_jars` sees only the named packages.
    retrieved = [p for p in jars_dir.glob("*.jar") if p.is_file() and p.stat().st_size == 0]
    cached = [p for p in cache.glob("*/*/jars/*.jar") if p.is_file()]
    empty_cached = [p for p in cached if p.stat().st_size == 0]
    names = {p.name for p in retrieved}
    modules = {_parts(c)[:2] for c in coordinates} | {_module(p) for p in empty_cached}
    modules |= {_module(p) for p in cached if f"{p.parts[-4]}_{p.name}" in names}
    found = [*retrieved, *empty_cached, *(jars_dir.glob("*.part") if jars_dir.is_dir() else [])]
    for group, artifact in modules:
        folder = cache / group / artifact
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.is_file() and (p.suffix == ".part" or p.stat().st_size == 0)]
    return sorted(set(found))


def remove_partial(ivy: Path, coordinates: Iterable[str]) -> list[Path]:
    """Delete `broken_files`, so the next resolution downloads them again; complete files stay (Ivy reuses
    them offline)."""
    doomed = broken_files(ivy, coordinates)
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def ready(packages: Sequence[str], ivy: Path) -> bool:
    """Every package's jar retrieved, and nothing empty or unfinished that a session would trip over."""
    return not missing_jars(packages, ivy / "jars") and not broken_files(ivy, packages)


def error_lines(output: str, limit: int | None = 40) -> list[str]:
    """The lines of Ivy's / Spark's output that say what failed (not the resolution report or the stack)."""
    lines = [ln.strip() for ln in output.splitlines()]
    picked = [ln for ln in lines if ln and not ln.startswith("at ") and _ERROR_LINE.search(ln)]
    return picked if limit is None else picked[:limit]


@contextmanager
def cache_lock(ivy: Path, wait_seconds: float = LOCK_WAIT_SECONDS, say: Callable[[str], object] = print,
               poll_seconds: float = 1.0) -> Iterator[None]:
    """Hold an exclusive flock on `<ivy>/LOCK_FILE`: one warm-up per machine fills the cache at a time. The
    kernel drops the lock when its holder exits, however it exits, so a crashed run leaves no stale lock."""
    ivy.mkdir(parents=True, exist_ok=True)
    path = ivy / LOCK_FILE
    with path.open("a+") as handle:
        deadline = time.monotonic() + wait_seconds
        waiting = polled = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    handle.seek(0)
                    holder = handle.read().strip()
                    # The holder writes its pid just after taking the lock: an empty file means it is
                    # about to, so name it on the next poll rather than nobody now.
                    if holder or polled:
                        say(f"Spark's Ivy cache {ivy} is being filled by {holder or 'another process'}; "
                            f"waiting for it (lock {path})")
                        waiting = True
                    polled = True
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{path} still locked after {wait_seconds:.0f} s") from None
                time.sleep(poll_seconds)
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}\n")  # who holds it, for the message of a process that waits
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def spark_submit_resolver(conf: Mapping[str, str] | None = None,
                          timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS) -> Resolver:
    """Resolve through `spark-submit --packages` with an empty application: the same Ivy code and settings
    as a session's start, without starting one; its output is captured so a failure can be quoted.
    `conf` adds Spark settings (e.g. `spark.jars.ivySettings` for a mirror)."""

    def resolve(packages: Sequence[str], ivy: Path) -> Resolution:
        from pyspark.find_spark_home import _find_spark_home

        settings = {"spark.jars.ivy": str(ivy), "spark.ui.enabled": "false",
                    "spark.pyspark.python": sys.executable, **(conf or {})}
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp) / "resolved.py"
            app.write_text("")  # nothing to run: resolving the packages is the whole job
            command = [str(Path(_find_spark_home()) / "bin" / "spark-submit"), "--master", "local[1]",
                       "--packages", ",".join(packages)]
            for key, value in settings.items():
                command += ["--conf", f"{key}={value}"]
            try:
                done = subprocess.run([*command, str(app)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, timeout=timeout_seconds, check=False)
            except subprocess.TimeoutExpired as exc:
                out = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else exc.output or ""
                return Resolution(-1, f"{out}\nspark-submit timed out after {timeout_seconds:.0f} s")
        return Resolution(done.returncode, done.stdout)

    return resolve


def warm(packages: Sequence[str], ivy: Path, resolve: Resolver | None = None,
         backoff: Sequence[float] = BACKOFF_SECONDS, sleep: Callable[[float], None] = time.sleep,
         say: Callable[[str], object] = print, complain: Callable[[str], object] | None = None,
         lock_wait_seconds: float = LOCK_WAIT_SECONDS) -> int:
    """Fill the cache for `packages`; 0 when every jar is there, 1 when not, after `complain`ing (default:
    stderr) with what failed in Ivy's own words."""
    jars_dir = ivy / "jars"
    if ready(packages, ivy):
        say(f"Spark jars cached in {ivy} ({len(packages)} packages)")
        return 0
    resolve = resolve or spark_submit_resolver()
    tries = len(backoff) + 1
    with cache_lock(ivy, lock_wait_seconds, say):
        if ready(packages, ivy):  # filled by another process while this one waited
            say(f"Spark jars cached in {ivy} by another process ({len(packages)} packages)")
            return 0
        suspects = list(packages)
        for attempt in range(1, tries + 1):
            removed = remove_partial(ivy, suspects)
            if removed:
                names = ", ".join(p.name for p in removed[:5])
                say(f"Removed {len(removed)} empty or unfinished file(s) from {ivy}: {names}")
            wanted = ", ".join(missing_jars(packages, jars_dir)) or "transitive jars"
            say(f"Fetching Spark packages into {ivy} (try {attempt}/{tries}): {wanted}")
            started = time.monotonic()
            result = resolve(packages, ivy)
            missing, empty = missing_jars(packages, jars_dir), broken_files(ivy, packages)
            if result.returncode == 0 and not missing and not empty:
                say(f"Spark jars cached in {time.monotonic() - started:.0f} s")
                return 0
            suspects = list(dict.fromkeys([*packages, *named_in(result.output)]))
            if attempt < tries:
                say(f"Try {attempt} failed (exit {result.returncode}; missing {missing or '-'}, empty "
                    f"{[p.name for p in empty] or '-'}); retrying in {backoff[attempt - 1]:.0f} s")
                sleep(backoff[attempt - 1])
        (complain or (lambda text: print(text, file=sys.stderr, flush=True)))(_report(ivy, packages, result, tries))
        return 1


def _report(ivy: Path, packages: Sequence[str], result: Resolution, tries: int) -> str:
    """What failed, in Ivy's words: the missing and empty jars, the modules Ivy names, its error lines."""
    jars_dir = ivy / "jars"
    log = ivy / LOG_FILE
    log.write_text(result.output)
    lines = [f"ERROR: Spark's Ivy could not fill {ivy} ({tries} tries, last exit code {result.returncode})."]
    for coordinate in missing_jars(packages, jars_dir):
        group, artifact, version = _parts(coordinate)
        lines.append(f"  missing: {coordinate} (no non-empty {jars_dir / f'{group}_{artifact}-{version}.jar'})")
    lines += [f"  empty or unfinished after resolution: {p}" for p in broken_files(ivy, packages)]
    named = named_in(result.output)
    if named:
        lines.append(f"  Ivy reports as failed: {', '.join(named)}")
    errors = error_lines(result.output)
    lines.append("  Ivy / Spark said:" if errors else "  Ivy / Spark printed no error line; the output ends with:")
    lines += [f"    {ln}" for ln in (errors or [ln for ln in result.output.splitlines() if ln.strip()][-15:])]
    lines.append(f"  Full output of the last try: {log}")
    return "\n".join(lines)


def platform_spark() -> SparkSettings:
    """The shipped `local` profile's Spark settings: the jars of the platform's profiles. Read from the
    shipped project whatever LAKEHOUSE_PROJECT_DIR says: a user's project may have no `local` profile
    (`lakehouse new-dataset` writes only `<name>_local`), and `make setup` warms the same jars for all."""
    path = DEFAULT_PROJECT_DIR / "profiles" / "local.yaml"
    return load_yaml(path, shown(path), Profile, name="local").spark


def main() -> int:
    settings = platform_spark()
    return warm(settings.packages, Path(settings.ivy_home).expanduser(),
                say=lambda message: print(message, flush=True))


if __name__ == "__main__":
    sys.exit(main())
