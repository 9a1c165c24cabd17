"""`streammsa replay` on a real GRID clip with NO --untrained: the default trained checkpoint runs end to end."""

from __future__ import annotations

import pytest
from support.messages import readings_of

from streammsa.cli import main
from streammsa.recorder.timeline import read_timeline

pytestmark = [pytest.mark.slow, pytest.mark.data]


def test_replay_without_untrained_uses_the_trained_default_checkpoint(grid_clip, tmp_path):
    rc = main(["replay", str(grid_clip), "--fast", "--no-dashboard", "--out", str(tmp_path), "--device", "cpu"])
    assert rc == 0
    msgs = list(read_timeline(tmp_path / "timeline.jsonl"))
    readings = readings_of(msgs)
    assert len(readings) == 3  # one per hop of the 3 s clip
    assert all(r["trained"] is True and r["model"] == "cacr" for r in readings)
    assert all(-3 <= r["intensity"] <= 3 for r in readings)
    assert all(r["modalities"]["vision"]["present"] for r in readings)
    # the voice is read once the speaker talks (the first second is silence: no voice evidence)
    assert all(r["modalities"]["audio"]["present"] for r in readings[1:])
    # no alert messages say "untrained"
    assert not any("untrained" in m.get("message", "") for m in msgs if m["type"] == "alert")
