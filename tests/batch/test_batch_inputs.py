"""Which files a batch takes (folder, glob, one file) and the stable output folder name of each."""

from __future__ import annotations

import os

import pytest

from streammsa.batch.inputs import find_jobs, job_name
from streammsa.errors import InputError


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "calls"
    for rel in ("a.wav", "day1/b.mp4", "day1/deep/c.FLAC", "notes.txt", ".cache/d.wav", "day1/.hidden/e.wav"):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"\0" * 10)
    return root


def test_a_folder_is_searched_recursively_for_media_only(archive):
    jobs = find_jobs(archive)
    assert [j.path.relative_to(archive).as_posix() for j in jobs] == ["a.wav", "day1/b.mp4", "day1/deep/c.FLAC"]
    assert [j.name for j in jobs] == ["a.wav", "day1__b.mp4", "day1__deep__c.FLAC"]
    assert all(j.path.is_absolute() and j.size == 10 for j in jobs)


def test_the_batch_output_folder_inside_the_input_folder_is_skipped(archive):
    out = archive / "out"
    (out / "x").mkdir(parents=True)
    (out / "x" / "old.wav").write_bytes(b"\0")
    assert all(not j.path.is_relative_to(out) for j in find_jobs(archive, exclude=out))


def test_a_glob_takes_what_it_matches_named_from_its_fixed_part(archive):
    jobs = find_jobs(str(archive / "day1" / "**" / "*"))
    names = sorted(j.name for j in jobs)
    assert names == ["b.mp4", "deep__c.FLAC"]  # the glob's fixed part (calls/day1) is the base


def test_one_file_is_a_batch_of_one(archive):
    [job] = find_jobs(archive / "a.wav")
    assert job.name == "a.wav"


def test_names_are_the_same_on_every_run_and_never_collide(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    for name in ("a b.wav", "a_b.wav", "a?b.wav"):
        (root / name).write_bytes(b"\0")
    first = [j.name for j in find_jobs(root)]
    assert len(set(first)) == 3
    assert first == [j.name for j in find_jobs(root)]
    assert all(os.sep not in n and not n.startswith(".") for n in first)


def test_job_name_of_a_nested_path(tmp_path):
    assert job_name(tmp_path / "x" / "y z" / "f.wav", tmp_path) == "x__y_z__f.wav"


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("missing-folder", "does not exist"),
        ("*.nothing-matches", "no media files found"),
    ],
)
def test_nothing_to_process_is_one_clear_error(tmp_path, monkeypatch, spec, expected):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=expected):
        find_jobs(spec)


def test_a_folder_without_media_says_what_it_looked_for(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(InputError, match=r"no media files found in .*\.wav"):
        find_jobs(tmp_path)
