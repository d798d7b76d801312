"""Access control as code: the profile's `access:` -> Unity Catalog GRANT statements -> the
`apply_access_grants` job. Pure Python, no Spark: no Unity Catalog is reachable here, so the job's Spark
resource is a fake that records `sql` calls (the one stand-in of this file); the statements themselves
are checked as text, exactly."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from dagster import DagsterEventType
from pydantic import ValidationError

from lakehouse.config.access import LAYERS, AccessSettings, LayerAccess
from lakehouse.config.base import validate
from lakehouse.config.profile import Profile, load_profile, profiles_dir
from lakehouse.definitions import build_definitions
from lakehouse.operations.grants import grant_statements, main, profile_grant_statements, quote_principal
from lakehouse.operations.grants_job import GRANTS_JOB, build_grants_job

PROD = [
    "GRANT USE CATALOG ON CATALOG `lakehouse_prod` TO `lakehouse-prod-data-engineers`",
    "GRANT USE CATALOG ON CATALOG `lakehouse_prod` TO `lakehouse-prod-readers`",
    "GRANT USE CATALOG ON CATALOG `lakehouse_prod` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`bronze` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`bronze` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`silver` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`silver` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`gold` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`gold` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`gold` TO `lakehouse-prod-readers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`ml` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`ml` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`scoring` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`scoring` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`scoring` TO `lakehouse-prod-readers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`reporting` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`reporting` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`reporting` TO `lakehouse-prod-readers`",
    "GRANT USE SCHEMA, SELECT, MODIFY, CREATE TABLE ON SCHEMA `lakehouse_prod`.`monitoring` TO `lakehouse-prod-writers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`monitoring` TO `lakehouse-prod-data-engineers`",
    "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`monitoring` TO `lakehouse-prod-readers`",
]


def test_prod_grants_are_exactly_the_expected_statements() -> None:
    assert profile_grant_statements(load_profile("prod")) == PROD


def test_staging_grants_are_prods_on_its_own_catalog_and_groups() -> None:
    # Same shape by design (release candidates run as in prod); only the catalog and the groups differ.
    assert profile_grant_statements(load_profile("staging")) == [s.replace("prod", "staging") for s in PROD]


def test_a_read_only_principal_gets_no_write_privilege() -> None:
    access = AccessSettings(layers={"gold": LayerAccess(read=["analysts"], write=["writer"])})
    analysts = [s for s in grant_statements("c", access) if s.endswith("TO `analysts`")]
    assert analysts == ["GRANT USE CATALOG ON CATALOG `c` TO `analysts`",
                        "GRANT USE SCHEMA, SELECT ON SCHEMA `c`.`gold` TO `analysts`"]
    assert not any(word in s for s in analysts for word in ("MODIFY", "CREATE"))


def test_principals_are_quoted_with_backticks_doubled() -> None:
    assert quote_principal("alf@melmak.et") == "`alf@melmak.et`"
    assert quote_principal("odd`name") == "`odd``name`"
    access = AccessSettings(layers={"silver": LayerAccess(read=["data engineers"])})
    assert grant_statements("lakehouse_prod", access)[-1] == (
        "GRANT USE SCHEMA, SELECT ON SCHEMA `lakehouse_prod`.`silver` TO `data engineers`")


def _prod_with(access: dict[str, Any]) -> dict[str, Any]:
    raw = yaml.safe_load((profiles_dir() / "prod.yaml").read_text())
    return {**raw, "name": "prod", "access": access}


def test_a_misspelt_layer_fails_validation() -> None:
    with pytest.raises(ValidationError, match=r"Unknown layers \['sliver'\]"):
        validate(Profile, _prod_with({"layers": {"sliver": {"read": ["x"]}}}), "prod.yaml")


@pytest.mark.parametrize("principal", ["", " padded", "two\nlines"])
def test_a_blank_or_multi_line_principal_fails_validation(principal: str) -> None:
    with pytest.raises(ValidationError, match="Principal"):
        validate(Profile, _prod_with({"layers": {"gold": {"read": [principal]}}}), "prod.yaml")


def test_a_principal_listed_as_reader_and_writer_fails_validation() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        LayerAccess(read=["w"], write=["w"])


def test_access_needs_a_unity_catalog() -> None:
    raw = {**_prod_with({"layers": {"gold": {"read": ["x"]}}}), "storage": {"catalog": "path"}}
    with pytest.raises(ValidationError, match="storage.catalog: unity"):
        validate(Profile, raw, "prod.yaml")


def test_every_declaring_profile_has_a_writer_on_every_layer_of_the_asset_graph() -> None:
    """LAYERS is the asset graph's schemas (so a new layer cannot go ungranted), and the platform's writer
    may write each of them wherever access is declared (or the pipeline would fail on its first write)."""
    graph = build_definitions(load_profile("prod")).resolve_asset_graph()
    keys = graph.get_all_asset_keys()  # [<dataset>, <schema>, <table>]
    assert {key.path[0] for key in keys} == {load_profile("prod").dataset}
    assert {key.path[1] for key in keys} == set(LAYERS)
    declaring = [p.stem for p in sorted(profiles_dir().glob("*.yaml")) if load_profile(p.stem).access]
    assert declaring == ["dev", "prod", "staging"]
    for name in declaring:
        access = load_profile(name).access
        assert access is not None
        assert all(access.layers[layer].write == [f"lakehouse-{name}-writers"] for layer in LAYERS), name


def test_the_job_is_registered_only_where_access_is_declared() -> None:
    def jobs(profile: str) -> set[str]:
        return {job.name for job in build_definitions(load_profile(profile)).resolve_all_job_defs()}

    assert build_grants_job(load_profile("local")) is None
    assert GRANTS_JOB not in jobs("local") and GRANTS_JOB in jobs("prod")


class RecordingSpark:
    """Stands in for SparkResource: records whether a session was asked for and every `sql` call."""

    def __init__(self) -> None:
        self.sessions = 0
        self.sql_calls: list[str] = []

    @property
    def spark_session(self) -> RecordingSpark:
        self.sessions += 1
        return self

    def sql(self, statement: str) -> None:
        self.sql_calls.append(statement)


def _run(run_config: dict[str, Any]) -> tuple[RecordingSpark, dict[str, Any]]:
    job = build_grants_job(load_profile("prod"))
    assert job is not None
    spark = RecordingSpark()
    result = job.execute_in_process(run_config=run_config, resources={"spark": spark})
    assert result.success
    [output] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_OUTPUT]
    return spark, {k: v.value for k, v in output.step_output_data.metadata.items()}


def test_the_job_is_a_dry_run_by_default_and_executes_nothing() -> None:
    spark, metadata = _run({})  # no config: what the Launchpad and a bare launch do
    assert spark.sql_calls == [] and spark.sessions == 0  # not even a session is started
    assert metadata["dry_run"] is True and metadata["statements_executed"] == 0
    assert metadata["statements_declared"] == len(PROD)
    assert metadata["statements"] == "```sql\n" + ";\n".join(PROD) + ";\n```"


def test_the_job_executes_every_statement_in_order_when_not_a_dry_run() -> None:
    spark, metadata = _run({"ops": {"apply_grants": {"config": {"dry_run": False}}}})
    assert spark.sql_calls == PROD
    assert metadata["dry_run"] is False and metadata["statements_executed"] == len(PROD)


def test_the_cli_prints_the_statements(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--profile", "prod"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:] == [f"{s};" for s in PROD]
    assert main(["--profile", "local"]) == 0
    assert capsys.readouterr().out == ""
