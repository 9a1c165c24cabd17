"""`streammsa batch --backend ray` on a local Ray cluster started by the test (two CPUs, two actors,
each loading the models once): the same per-file results as `replay --fast`, the broken file reported."""

from __future__ import annotations

import pytest
from support.batch_reference import BROKEN, batch_readings

from streammsa.batch import BatchConfig, run_batch
from streammsa.batch.results import read_summary

pytestmark = [pytest.mark.slow, pytest.mark.data]

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.cluster_resources()
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_batch(ray_cluster, archive, reference, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-ray")
    report = run_batch(BatchConfig(inputs=str(archive), out_dir=out, backend="ray", workers=2, progress=False))
    return out, report


def test_ray_results_equal_the_single_process_replays(ray_batch, reference):
    out, report = ray_batch
    assert report.processed == len(reference) + 1 and not report.interrupted
    for name, expected in reference.items():
        assert batch_readings(out, name) == expected, name


def test_ray_reports_the_broken_file_and_goes_on(ray_batch, reference):
    _, report = ray_batch
    rows = {r["output"]: r for r in read_summary(report.summary_csv)}
    assert rows[BROKEN]["status"] == "error" and "not a readable media file" in rows[BROKEN]["error"]
    assert all(rows[name]["status"] == "ok" for name in reference)


def test_ray_used_two_actors_and_left_the_callers_cluster_running(ray_batch):
    _, report = ray_batch
    assert len({r.worker for r in report.results}) == 2  # one model per actor, two actors
    assert ray.is_initialized()  # the test started the cluster: the batch must not shut it down
