"""The code's shape, checked from the source text alone (AST, no imports, no Spark):

- no import cycle between modules under platform/ (`lakehouse`, `lakehouse_tools`), counting
  function-level imports;
- every import follows the code layers of docs/architecture.md (the table there is the one copy);
- no production module imports `platform_tests`, and `lakehouse` never imports `lakehouse_tools`;
- every path in docs/architecture.md's "Where to change what" exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from platform_tests.doc_tables import quoted, section_table
from platform_tests.import_graph import Import, cycles, edges, imports, modules

REPO = Path(__file__).resolve().parents[1]
PLATFORM = REPO / "platform"
ARCHITECTURE = REPO / "docs" / "architecture.md"


def _section(heading: str) -> list[list[str]]:
    return section_table(ARCHITECTURE, heading)


def layer_table() -> dict[str, tuple[int, set[str]]]:
    """Top-level package or module under lakehouse -> (layer, same-layer packages it may import)."""
    table = {}
    for name, layer, also in _section("Code layers: who may import whom"):
        (component,) = quoted(name)
        number = re.match(r"\d+", layer)
        assert number, f"Layer {layer!r} of {component} does not start with its number"
        table[component] = (int(number.group()), set(quoted(also)))
    return table


def _component(module: str) -> str:
    return module.split(".")[1]


def _graph() -> dict[str, dict[str, Import]]:
    """Every module under platform/: the lakehouse package and the tools above it."""
    return edges(modules(PLATFORM, ""))


def _in_lakehouse(module: str) -> bool:
    return module.split(".")[0] == "lakehouse"


def _describe(edge: Import, target: str) -> str:
    return f"{edge.importer} -> {target} ({edge.where(PLATFORM)})"


def test_no_import_cycles():
    graph = _graph()
    found = cycles(graph)
    report = []
    for component in found:
        members = set(component)
        report.append("cycle among " + ", ".join(component) + ":\n" + "\n".join(
            "    " + _describe(edge, target)
            for importer in component for target, edge in sorted(graph[importer].items()) if target in members))
    print("\n".join(report))  # every cycle, in the test's output as well
    assert not found, f"{len(found)} import cycle(s):\n" + "\n".join(report)


def test_imports_follow_the_layers_of_docs_architecture():
    table = layer_table()
    graph = _graph()
    components = {_component(m) for m in graph if _in_lakehouse(m) and m != "lakehouse"}
    assert not components - set(table), f"No row in {ARCHITECTURE.name}'s code layers for {components - set(table)}"
    stale = {c for c in table if c not in components}
    assert not stale, f"Rows of {ARCHITECTURE.name}'s code layers name no package or module: {stale}"
    for component, (_, also) in table.items():
        assert also <= set(table), f"{component} may import {also - set(table)}, which have no row"
        assert all(table[other][0] == table[component][0] for other in also), (
            f"{component}'s same-layer imports {also} include another layer (lower ones are always allowed)")
    violations: dict[str, list[str]] = {}  # import statement -> the modules it may not import
    for importer, targets in graph.items():
        if not _in_lakehouse(importer) or importer == "lakehouse":
            continue
        mine = _component(importer)
        layer, also = table[mine]
        for target, edge in targets.items():
            if not _in_lakehouse(target):
                continue  # lakehouse_tools: test_production_code_imports_no_tests_and_no_tools
            theirs = _component(target) if target != "lakehouse" else mine
            if theirs == mine or theirs in also:
                continue
            if theirs not in table or table[theirs][0] >= layer:
                violations.setdefault(f"{edge.where(PLATFORM)}: {importer}", []).append(target)
    assert not violations, "Imports against docs/architecture.md's code layers:\n" + "\n".join(
        f"{where} -> {', '.join(targets)}" for where, targets in sorted(violations.items()))


def test_production_code_imports_no_tests_and_no_tools():
    forbidden: dict[str, str] = {}  # import statement -> what it imports
    for name, path in modules(PLATFORM, "").items():
        # The tools sit on top of lakehouse, so lakehouse never imports them.
        banned = {"platform_tests"} | ({"lakehouse_tools"} if name.split(".")[0] == "lakehouse" else set())
        for statement in imports(name, path):
            if statement.target.split(".")[0] in banned:
                forbidden.setdefault(statement.where(PLATFORM), statement.target)
    assert not forbidden, "Production code imports tests or tools:\n" + "\n".join(
        f"{where}: {target}" for where, target in sorted(forbidden.items()))


def test_where_to_change_what_names_existing_paths():
    named = []
    for row in _section("Where to change what"):
        named += [token for cell in row[1:] for token in quoted(cell) if "/" in token or token.endswith((".py", ".md"))]
    assert len(named) >= 10, f"Too few paths found in the table: {named}"
    missing = []
    for path in named:
        base = REPO if path.startswith(("docs/", "platform_tests/")) else PLATFORM / "lakehouse"
        pattern = re.sub(r"<[^>]+>", "*", path)
        if not list(base.glob(pattern)):
            missing.append(f"{path} (looked for {base.relative_to(REPO) / pattern})")
    assert not missing, "docs/architecture.md names paths that do not exist:\n" + "\n".join(missing)
