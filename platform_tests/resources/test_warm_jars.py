"""The Ivy warm-up of `make setup`: empty and unfinished files are removed, a failed resolution is retried
with back-off and finally reported in Ivy's words, and two processes on one machine fill the cache once.

No network: the resolver is a parameter. Stand-ins write into the cache the way Ivy does (a collision
leaves 0-byte jars and exit code 0, as observed with spark-submit); the last test runs the real
spark-submit resolver against a Maven-layout folder (no SparkContext, ~8 s a JVM)."""

from __future__ import annotations

import multiprocessing
import os
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from lakehouse_tools.warm_jars import (
    Resolution,
    broken_files,
    cache_lock,
    missing_jars,
    ready,
    remove_partial,
    spark_submit_resolver,
    warm,
)

DELTA, STORAGE = "io.delta:delta-spark_4.2_2.13:4.4.0", "io.delta:delta-storage:4.4.0"
PACKAGES = [DELTA, "org.xerial:sqlite-jdbc:3.47.1.0"]
# Ivy's own words for a download that failed (the shape of spark-submit's output, trimmed).
IVY_FAILURE = """:: resolving dependencies :: org.apache.spark#spark-submit-parent-0f1e;1.0
\tfound io.delta#delta-spark_4.2_2.13;4.4.0 in central
:: problems summary ::
:::: WARNINGS
\t\t[NOT FOUND  ] io.delta#delta-storage;4.4.0!delta-storage.jar (2ms)
\t\t::              FAILED DOWNLOADS            ::
\t\t:: io.delta#delta-storage;4.4.0!delta-storage.jar
Exception in thread "main" java.lang.RuntimeException: [download failed: io.delta#delta-storage;4.4.0!delta-storage.jar]
\tat org.apache.spark.util.MavenUtils$.resolveMavenCoordinates(MavenUtils.scala:539)
"""


def _write(path: Path, content: bytes = b"PK jar bytes") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def cached(ivy: Path, coordinate: str, content: bytes = b"PK jar bytes") -> Path:
    group, artifact, version = coordinate.split(":")
    _write(ivy / "cache" / group / artifact / f"ivy-{version}.xml", b"<ivy-module/>")
    return _write(ivy / "cache" / group / artifact / "jars" / f"{artifact}-{version}.jar", content)


def retrieved(ivy: Path, coordinate: str, content: bytes = b"PK jar bytes") -> Path:
    group, artifact, version = coordinate.split(":")
    return _write(ivy / "jars" / f"{group}_{artifact}-{version}.jar", content)


def fill(ivy: Path, coordinates: Sequence[str], content: bytes = b"PK jar bytes") -> None:
    """What a resolution leaves: each module in the cache, its jar copied into jars/."""
    for coordinate in coordinates:
        cached(ivy, coordinate, content)
        retrieved(ivy, coordinate, content)


def test_an_empty_jar_is_missing_and_the_cache_not_ready(tmp_path: Path) -> None:
    fill(tmp_path, PACKAGES)
    assert missing_jars(PACKAGES, tmp_path / "jars") == [] and ready(PACKAGES, tmp_path)
    retrieved(tmp_path, DELTA, b"")
    assert missing_jars(PACKAGES, tmp_path / "jars") == [DELTA] and not ready(PACKAGES, tmp_path)
    fill(tmp_path, PACKAGES)
    cached(tmp_path, STORAGE, b"")  # a transitive jar: Ivy would copy the empty file into jars/ again
    assert missing_jars(PACKAGES, tmp_path / "jars") == [] and not ready(PACKAGES, tmp_path)


def test_only_empty_and_unfinished_files_are_removed(tmp_path: Path) -> None:
    ivy = tmp_path
    fill(ivy, [*PACKAGES, STORAGE, "org.other:lib:1.0"])
    doomed = {
        cached(ivy, DELTA, b""),  # a named module's empty cached jar
        retrieved(ivy, DELTA, b""),
        _write(ivy / "cache/io.delta/delta-spark_4.2_2.13/jars/delta-spark_4.2_2.13-4.4.0.jar.part", b"PK"),
        retrieved(ivy, STORAGE, b""),  # transitive: its module is found through the cache...
        _write(ivy / "cache/io.delta/delta-storage/ivydata-4.4.0.properties", b""),  # ...and cleaned too
        cached(ivy, "org.other:orphan:2.0", b""),  # an empty cached jar of any module
    }
    kept = [ivy / "cache/io.delta/delta-storage/jars/delta-storage-4.4.0.jar",
            _write(ivy / "cache/org.other/lib/ivydata-1.0.properties", b""),  # not named, no empty jar: left
            *(ivy / "jars").glob("org.xerial*"), *(ivy / "cache/org.xerial").rglob("*.*")]
    assert set(broken_files(ivy, PACKAGES)) == doomed
    assert set(remove_partial(ivy, PACKAGES)) == doomed
    assert not any(p.exists() for p in doomed) and all(p.exists() for p in kept)
    assert broken_files(ivy, PACKAGES) == []


class Scripted:
    """A resolver playing one outcome per call, recording the broken files it found on arrival."""

    def __init__(self, outcomes: list[str]) -> None:
        self.outcomes = outcomes
        self.broken_on_arrival: list[list[Path]] = []

    def __call__(self, packages: Sequence[str], ivy: Path) -> Resolution:
        self.broken_on_arrival.append(broken_files(ivy, [*packages, STORAGE]))
        outcome = self.outcomes[len(self.broken_on_arrival) - 1]
        if outcome == "collide":  # another process's empty downloads, reused by Ivy without complaint
            fill(ivy, [*packages, STORAGE], b"")
            return Resolution(0, "\t1 artifacts copied, 0 already retrieved")
        if outcome == "fail":
            _write(ivy / "cache/io.delta/delta-storage/jars/delta-storage-4.4.0.jar.part", b"PK")
            return Resolution(1, IVY_FAILURE)
        fill(ivy, [*packages, STORAGE])
        return Resolution(0, "\t3 artifacts copied, 0 already retrieved")


def test_failed_tries_are_cleaned_up_and_retried_after_5_then_15_s(tmp_path: Path) -> None:
    resolver = Scripted(["collide", "fail", "ok"])
    sleeps: list[float] = []
    said: list[str] = []
    assert warm(PACKAGES, tmp_path, resolver, sleep=sleeps.append, say=said.append) == 0
    assert sleeps == [5.0, 15.0]
    # Before the 2nd and the 3rd try nothing empty or unfinished is left; the 3rd try's .part was named by Ivy.
    assert resolver.broken_on_arrival[1:] == [[], []]
    assert any("Removed 1 empty or unfinished file(s)" in s and ".part" in s for s in said), said
    assert ready(PACKAGES, tmp_path)


def test_the_final_failure_quotes_ivy_and_names_the_missing_jars(tmp_path: Path) -> None:
    resolver = Scripted(["fail"] * 3)
    sleeps: list[float] = []
    complaints: list[str] = []
    assert warm(PACKAGES, tmp_path, resolver, sleep=sleeps.append, say=lambda _: None,
                complain=complaints.append) == 1
    assert len(resolver.broken_on_arrival) == 3 and sleeps == [5.0, 15.0]
    [report] = complaints
    assert "3 tries, last exit code 1" in report
    assert f"missing: {DELTA}" in report and "missing: org.xerial:sqlite-jdbc:3.47.1.0" in report
    assert "Ivy reports as failed: io.delta:delta-storage:4.4.0" in report
    assert "[download failed: io.delta#delta-storage;4.4.0!delta-storage.jar]" in report
    assert "MavenUtils.scala" not in report and "proxy" not in report.lower()  # no stack, no guess
    assert (tmp_path / "lakehouse-warm-jars.log").read_text() == IVY_FAILURE


def _slow_filler(packages: Sequence[str], ivy: Path) -> Resolution:
    with (ivy / "resolutions.txt").open("a") as record:
        record.write(f"{os.getpid()}\n")
    import time

    # Hold the lock until the other process has found it held (a fixed sleep raced on a loaded machine);
    # after 60 s go on, and the test's assertion on what was said reports the miss.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            "is being filled by" in f.read_text() for f in ivy.glob("said-*.txt")):
        time.sleep(0.1)
    fill(ivy, packages)
    return Resolution(0, "")


def _warm_in_child(ivy: Path, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait()
    said = ivy / f"said-{os.getpid()}.txt"
    code = warm(PACKAGES, ivy, _slow_filler, say=lambda m: said.open("a").write(m + "\n"))
    sys.exit(code)


def test_two_processes_on_one_machine_fill_the_cache_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    children = [context.Process(target=_warm_in_child, args=(tmp_path, start)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [c.exitcode for c in children] == [0, 0]
    # Both found the cache empty; the lock let one resolve, and the other found its work done.
    assert len((tmp_path / "resolutions.txt").read_text().splitlines()) == 1
    said = " ".join(p.read_text() for p in tmp_path.glob("said-*.txt"))
    assert "is being filled by pid" in said and "by another process" in said
    assert ready(PACKAGES, tmp_path)


def test_a_lock_held_too_long_is_reported_with_its_file(tmp_path: Path) -> None:
    said: list[str] = []
    with cache_lock(tmp_path):
        with pytest.raises(TimeoutError, match="lakehouse-warm-jars.lock still locked"):
            with cache_lock(tmp_path, wait_seconds=0.3, say=said.append, poll_seconds=0.05):
                pass
    assert said == [f"Spark's Ivy cache {tmp_path} is being filled by pid {os.getpid()}; waiting for it "
                    f"(lock {tmp_path / '.lakehouse-warm-jars.lock'})"]
    with cache_lock(tmp_path, wait_seconds=0):  # released on exit
        pass


def test_the_spark_submit_resolver_against_a_local_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo" / "org" / "example" / "tiny" / "1.0"
    _write(repo / "tiny-1.0.pom", b"<project><modelVersion>4.0.0</modelVersion><groupId>org.example</groupId>"
           b"<artifactId>tiny</artifactId><version>1.0</version></project>")
    with zipfile.ZipFile(repo / "tiny-1.0.jar", "w") as jar:
        jar.writestr("tiny.txt", "tiny")
    settings = _write(tmp_path / "ivysettings.xml", (
        '<ivysettings><settings defaultResolver="here"/><resolvers>'
        f'<ibiblio name="here" m2compatible="true" root="{(tmp_path / "repo").as_uri()}"/>'
        "</resolvers></ivysettings>").encode())
    resolve, ivy = spark_submit_resolver({"spark.jars.ivySettings": str(settings)}), tmp_path / "ivy"
    assert warm(["org.example:tiny:1.0"], ivy, resolve, backoff=(), say=lambda _: None) == 0
    assert (ivy / "jars" / "org.example_tiny-1.0.jar").stat().st_size > 0
    complaints: list[str] = []
    assert warm(["org.example:tiny:1.0", "org.example:gone:2.0"], ivy, resolve, backoff=(),
                say=lambda _: None, complain=complaints.append) == 1
    assert "missing: org.example:gone:2.0" in complaints[0]
    assert "[unresolved dependency: org.example#gone;2.0: not found]" in complaints[0]
