"""The deployment workflow's shape: main -> test -> build -> staging -> production, each deployment in its
GitHub environment, secrets only in `env:` (never inside a `run:` script, where a command could print
them). actionlint (`make lint`) checks the syntax, expressions and reusable-workflow inputs; the approval
itself is a repository setting (docs/environments.md) that no file can show."""

from __future__ import annotations

from typing import Any

import yaml

from lakehouse.config.profile import REPO_ROOT, load_profile

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def test_main_is_tested_then_deployed_to_staging_then_production() -> None:
    deploy = _load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    assert (jobs["build"]["needs"], jobs["staging"]["needs"], jobs["production"]["needs"]) == (
        "test", "build", "staging")
    for job, environment, profile in (("staging", "staging", "staging"), ("production", "production", "prod")):
        assert jobs[job]["uses"] == "./.github/workflows/deploy-environment.yml"
        assert jobs[job]["with"] == {"environment": environment, "profile": profile}
        assert load_profile(profile).access is not None  # the grants job exists there
    assert "workflow_call" in _load("ci.yml")["on"]


def test_the_deployment_runs_in_the_environment_and_keeps_secrets_out_of_scripts() -> None:
    job = _load("deploy-environment.yml")["jobs"]["deploy"]
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    for workflow in ("deploy.yml", "deploy-environment.yml", "ci.yml"):
        for step in (s for j in _load(workflow)["jobs"].values() for s in j.get("steps", [])):
            assert "secrets." not in step.get("run", ""), (workflow, step.get("name"))
