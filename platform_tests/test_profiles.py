"""Profiles say what they do. Every profile is resolved (load_profile, profile_resources.build_resources, its
Dagster instance template) into four facts - catalog, processing compute, Spark session, instance storage -
which must be what docs/environments.md "What each profile runs" states (the one statement of them), and
the profile's header comment and `description` may claim nothing else. Pure Python: no session starts."""

from __future__ import annotations

import re

import pytest
import yaml

from lakehouse.config.profile import REMOTE_FROM_ENV, REPO_ROOT, known_profiles, load_profile
from lakehouse.config.project import profiles_dir
from lakehouse.databricks.compute import DatabricksCompute, LocalCompute, PipesSubprocessCompute
from lakehouse.profile_resources import build_resources
from lakehouse.resources.spark import SparkResource
from platform_tests.doc_tables import quoted, section_table

ENVIRONMENTS = REPO_ROOT / "docs" / "environments.md"
HEADING = "What each profile runs"
PROFILES = known_profiles()
FACTS = ("catalog", "processing", "spark", "instance")
COMPUTE: dict[type, str] = {LocalCompute: "in-process", PipesSubprocessCompute: "pipes-subprocess", DatabricksCompute: "databricks"}
# Words a header or description may use only when the profile does it: phrase -> (fact, what it must match).
CLAIMS: dict[str, tuple[str, str]] = {
    r"\bPipes\b": ("processing", r"databricks|pipes-subprocess"),
    r"job cluster|on a cluster|jobs runs/submit": ("processing", r"databricks"),
    r"Unity Catalog": ("catalog", r"unity:"),
    r"Spark Connect|Databricks Connect|SPARK_REMOTE": ("spark", r"remote="),
    r"local Spark|local JVM|local\[": ("spark", r"master=local"),
    r"PostgreSQL": ("instance", r"postgres"),
    r"sqlite": ("instance", r"sqlite"),
}


def instance_storage(template: str) -> str:
    """`postgres` when the instance template configures dagster-postgres, else Dagster's default sqlite."""
    config = yaml.safe_load((REPO_ROOT / template).read_text()) or {}
    storage = config.get("storage", {})
    return "postgres" if "postgres" in storage else "sqlite" if not storage else f"unknown: {sorted(storage)}"


def resolved(name: str) -> dict[str, str]:
    """What the profile does, from the objects the definitions are built with."""
    profile = load_profile(name)
    resources = build_resources(profile)
    spark: SparkResource = resources["spark"]
    config = spark.spark_config
    return {
        "catalog": f"unity:{spark.catalog_name}" if spark.catalog == "unity" else spark.catalog,
        "processing": COMPUTE[type(resources["compute"])],
        "spark": f"remote={config['spark.remote']}" if "spark.remote" in config
        else f"master={config.get('spark.master', 'unset')}",
        "instance": instance_storage(profile.dagster.instance_template),
    }


def documented() -> dict[str, dict[str, str]]:
    """The table: profile -> the first `code` value of each fact's cell."""
    table = {}
    for row in section_table(ENVIRONMENTS, HEADING):
        (name,), cells = quoted(row[0]), row[1:]
        assert len(cells) == len(FACTS), f"{name}: expected the columns {FACTS}, got {cells}"
        table[name] = {fact: (quoted(cell) or [cell])[0] for fact, cell in zip(FACTS, cells)}
    return table


def header(name: str) -> str:
    """The comment lines before the first key, and the description: what the file says about itself."""
    lines = (profiles_dir() / f"{name}.yaml").read_text().splitlines()
    comments = "\n".join(line for line in lines[: next(i for i, x in enumerate(lines) if not x.startswith("#"))])
    return comments + "\n" + load_profile(name).description


def false_claims(text: str, facts: dict[str, str]) -> list[str]:
    return [f"{phrase!r} but {fact} is {facts[fact]!r}" for phrase, (fact, expected) in CLAIMS.items()
            if re.search(phrase, text) and not re.match(expected, facts[fact])]


def test_the_table_lists_every_profile_once() -> None:
    assert sorted(documented()) == PROFILES


@pytest.mark.parametrize("name", PROFILES)
def test_the_profile_does_what_the_table_says(name: str) -> None:
    assert resolved(name) == documented()[name], f"docs/environments.md '{HEADING}', row {name}"


@pytest.mark.parametrize("name", PROFILES)
def test_the_header_claims_only_what_the_profile_does(name: str) -> None:
    text, facts = header(name), resolved(name)
    assert "docs/environments.md" in text, f"{name}.yaml: the header should point to '{HEADING}'"
    false = false_claims(text, facts)
    assert not false, f"{name}.yaml header or description: " + "; ".join(false)


@pytest.mark.parametrize("name", PROFILES)
def test_the_instance_template_the_table_names_is_the_profiles(name: str) -> None:
    row = next(r for r in section_table(ENVIRONMENTS, HEADING) if quoted(r[0]) == [name])
    assert load_profile(name).dagster.instance_template in quoted(row[-1])


def test_a_stale_header_is_caught() -> None:
    # The header issue #17 found in dev.yaml, against dev's resolved facts.
    stale = "# Spark-heavy assets run on a cluster through dagster-databricks Pipes"
    assert len(false_claims(stale, resolved("dev"))) == 2


def test_a_profile_without_spark_remote_refuses_to_start_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    spark = build_resources(load_profile("prod"))["spark"]
    assert spark.spark_config["spark.remote"] == REMOTE_FROM_ENV
    with pytest.raises(RuntimeError, match="SPARK_REMOTE"):
        spark.spark_session  # noqa: B018 - the property is what starts a session
