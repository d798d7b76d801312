"""The deployable package holds the pipeline only: the wheel's packages are `lakehouse` and its
subpackages, the local tools (platform/lakehouse_tools: demo data, `make run`, benchmarks, servers,
set-up) are a distribution of their own, and no pipeline module imports them (the cluster's wheel
would not have them). Pure Python: reads files, starts nothing."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages, find_packages

REPO = Path(__file__).resolve().parents[1]
PIPELINE, TOOLS = "lakehouse", "lakehouse_tools"


def _packages(project: Path) -> set[str]:
    """The packages setuptools puts in the project's distribution ([tool.setuptools.packages.find])."""
    find = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    finder = find_namespace_packages if find.get("namespaces", True) else find_packages
    found: set[str] = set()
    for where in find["where"]:
        found |= set(finder(where=str(project / where), include=find["include"], exclude=find.get("exclude", ())))
    return found


def _top_level(packages: set[str]) -> set[str]:
    return {name.split(".")[0] for name in packages}


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_the_wheel_holds_the_pipeline_package_only() -> None:
    wheel = _packages(REPO)
    assert _top_level(wheel) == {PIPELINE}
    assert {"lakehouse", "lakehouse.databricks", "lakehouse.ingestion"} <= wheel


def test_the_tools_distribution_holds_the_tools_package_only() -> None:
    tools = _packages(REPO / "tools")
    assert _top_level(tools) == {TOOLS}
    assert {"lakehouse_tools.demo", "lakehouse_tools.bench"} <= tools


def test_every_package_of_the_source_root_is_in_one_distribution() -> None:
    roots = {p.name for p in (REPO / "platform").iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert roots == {PIPELINE, TOOLS}


def test_pipeline_modules_do_not_import_the_tools() -> None:
    # Relative imports stay inside lakehouse by construction; absolute ones are what could cross.
    crossing = {
        str(path.relative_to(REPO)): sorted(m for m in _imported_modules(path) if m == TOOLS or m.startswith(TOOLS + "."))
        for path in sorted((REPO / "platform" / PIPELINE).rglob("*.py"))
    }
    assert not {path: modules for path, modules in crossing.items() if modules}, \
        "pipeline code must not need the local tools (the deployed wheel does not have them)"
