"""`streammsa replay` / `demo` / `live` as a user runs them: exit codes, one-line errors, files left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.messages import readings_of
from support.processes import spawn_streammsa

from streammsa.cli import main
from streammsa.features.vision import DEFAULT_FACE_STRIDE
from streammsa.paths import REPO_ROOT
from streammsa.recorder.timeline import read_timeline

REPO = REPO_ROOT
DEMO = REPO / "demo_media" / "demo.mp4"


cli = spawn_streammsa


def readings(path: Path) -> list[dict]:
    """Readings on disk so far (a torn last line is skipped, as the report does)."""
    return readings_of(read_timeline(path)) if path.exists() else []


@pytest.mark.slow
@pytest.mark.data
def test_acceptance_grid_fast_replay_headless(grid_clip, tmp_path):
    out = tmp_path / "run"
    t0 = time.monotonic()
    proc = cli("replay", str(grid_clip), "--fast", "--no-dashboard", "--out", str(out), "--untrained")
    stdout, stderr = proc.communicate(timeout=180)
    wall = time.monotonic() - t0
    assert proc.returncode == 0, stderr
    assert f"run folder: {out}" in stdout.splitlines()[0]
    rs = readings(out / "timeline.jsonl")
    assert [r["t_end"] for r in rs] == [1.0, 2.0, 3.0]
    heard = "".join(ch for ch in rs[-1]["transcript"].lower() if ch.isalnum())
    assert "now" in heard and ("blue" in heard or "bloo" in heard)  # tiny.en: "BIMBLUE F2 now."
    assert all(r["trained"] is False for r in rs) and "UNTRAINED" in stderr
    for name in ("timeline.csv", "report.html", "report.png", "summary.json"):
        assert (out / name).exists()
    print(f"replay --fast of {grid_clip.name}: {wall:.1f} s wall, process start to exit")


def test_missing_file_is_one_line_exit_2(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "nope.mp4"), "--no-dashboard", "--untrained"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]


def test_corrupt_file_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "meeting.mp4"
    bad.write_bytes(os.urandom(4096))
    assert main(["replay", str(bad), "--no-dashboard", "--untrained", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "meeting.mp4" in err[0] and "not a readable media file" in err[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.data
def test_bad_speed_is_a_usage_error(grid_clip, capsys):
    assert main(["replay", str(grid_clip), "--speed", "0", "--no-dashboard", "--untrained"]) == 2


def test_live_on_a_machine_without_devices_is_one_clear_line(capsys):
    rc = main(["live", "--no-dashboard", "--untrained"])
    err = capsys.readouterr().err.strip().splitlines()
    if rc == 0:
        pytest.skip("this machine has a camera and a microphone")
    assert rc != 0 and len(err) == 1
    assert "streammsa devices" in err[0] and "streammsa replay FILE" in err[0]


def test_demo_without_its_clip_names_the_setup_command(tmp_path, capsys):
    assert main(["demo", "--clip", str(tmp_path / "demo.mp4"), "--no-dashboard", "--untrained"]) == 2
    err = capsys.readouterr().err.strip()
    assert "scripts/make_demo_media.py" in err and len(err.splitlines()) == 1


@pytest.mark.slow
def test_ctrl_c_mid_replay_keeps_the_timeline_and_writes_the_report(tmp_path):
    if not DEMO.exists():
        pytest.skip("demo_media/demo.mp4 is made at set-up (scripts/make_demo_media.py)")
    out = tmp_path / "run"
    proc = cli("replay", str(DEMO), "--speed", "2", "--no-dashboard", "--untrained", "--out", str(out))
    try:
        deadline = time.monotonic() + 120
        while len(readings(out / "timeline.jsonl")) < 3:  # flushed per reading: visible while it runs
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "no readings appeared"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    rs = readings(out / "timeline.jsonl")
    assert 3 <= len(rs) < 22  # stopped early: the demo clip is 22.7 s
    assert [r["seq"] for r in rs] == list(range(len(rs)))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["readings"] == len(rs)
    assert (out / "report.html").exists() and (out / "timeline.csv").exists()
    last = json.loads((out / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["type"] == "status" and last["detail"] == "interrupted"


@pytest.mark.slow
def test_demo_runs_headless(tmp_path):
    if not DEMO.exists():
        pytest.skip("demo_media/demo.mp4 is made at set-up (scripts/make_demo_media.py)")
    out = tmp_path / "demo"
    proc = cli("demo", "--fast", "--no-dashboard", "--untrained", "--out", str(out))
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    rs = readings(out / "timeline.jsonl")
    assert len(rs) == 23 and all(r["modalities"]["vision"]["present"] for r in rs)
    # the voice is read once the speaker talks: every window but the first second
    assert all(r["modalities"]["audio"]["present"] for r in rs[1:])
    assert "deadline" in " ".join(r["transcript"] for r in rs).lower()


PARTICIPANTS = "--participants takes a number of people from 1 to 8, or auto"
STRIDE = "--face-stride takes a whole number of slots >= 1"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--participants", v, PARTICIPANTS) for v in ("0", "9", "two", "")]
    + [("--face-stride", v, STRIDE) for v in ("0", "-1", "1.5", "two")],
)
def test_a_count_out_of_range_is_one_line_usage_error(grid_clip, flag, value, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["replay", str(grid_clip), "--fast", "--no-dashboard", flag, value])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.data
@pytest.mark.parametrize("flag", ["--text-reader", "--voice-reader", "--face-reader"])
def test_a_missing_reader_file_is_one_line_naming_the_way_back_to_the_head(grid_clip, tmp_path, capsys, flag):
    missing = tmp_path / "nope.npz"
    rc = main(["replay", str(grid_clip), "--fast", "--no-dashboard", flag, str(missing), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1
    assert str(missing) in err[0] and f"{flag} head" in err[0]


@pytest.mark.data
def test_showing_the_face_head_says_the_overall_reading_was_fitted_with_the_face_reader(grid_clip, tmp_path, capsys):
    """The shipped overall reading weighs the face reader's reading (its scale, not the head's): a run that shows the
    head still runs, and says once that the weight was fitted for the other reading; the default run says nothing."""
    warning = "the overall reading's face weight was fitted with the face's reader reading"
    for flags, warned in (([], False), (["--face-reader", "head"], True)):
        out = tmp_path / ("head" if flags else "reader")
        rc = main(["replay", str(grid_clip), "--fast", "--no-dashboard", "--out", str(out), *flags])
        err = capsys.readouterr().err
        assert rc == 0 and (err.count(warning) == 1) is warned, err


PLAYS_DURING_LOAD = """
import sys
from streammsa.capture.pacing import CaptureThread
start = CaptureThread.start
def recording_start(self, held=False):
    if held:
        print(f"held start: torch imported {'torch' in sys.modules}", flush=True)
    return start(self, held)
CaptureThread.start = recording_start
from streammsa.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.data
def test_a_paced_replay_plays_its_file_while_the_models_load_and_reads_all_of_it(grid_clip, tmp_path):
    """Issue #12 (start-up): the file starts playing before torch is imported, and what played while the models
    loaded is read like the rest: every window's face reads, and its voice is heard, as in a --fast replay."""

    def first_messages(*mode: str) -> dict[int, dict]:
        out = tmp_path / "-".join(("run", *mode))
        args = ["-q", "replay", str(grid_clip), *mode, "--no-dashboard", "--out", str(out)]
        proc = subprocess.run(
            [sys.executable, "-c", PLAYS_DURING_LOAD, *args], capture_output=True, text=True, timeout=180, cwd=REPO
        )
        assert proc.returncode == 0, proc.stderr
        assert ("held start: torch imported False" in proc.stdout.splitlines()) == (not mode)
        rs = {r["seq"]: r for r in readings(out / "timeline.jsonl")}  # (each window's last revision)
        assert [r["t_end"] for r in rs.values()] == [1.0, 2.0, 3.0]
        return rs

    # (the --fast run analyses the faces the paced run analyses: --fast alone analyses one in two of them)
    paced, fast = first_messages(), first_messages("--fast", "--face-stride", str(DEFAULT_FACE_STRIDE))
    assert paced[0]["modalities"]["vision"]["present"]
    for seq in paced:  # (a voice reads against its speaker's baseline as it stood when the reading was revised)
        got, want = paced[seq]["modalities"], fast[seq]["modalities"]
        face, face_fast = got["vision"], want["vision"]
        assert (face["present"], face["intensity"]) == (face_fast["present"], face_fast["intensity"]), seq
        assert got["audio"]["present"] == want["audio"]["present"], seq
