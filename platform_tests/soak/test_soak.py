"""The unattended soak, shortened (make test): `make run`'s replay, then the real daemon and code location
left alone while two days land, a late file arrives for an old day, a corrupted file for another, and
one automation run is killed.
`make soak` runs the longer form and prints the same per-event figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_tests.soak.soak import main

# A replay of 12 weeks, then five events under the daemon: about 35 min on a quiet machine, 60 on a busy one.
pytestmark = [pytest.mark.soak, pytest.mark.timeout(5400)]


def test_landed_days_late_file_and_a_killed_run_need_no_hand(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--days", "2", "--work", str(tmp_path / "soak")]) == 0
    out = capsys.readouterr().out
    assert "soak passed" in out
