"""`streammsa batch` on the command line: bad input and a model that cannot load are one line and
exit 2 before any file is touched; nothing is written for a batch that cannot start."""

from __future__ import annotations

import pytest

from streammsa.cli import main


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_nothing_to_process_is_a_usage_error(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in _one_line(capsys)


def test_zero_workers_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "a.wav").write_bytes(b"\0")
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "out"), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in _one_line(capsys)


def test_a_missing_checkpoint_stops_the_batch_before_any_worker(tmp_path, capsys):
    (tmp_path / "a.wav").write_bytes(b"\0")
    argv = ["batch", str(tmp_path), "--out", str(tmp_path / "out"), "--checkpoint", str(tmp_path / "none.pt")]
    assert main(argv) == 2
    assert "checkpoint" in _one_line(capsys)


@pytest.mark.slow
def test_a_model_that_cannot_load_in_the_workers_is_one_line(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.wav").write_bytes(b"\0")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    argv = ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--checkpoint", str(bad), "--workers", "2"]
    argv.append("-q")  # no progress bar: stderr is the error line alone
    assert main(argv) == 2
    err = _one_line(capsys)
    assert "could not start" in err and "not a readable streammsa checkpoint" in err
    assert not (tmp_path / "out" / "a.wav").exists()
