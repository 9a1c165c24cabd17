"""The CLI contract: every command has help, exit codes are as documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

from streammsa.cli import COMMANDS, main


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert "usage: streammsa " + name in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2


def test_unknown_option_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["replay", "--no-such-option"])
    assert exc.value.code == 2


def test_console_script_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "streammsa", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "replay" in proc.stdout
