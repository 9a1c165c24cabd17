"""`streammsa batch` with local worker processes on real clips: every file's readings equal what
`replay --fast` gives for it alone, a broken file is reported and skipped, the summary covers all."""

from __future__ import annotations

import json

import pytest
from support.batch_reference import BROKEN, batch_readings

from streammsa.batch import BatchConfig, run_batch
from streammsa.batch.results import SUMMARY_COLUMNS, read_summary

pytestmark = [pytest.mark.slow, pytest.mark.data]

PER_FILE_OUTPUTS = {
    "timeline.jsonl",
    "timeline.csv",
    "summary.json",
    "report.png",
    "report.html",
    "utterances.csv",
    "transcript.srt",
    "transcript.vtt",
    "batch.json",
}


@pytest.fixture(scope="module")
def two_workers(archive, reference, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-local")
    report = run_batch(BatchConfig(inputs=str(archive), out_dir=out, workers=2, progress=False))
    return out, report


def test_each_file_equals_its_single_replay(two_workers, reference):
    out, _ = two_workers
    assert reference  # the good files
    for name, expected in reference.items():
        assert batch_readings(out, name) == expected, name


def test_each_good_file_has_every_output(two_workers, reference):
    out, _ = two_workers
    for name in reference:
        assert {p.name for p in (out / name).iterdir()} == PER_FILE_OUTPUTS


def test_the_broken_file_is_reported_and_the_batch_goes_on(two_workers, reference):
    out, report = two_workers
    assert report.processed == len(reference) + 1 and report.failed == 1 and not report.interrupted
    [bad] = [r for r in report.results if not r.ok]
    assert bad.name == BROKEN and bad.status == "error"
    assert "not a readable media file" in bad.error and "\n" not in bad.error
    assert json.loads((out / BROKEN / "batch.json").read_text())["status"] == "error"


def test_the_summary_has_one_row_per_file_with_the_reading_means(two_workers, reference):
    out, report = two_workers
    rows = {r["output"]: r for r in read_summary(report.summary_csv)}
    assert set(rows) == set(reference) | {BROKEN}
    assert list(read_summary(report.summary_csv)[0]) == SUMMARY_COLUMNS
    for name, readings in reference.items():
        row = rows[name]
        assert row["status"] == "ok" and int(row["readings"]) == len(readings)
        mean = sum(r["intensity"] for r in readings) / len(readings)
        assert float(row["intensity_mean"]) == pytest.approx(mean, abs=1e-4)
        for m in ("text", "audio", "vision"):
            xs = [r["modalities"][m]["intensity"] for r in readings if r["modalities"][m]["present"]]
            assert (row[f"{m}_mean"] == "") == (not xs)
            if xs:
                assert float(row[f"{m}_mean"]) == pytest.approx(sum(xs) / len(xs), abs=1e-4)
        assert float(row["duration_s"]) > 2.5 and float(row["x_realtime"]) > 0
        d = [r["disagreement"] for r in readings if r.get("disagreement") is not None]
        assert (row["disagreement_mean"] == "") == (not d)
        if d:  # where to look first in an archive: the file's mean and highest window disagreement
            assert float(row["disagreement_mean"]) == pytest.approx(sum(d) / len(d), abs=1e-4)
            assert float(row["disagreement_max"]) == pytest.approx(max(d), abs=1e-4)
    # the flac has no picture: its vision mean is empty, the GRID clips' are not
    assert rows["audio__03-01-05-01-01-01-01.flac"]["vision_mean"] == ""


def test_two_workers_shared_the_files(two_workers):
    _, report = two_workers
    assert len({r.worker for r in report.results}) == 2


def test_a_batch_with_other_settings_stops_before_any_file_and_the_same_ones_resume(two_workers, archive, capsys):
    # resuming skips the files a folder holds: a batch with another face stride (or model, reader, threshold) would
    # otherwise skip them too and leave one summary mixing two kinds of reading
    from streammsa.batch.settings import SETTINGS_NAME
    from streammsa.cli import main
    from streammsa.file_hash import file_sha256
    from streammsa.paths import models_dir

    out, _ = two_workers
    recorded = json.loads((out / SETTINGS_NAME).read_text())
    assert recorded["model"] == {
        "checkpoint": "cacr_monitor.pt",
        "sha256": file_sha256(models_dir() / "cacr_monitor.pt"),
    }
    assert recorded["face_stride"] == 4 and recorded["readers"]["text"] == "shipped"
    before = {p: p.read_bytes() for p in out.glob("*/batch.json")}
    capsys.readouterr()

    assert main(["batch", str(archive), "--out", str(out), "--face-stride", "2", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "other settings (face_stride differ)" in err, err
    assert {p: p.read_bytes() for p in out.glob("*/batch.json")} == before  # nothing touched
    assert json.loads((out / SETTINGS_NAME).read_text()) == recorded

    assert main(["batch", str(archive), "--out", str(out), "-q"]) == 1  # the same settings: resumed (1: broken file)
    assert f"{len(before)} done earlier" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in out.glob("*/batch.json")} == before
