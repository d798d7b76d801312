"""The import graph of a source tree, read from the AST (nothing is imported, no Spark).

Every `import` / `from ... import` counts, at any depth (inside functions and `if TYPE_CHECKING:` too),
with relative imports resolved. Importing `a.b.c` also runs the `__init__` of `a.b`, so an edge goes to
each package on the way that the importer is not itself inside: a cycle through a package `__init__` is
a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    target: str  # the absolute name as written (module, or module.attribute for `from m import a`)
    path: Path
    line: int

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


def modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every .py file of `package` under `root` (a package is its __init__)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> Iterator[Import]:
    """Every import statement of one module, as absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield Import(name, module, path, node.lineno)
            for alias in node.names:
                yield Import(name, f"{module}.{alias.name}", path, node.lineno)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def edges(known: dict[str, Path]) -> dict[str, dict[str, Import]]:
    """importer -> {imported module: the first import statement that imports it} within `known`."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in known}
    for name, path in known.items():
        own = set(_ancestors(name))
        for statement in imports(name, path):
            # `from m import a`: `m.a` if a is a module, else `m` (the longest known prefix).
            target = next((a for a in reversed(_ancestors(statement.target)) if a in known), None)
            if target is None:
                continue
            for module in _ancestors(target):
                if module in known and module not in own:
                    graph[name].setdefault(module, statement)
    return graph


def cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan): every cycle lies in one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
