"""A guard against secrets in configuration files: profiles, dataset YAML, instance templates, CI.

Configuration names the environment variables that hold secrets (`password_env: X`, `{env: X}`,
`${{ secrets.X }}`); a literal value under a secret-sounding key, credentials inside a URL, or a
well-known token format is a finding. `python -m lakehouse.operations.secret_scan` exits 1 on findings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config.profile import REPO_ROOT
from lakehouse.config.project import is_default_project, project_dir

# The throwaway credential of the local/CI test databases (scripts/test_databases.sh), and switches such
# as MARIADB_RANDOM_ROOT_PASSWORD: "yes" -- not secrets.
ALLOWED_VALUES = frozenset({"lakehouse_test", "yes", "no", "true", "false", "0", "1"})
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|authori[sz]ation)", re.I
)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", re.I)
TOKEN_PATTERNS = {
    "slack token": re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    "slack webhook": re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]+/"),
    "github token": re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    "aws access key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "databricks token": re.compile(r"dapi[0-9a-f]{32}"),
    "jwt": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\."),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}
_REFERENCE = re.compile(r"^\$\{\{\s*(secrets|vars|env)\.[A-Za-z0-9_]+\s*\}\}$")


@dataclass(frozen=True)
class Finding:
    path: str
    where: str
    rule: str

    def __str__(self) -> str:  # never prints the value itself
        return f"{self.path}: {self.where}: {self.rule}"


def config_files(root: Path = REPO_ROOT) -> list[Path]:
    patterns = [
        "platform/lakehouse/config/profiles/*.yaml",
        "platform/lakehouse/config/datasets/*/*.yaml",
        "scripts/templates/*.yaml",
        ".github/workflows/*.yml",
        "workspace.yaml",
    ]
    files = [p for pattern in patterns for p in root.glob(pattern)]
    if not is_default_project():  # LAKEHOUSE_PROJECT_DIR's configuration is scanned too
        files += [p for pattern in ("profiles/*.yaml", "datasets/*/*.yaml") for p in project_dir().glob(pattern)]
    return sorted(files)


def _walk(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    """(location, key, value) for every scalar, with the key it sits under."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _walk(value, f"{where}.{key}" if where else str(key))
            else:
                yield (f"{where}.{key}" if where else str(key)), str(key), value
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}[{i}]")


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    findings = []
    for rule, pattern in TOKEN_PATTERNS.items():
        if pattern.search(text):
            findings.append(Finding(path, "text", rule))
    for match in URL_CREDENTIALS.finditer(text):
        if match.group(1) not in ALLOWED_VALUES and not match.group(1).startswith(("${", "$(", "{")):
            findings.append(Finding(path, "text", "credentials in a URL"))
    for doc in yaml.safe_load_all(text):
        for where, key, value in _walk(doc):
            literal = isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip()
            if not literal or not SECRET_KEY.search(key) or key.lower().endswith("_env"):
                continue
            if str(value).lower() in ALLOWED_VALUES or _REFERENCE.match(str(value)):
                continue
            findings.append(Finding(path, where, f"literal value under secret-like key {key!r}"))
    return findings


def scan(paths: Iterable[Path], root: Path = REPO_ROOT) -> list[Finding]:
    findings = []
    for path in paths:
        shown = path.relative_to(root) if path.is_relative_to(root) else path  # a project may lie outside
        findings += scan_text(path.read_text(encoding="utf-8"), str(shown))
    return findings


if __name__ == "__main__":
    found = scan(config_files())
    for finding in found:
        print(finding, file=sys.stderr)
    sys.exit(1 if found else 0)
