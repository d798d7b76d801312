"""Headless Chromium from its command line (Debian's `chromium`): DOM dumps and screenshots, no driver.

`--virtual-time-budget` lets the page run its timers for that much virtual time; Chromium still waits
for pending network requests (the UI's GraphQL queries), so the dump is taken after the graph rendered.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / "scripts" / "install_chromium.sh"
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Chromium:
    binary: str
    profile_dir: Path  # a fresh profile: no localStorage from earlier visits changes the page

    def run(self, url: str, args: list[str], width: int, height: int, scale: float = 1.0, budget_ms: int = 20000,
            timeout: float = 240) -> str:
        command = [
            self.binary,
            "--headless",
            "--no-sandbox",  # required when running as root (containers, CI)
            "--disable-gpu",
            "--disable-dev-shm-usage",  # small /dev/shm in containers
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={self.profile_dir}",
            f"--window-size={width},{height}",
            f"--force-device-scale-factor={scale}",
            f"--virtual-time-budget={budget_ms}",
            *args,
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"chromium exited with {result.returncode}: {result.stderr[-3000:]}")
        return result.stdout

    def dump_dom(self, url: str, width: int, height: int) -> str:
        return self.run(url, ["--dump-dom"], width, height)

    def dump_dom_and_screenshot(self, url: str, png: Path, width: int, height: int, scale: float) -> str:
        """One page load for both, so the screenshot shows exactly the DOM that was checked."""
        png.parent.mkdir(parents=True, exist_ok=True)
        return self.run(url, ["--dump-dom", f"--screenshot={png}"], width, height, scale)


def find_or_install_chromium() -> tuple[str | None, str]:
    """(binary, note): runs scripts/install_chromium.sh, which installs Debian's package when missing.
    binary is None only when Chromium is absent and cannot be installed here; note says why."""
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:  # an install was attempted and failed: that is an error, not a skip
        raise RuntimeError(f"{INSTALL_SCRIPT.name} failed:\n{result.stderr}")
    binary = result.stdout.strip()
    return (binary or None), result.stderr.strip()


class _ClassText(HTMLParser):
    """Text of every element whose class list has a token starting with a prefix (CSS-module names
    such as `AssetNode_assetName__tnJ1t` carry a build hash after the component's class name)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.found: list[str] = []
        self._depth = 0  # >0 while inside a matching element
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += 1
        elif any(c.startswith(self.prefix) for c in classes):
            self._depth, self._text = 1, []

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if not self._depth:
                self.found.append("".join(self._text).strip())

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def texts_by_class(html: str, prefix: str) -> list[str]:
    parser = _ClassText(prefix)
    parser.feed(html)
    parser.close()
    return parser.found


def svg_size(html: str, class_prefix: str) -> tuple[float, float]:
    """width and height attributes of the first <svg> whose class starts with class_prefix."""
    match = re.search(rf'<svg class="{re.escape(class_prefix)}[^"]*" width="([\d.]+)" height="([\d.]+)"', html)
    if not match:
        raise AssertionError(f"no <svg class={class_prefix}...> in the page: the graph did not render")
    return float(match.group(1)), float(match.group(2))


def _label_matches(label: str, name: str) -> bool:
    """The UI shortens long names in the middle (`transa…_quarantine`)."""
    if ELLIPSIS not in label:
        return label == name
    head, _, tail = label.partition(ELLIPSIS)
    return len(name) > len(head) + len(tail) and name.startswith(head) and name.endswith(tail)


def unmatched_labels(expected: list[str], rendered: list[str]) -> tuple[list[str], list[str]]:
    """(expected names without a rendered label, rendered labels naming no expected asset); exact
    labels are paired first so that a shortened label cannot take the place of an exact one."""
    names = Counter(expected)
    left: list[str] = []
    for label in rendered:
        if names[label] > 0:
            names[label] -= 1
        else:
            left.append(label)
    extra: list[str] = []
    for label in left:
        name = next((n for n in sorted(names) if names[n] > 0 and _label_matches(label, n)), None)
        if name is None:
            extra.append(label)
        else:
            names[name] -= 1
    return sorted(names.elements()), extra
