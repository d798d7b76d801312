"""YAML text written by hand, so each file keeps its comments: scalars and flow collections that PyYAML
(YAML 1.1) reads back as the same values. Strings are plain only when nothing could read them otherwise
(`yes`, `off`, `1e3`, `2001-01-01` are quoted); every other string is JSON-quoted, which YAML reads as
written (JSON strings are YAML double-quoted scalars)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if _PLAIN.fullmatch(text) and text.lower() not in _WORDS else json.dumps(text)


def flow(value: Any) -> str:
    """A value on one line: `{a: 1, b: [x, y]}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def comment(text: str, indent: str = "", width: int = 110) -> list[str]:
    """`text` as `# ` lines of at most `width` characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words, line = paragraph.split(), ""
        for word in words:
            if line and len(indent) + 2 + len(line) + 1 + len(word) > width:
                lines.append(f"{indent}# {line}")
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(f"{indent}# {line}".rstrip())
    return lines


def text(lines: Iterable[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"
