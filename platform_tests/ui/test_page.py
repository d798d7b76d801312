"""The UI's global asset lineage page renders every asset of the graph in a real browser (headless
Chromium). The page's screenshot goes to the test's temp folder; with LAKEHOUSE_UPDATE_SCREENSHOTS=1 it
also replaces docs/images/asset-graph.png (so a plain test run leaves the working tree clean)."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path
from urllib.parse import urlencode

from lakehouse.definitions import defs
from platform_tests.ui.browser import REPO, Chromium, svg_size, texts_by_class, unmatched_labels
from platform_tests.ui.webserver import LOCATION, REPOSITORY, Webserver

DOCS_SCREENSHOT = REPO / "docs" / "images" / "asset-graph.png"
# CSS-module class prefixes of the UI build (dagster-webserver 1.13): the graph's <svg> and a node's name.
GRAPH_SVG = "AssetGraphExplorer_svgContainer"
NODE_NAME = "AssetNode_assetName"
# Page chrome around the graph (navigation, asset tree, toolbar) in CSS pixels, with some room to spare.
PAGE_MARGIN = (700, 250)
PROBE_WINDOW = (2400, 1600)
PNG_WIDTH = 1400  # the saved screenshot's width: readable, and small in the repository
# Shown in full (not shortened in the middle) when the graph is at full zoom: the designed spine.
FULL_NAMES = ["transactions_pos", "transactions", "transaction_features", "training_set", "model"]


def _lineage_url(webserver: Webserver, groups: list[str]) -> str:
    """/asset-groups is the global asset lineage. Groups start collapsed, each a box without its assets;
    the page keeps expanded groups in the `expanded` parameter, with ids whose form depends on a UI feature
    flag (per code location or global), so both forms are named."""
    ids = [f"global@global:{g}" for g in groups] + [f"{REPOSITORY}@{LOCATION}:{g}" for g in groups]
    return f"{webserver.url}/asset-groups?{urlencode({'expanded': ','.join(ids)})}"


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_lineage_page_renders_every_asset(webserver: Webserver, chromium: Chromium, tmp_path: Path):
    screenshot = tmp_path / "asset-graph.png"
    graph = defs.resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    url = _lineage_url(webserver, sorted({graph.get(k).group_name for k in keys}))

    # The page zooms the graph to fit its window, and only a graph near full zoom shows full names: a first
    # load gives the laid-out graph's size, the second opens a window in which all of it fits.
    width, height = svg_size(chromium.dump_dom(url, *PROBE_WINDOW), GRAPH_SVG)
    window = (int(width) + PAGE_MARGIN[0], int(height) + PAGE_MARGIN[1])
    scale = min(1.0, PNG_WIDTH / window[0])
    html = chromium.dump_dom_and_screenshot(url, screenshot, *window, scale)

    assert "Global asset lineage" in html
    labels = texts_by_class(html, NODE_NAME)
    missing, unknown = unmatched_labels([k.path[-1] for k in keys], labels)
    assert not missing and not unknown, f"assets without a node: {missing}; nodes of no asset: {unknown}"
    for name in FULL_NAMES:
        assert name in labels, f"{name} not shown in full; node labels: {labels}"

    # Chromium snaps the scale factor to its own steps: check the window's shape, not exact pixels.
    png_width, png_height = _png_size(screenshot)
    assert png_width <= window[0] and abs(png_height / png_width - window[1] / window[0]) < 0.01
    assert screenshot.stat().st_size > 50_000, "screenshot too small to show a graph"
    if os.environ.get("LAKEHOUSE_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)
