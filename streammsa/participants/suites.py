"""The constructed meetings of the evaluation, and building them from ``../shared/data``.

Two suites with no person in common where it matters: ``dev`` (RAVDESS actors 13-24, EmoDB speakers
13-16; thresholds were chosen on it) and ``test`` (GRID talking faces, RAVDESS actors 1-12, EmoDB
speakers 03-12; reported). GRID has only 10 people, all in ``test``: the face association has no
threshold fitted on faces.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from streammsa.errors import UsageError
from streammsa.participants.plan import MeetingSpec, plan_meeting
from streammsa.participants.render import render
from streammsa.participants.sources import Utterance, emodb_utterances, grid_utterances, ravdess_utterances
from streammsa.participants.truth import MeetingTruth

TEST_RAVDESS = [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]  # Actor 05 is not in this copy
DEV_RAVDESS = list(range(13, 25))
TEST_EMODB = ["03", "08", "09", "10", "11", "12"]
DEV_EMODB = ["13", "14", "15", "16"]
PER_PERSON = 16  # utterances loaded per voice (RAVDESS: 60 per actor; plenty for 60-s meetings)

SUITES: dict[str, list[MeetingSpec]] = {
    "test": [
        MeetingSpec("grid2", "grid", speakers=2, seed=1),
        MeetingSpec("grid4", "grid", speakers=4, seed=2),
        MeetingSpec("grid4_overlap", "grid", speakers=4, overlap=0.4, seed=3),
        MeetingSpec("grid_mixed", "grid", speakers=3, silent_faces=1, offscreen_voices=1, seed=4),
        MeetingSpec("ravdess2", "ravdess", speakers=2, seed=5),
        MeetingSpec("ravdess4", "ravdess", speakers=4, seed=6),
        MeetingSpec("ravdess4_overlap", "ravdess", speakers=4, overlap=0.4, seed=7),
        MeetingSpec("emodb4", "emodb", speakers=4, seed=8),
    ],
    "dev": [
        MeetingSpec("dev_ravdess2", "ravdess", speakers=2, seed=11),
        MeetingSpec("dev_ravdess4", "ravdess", speakers=4, seed=12),
        MeetingSpec("dev_ravdess4_overlap", "ravdess", speakers=4, overlap=0.4, seed=13),
        MeetingSpec("dev_emodb4", "emodb", speakers=4, seed=14),
        MeetingSpec("dev_ravdess3", "ravdess", speakers=3, seed=15),
        MeetingSpec("dev_ravdess4b", "ravdess", speakers=4, seed=16),
        MeetingSpec("dev_ravdess4b_overlap", "ravdess", speakers=4, overlap=0.4, seed=17),
        MeetingSpec("dev_emodb3", "emodb", speakers=3, seed=18),
    ],
}


def _pools(spec: MeetingSpec, data: Path, suite: str) -> tuple[dict[str, list[Utterance]], dict[str, list[Utterance]]]:
    ravdess = DEV_RAVDESS if suite == "dev" else TEST_RAVDESS
    emodb = DEV_EMODB if suite == "dev" else TEST_EMODB
    extra = ravdess_utterances(data / "ravdess" / "audio", ravdess, PER_PERSON) if spec.offscreen_voices else {}
    if spec.corpus == "grid":
        return grid_utterances(data / "grid"), extra
    if spec.corpus == "ravdess":
        return ravdess_utterances(data / "ravdess" / "audio", ravdess, PER_PERSON), extra
    if spec.corpus == "emodb":
        return emodb_utterances(data / "emodb" / "audio", emodb, PER_PERSON), extra
    raise UsageError(f"unknown corpus {spec.corpus!r}; use grid, ravdess or emodb")


def build_meeting(spec: MeetingSpec, data: Path, out: Path, suite: str = "test") -> MeetingTruth:
    """Plan and render one meeting into ``out/<name>/`` (media + truth.json)."""
    pool, extra = _pools(spec, data, suite)
    plan = plan_meeting(spec, pool, extra)
    return render(plan, {**pool, **extra}, out / spec.name)


def build_suite(
    suite: str, data: Path, out: Path, only: list[str] | None = None, duration_s: float | None = None
) -> list[MeetingTruth]:
    """Build the meetings of ``suite`` (``only`` some; ``duration_s`` overrides their length, e.g. for tests)."""
    if suite not in SUITES:
        raise UsageError(f"unknown suite {suite!r}; use one of {', '.join(SUITES)}")
    specs = [s for s in SUITES[suite] if not only or s.name in only]
    if not specs:
        raise UsageError(f"no meeting named {only} in suite {suite!r}: {', '.join(s.name for s in SUITES[suite])}")
    if duration_s is not None:
        specs = [replace(s, duration_s=duration_s) for s in specs]
    return [build_meeting(s, Path(data), Path(out), suite) for s in specs]
