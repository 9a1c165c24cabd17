"""End to end with the shipped checkpoint: silence, a pure tone and noise give no voice reading and no alert;
speech gives voice and text readings that say how confident they are."""

from __future__ import annotations

import pytest
from support.media import write_media
from support.messages import of_type, readings_of
from support.signals import nobody_speaking

from streammsa.engine.inference import EngineConfig
from streammsa.monitor import Components, MonitorConfig, replay_messages

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def components() -> Components:
    return Components.build(MonitorConfig(engine=EngineConfig(device="cpu")))


@pytest.mark.parametrize("kind", ["silence", "tone", "noise"])
def test_no_voice_reading_and_no_alert_where_nobody_speaks(components, tmp_path, kind):
    path = tmp_path / f"{kind}.wav"
    write_media(path, audio=nobody_speaking(kind))
    run = replay_messages(path, components=components)
    rs = readings_of(run.messages)
    assert len(rs) == 6 and all(r["trained"] for r in rs)
    for r in rs:
        assert r["modalities"]["audio"] == {
            "present": False,
            "intensity": None,
            "conflict": None,
            "weight": None,
            "confidence": None,
            "disagreement": None,
        }
        assert not r["modalities"]["text"]["present"]
    assert of_type(run.messages, "alert") == []


@pytest.fixture(scope="module")
def grid_readings(components, grid_clip) -> list[dict]:
    return readings_of(replay_messages(grid_clip, components=components).messages)


@pytest.mark.data
def test_speech_windows_carry_voice_and_text_confidence(grid_readings):
    last = grid_readings[-1]["modalities"]
    for m in ("text", "audio", "vision"):
        assert last[m]["present"] and 0.0 < last[m]["confidence"] <= 1.0


@pytest.mark.data
def test_the_text_reading_is_the_text_readers_reading_of_the_windows_words(components, grid_readings):
    with_words = [r for r in grid_readings if r["modalities"]["text"]["present"]]
    assert len(with_words) >= 2 and all(r["transcript"] for r in with_words)  # a 3-s clip: 3 readings
    own = components.text_reader.read([r["transcript"] for r in with_words])
    assert [r["modalities"]["text"]["intensity"] for r in with_words] == pytest.approx(
        list(own), abs=1e-4
    )  # (4 decimals on the wire)
