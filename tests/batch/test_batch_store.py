"""The batch output folder: a file's folder appears whole or not at all, what is done is known from
it, a changed or failed file is processed again when asked, one batch per folder at a time."""

from __future__ import annotations

import os

import pytest

from streammsa.batch.inputs import find_jobs
from streammsa.batch.processor import FileOutcome, crashed
from streammsa.batch.results import FileResult, read_summary
from streammsa.batch.store import INCOMPLETE, BatchStore
from streammsa.errors import InputError


@pytest.fixture
def jobs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("one.wav", "two.wav"):
        (src / name).write_bytes(os.urandom(64))
    return find_jobs(src)


def outcome(job, status="ok", readings=3) -> FileOutcome:
    r = FileResult(
        file=str(job.path), name=job.name, status=status, readings=readings, size=job.size, mtime_ns=job.mtime_ns
    )
    return FileOutcome(r, {"timeline.jsonl": b'{"type":"hello"}\n', "summary.json": b"{}"})


def test_a_committed_file_is_a_complete_folder_and_is_done(tmp_path, jobs):
    store = BatchStore(tmp_path / "out")
    assert not store.is_done(jobs[0])
    store.commit(outcome(jobs[0]))
    folder = tmp_path / "out" / jobs[0].name
    assert sorted(p.name for p in folder.iterdir()) == ["batch.json", "summary.json", "timeline.jsonl"]
    assert store.is_done(jobs[0]) and not store.is_done(jobs[1])
    assert list((tmp_path / "out" / INCOMPLETE).iterdir()) == []  # nothing left half-way
    store.close()


def test_leftovers_of_a_killed_batch_are_removed_and_never_count(tmp_path, jobs):
    out = tmp_path / "out"
    half = out / INCOMPLETE / f"{jobs[0].name}.12345"
    half.mkdir(parents=True)
    (half / "timeline.jsonl").write_text("{}")
    store = BatchStore(out)
    assert not half.exists()
    assert not store.is_done(jobs[0])
    store.close()


def test_a_changed_source_is_processed_again(tmp_path, jobs):
    store = BatchStore(tmp_path / "out")
    store.commit(outcome(jobs[0]))
    jobs[0].path.write_bytes(os.urandom(128))  # the recording was replaced
    [changed] = [j for j in find_jobs(jobs[0].path.parent) if j.name == jobs[0].name]
    assert not store.is_done(changed)
    store.close()


def test_failed_files_count_as_done_unless_retried(tmp_path, jobs):
    store = BatchStore(tmp_path / "out")
    store.commit(crashed(jobs[0], "the worker process died (exit code -11) while processing this file"))
    assert store.is_done(jobs[0])
    assert not store.is_done(jobs[0], retry_failed=True)
    store.commit(outcome(jobs[0]))  # the retry replaces the failed folder whole
    assert store.result(jobs[0]).status == "ok"
    assert (tmp_path / "out" / jobs[0].name / "timeline.jsonl").is_file()
    store.close()


def test_the_summary_lists_every_file_in_input_order(tmp_path, jobs):
    store = BatchStore(tmp_path / "out")
    store.commit(outcome(jobs[1], readings=5))
    store.commit(crashed(jobs[0], "broken"))
    rows = read_summary(store.summary.path)
    assert [r["output"] for r in rows] == [jobs[1].name, jobs[0].name]  # appended as they complete
    store.summary.rewrite(store.results(jobs))
    rows = read_summary(store.summary.path)
    assert [(r["output"], r["status"], r["error"]) for r in rows] == [
        (jobs[0].name, "error", "broken"),
        (jobs[1].name, "ok", ""),
    ]
    assert rows[1]["readings"] == "5"
    store.close()


def test_two_batches_cannot_write_one_folder_at_once(tmp_path):
    first = BatchStore(tmp_path / "out")
    with pytest.raises(InputError, match="another batch is writing"):
        BatchStore(tmp_path / "out")
    first.close()
    BatchStore(tmp_path / "out").close()  # free again once the first is done


def test_out_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        BatchStore(tmp_path / "file")


def test_a_folder_keeps_the_settings_of_its_first_batch(tmp_path):
    from streammsa.batch.settings import SETTINGS_NAME, settle

    first = {"model": {"checkpoint": "cacr_monitor.pt", "sha256": "ab"}, "face_stride": 4, "participants": None}
    settle(tmp_path, first)  # a folder without settings (new, or written before they were recorded) takes them
    settle(tmp_path, dict(first))
    with pytest.raises(InputError, match=r"other settings \(face_stride, model differ\)"):
        settle(tmp_path, {**first, "face_stride": 2, "model": {"checkpoint": "dbr_monitor.pt", "sha256": "cd"}})
    (tmp_path / SETTINGS_NAME).write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        settle(tmp_path, first)
