"""Parallel rendering's failure mode for scripts: a clear error, not a bare BrokenProcessPool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

UNGUARDED = """
from lakehouse.reporting.parallel import render_all
render_all([(None, None, None)] * 2, 2)  # module level: every spawned worker re-runs this line
"""


def test_a_script_without_a_main_guard_gets_an_error_that_names_the_fix(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode != 0
    assert "report-rendering worker process died" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr and "render_processes: 1" in done.stderr
