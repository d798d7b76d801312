"""The unattended soak, shortened (make test): `make run`'s replay, then the real daemon and code location
left alone while a day lands and its first automation run is killed, a late file arrives for an old
day and a corrupted file for another. `make soak` runs the longer form (five days, a new champion) and
prints the same per-event figures; the champion re-score is also tested in
platform_tests/automation/test_champion_rescore.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_tests.soak.soak import main

# A replay of 12 weeks, then three events under the daemon: about 25 min on a quiet machine, 40 on a busy one.
pytestmark = [pytest.mark.soak, pytest.mark.timeout(3600)]


def test_landed_days_late_file_and_a_killed_run_need_no_hand(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--short", "--work", str(tmp_path / "soak")]) == 0
    out = capsys.readouterr().out
    with capsys.disabled():  # the per-event figures, in the suite's output (make test, CI)
        print("\n".join(line for line in out.splitlines() if not line.startswith("[lakehouse ")))
    assert "soak passed" in out
