"""Running the benchmark's jobs: every run that finishes is recorded, whatever the others do."""

from __future__ import annotations

import math

import pytest

from streammsa.training.benchmarks.ravdess import run_jobs


@pytest.mark.parametrize("workers", [1, 2])
def test_every_job_is_recorded_once(workers):
    got: list[float] = []
    run_jobs([4.0, 9.0, 16.0, 25.0], workers, got.append, run=math.sqrt)
    assert sorted(got) == [2.0, 3.0, 4.0, 5.0]


def test_a_failed_run_in_parallel_does_not_lose_the_runs_after_it():
    # in job order (pool.map) the failure at the second job dropped every result after it
    got: list[float] = []
    with pytest.raises(ValueError, match="math domain error"):
        run_jobs([4.0, -1.0, 9.0, 16.0], 2, got.append, run=math.sqrt)
    assert sorted(got) == [2.0, 3.0, 4.0]
