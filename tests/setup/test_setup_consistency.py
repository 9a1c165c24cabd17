"""The README's three commands are the ones CI runs, and 'no tests ran' never passes."""

from __future__ import annotations

import re
import subprocess

import pytest

from streammsa.paths import REPO_ROOT as REPO


def _quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S)
    assert block, "README has no Quick start code block"
    return [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]


def test_readme_quick_start_has_setup_demo_and_test_commands():
    setup, demo, test = _quick_start_commands()
    assert setup == "bash scripts/setup.sh"
    assert demo.endswith("streammsa demo")
    assert test == "bash scripts/test.sh"


def test_ci_runs_the_readme_setup_and_test_commands():
    setup, _demo, test = _quick_start_commands()
    ci = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert setup in ci and test in ci
    assert ci.index(setup) < ci.index(test)
    assert "set -euo pipefail" in ci


def test_setup_script_is_valid_bash():
    for script in ("scripts/setup.sh", "scripts/test.sh", ".ci/run"):
        subprocess.run(["bash", "-n", str(REPO / script)], check=True)


@pytest.mark.slow
def test_test_command_fails_when_no_test_runs():
    # pytest exits 5 when nothing is collected; the test command must turn that into a failure.
    proc = subprocess.run(
        [
            "bash",
            "scripts/test.sh",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/setup/test_setup_consistency.py",
            "-k",
            "no_such_test_name",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "no tests ran" in proc.stderr
