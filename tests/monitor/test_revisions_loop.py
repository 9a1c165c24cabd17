"""Readings revised when words commit after their window was emitted (protocol v2), with the real
recogniser (faster-whisper tiny.en, LocalAgreement-2), text encoder, voice extractor and default model.

The engine loop is driven by hand, one audio chunk at a time, in the order of a paced run with
``--text-wait 0``: features first, then the windows that are ready go out, then the recogniser
decodes (and commits words for windows already emitted), then the loop looks for revisions. A
stopped paced run and a ``--fast`` run go through the whole ``Monitor``.
"""

from __future__ import annotations

import subprocess
import threading
from collections import defaultdict, deque

import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.engine.alerts import AlertConfig, AlertEngine
from streammsa.engine.inference import EngineConfig
from streammsa.monitor import Components, DashboardConfig, Monitor, MonitorConfig, replay_messages
from streammsa.monitor.graph import wire
from streammsa.monitor.loop import EngineLoop
from streammsa.protocol import Message
from streammsa.recorder.readings import latest_readings
from streammsa.recorder.timeline import read_timeline

pytestmark = [pytest.mark.slow]

SENTENCE = "The launch slipped again and the customers are angry. I am worried that we will lose them."


@pytest.fixture(scope="module")
def components() -> Components:
    return Components.build(MonitorConfig(engine=EngineConfig(device="cpu")))


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("speech") / "worried.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), SENTENCE], check=True, timeout=30)
    return path


def paced_by_hand(components: Components, wav, asr_behind_s: float = 0.0) -> tuple[list[dict], EngineLoop]:
    """The loop over ``wav`` as a paced run would order it; returns every message as the timeline holds it.

    ``asr_behind_s``: the recogniser gets each chunk only that long after the features did (a recogniser
    falling behind, as on a loaded CPU)."""
    out: list[Message] = []
    config = MonitorConfig(progress=False)
    source = MediaFileSource(wav)
    graph = wire(config, [source], components, out.append, lambda ev: None)
    loop = EngineLoop(graph, components.engine, AlertEngine(AlertConfig()), out.append, lambda r, n: None)
    asr = graph.asr_worker
    features = [w for w in graph.workers if w is not asr]
    backlog: deque = deque()
    for pkt in source.packets():
        for w in features:
            w.handle(pkt)
        graph.latency.observe(pkt.t_end)
        graph.scheduler.advance("text", pkt.t_end)  # readings on time: what Graph.route does at --text-wait 0
        loop.emit_windows(graph.scheduler.ready())
        backlog.append(pkt)
        while backlog and backlog[0].t_end <= pkt.t_end - asr_behind_s:
            asr.handle(backlog.popleft())  # the recogniser commits words after their windows went out
        loop.revise()
    while backlog:  # the end of the input: the recogniser catches up, then finishes
        asr.handle(backlog.popleft())
        loop.revise()
    for w in graph.workers:
        w.finish()
        w.release()
    graph.scheduler.end(graph.stream_end())
    loop.emit_windows(graph.scheduler.ready())
    loop.revise()
    loop.finalize()
    return [m.to_dict() for m in out], loop


def test_words_committed_after_emission_revise_their_readings(components, speech_wav):
    msgs, loop = paced_by_hand(components, speech_wav)
    all_readings = [m for m in msgs if m["type"] == "reading"]
    first = [m for m in all_readings if m["update_latency_ms"] is None]
    assert [m["seq"] for m in first] == list(range(len(first))) and len(first) >= 6
    assert all(m["revision"] == 0 for m in first)
    by_seq: dict[int, list[dict]] = defaultdict(list)
    for m in all_readings:
        by_seq[m["seq"]].append(m)

    # every reading ends with exactly one final message; revisions keep the window, its first latency and alerts
    for seq, ms in by_seq.items():
        assert [m["final"] for m in ms].count(True) == 1 and ms[-1]["final"], ms
        assert [m["revision"] for m in ms] == sorted(m["revision"] for m in ms)
        for m in ms[1:]:
            assert (m["t_start"], m["t_end"], m["latency_ms"], m["alerts"]) == (
                ms[0]["t_start"],
                ms[0]["t_end"],
                ms[0]["latency_ms"],
                ms[0]["alerts"],
            )
            assert m["update_latency_ms"] is not None

    # the point of it: windows whose words came late got them, and a text reading, in a revision
    finals = {m["seq"]: m for m in latest_readings(msgs)}
    gained = [s for s, ms in by_seq.items() if finals[s]["transcript"] != ms[0]["transcript"]]
    assert gained, "no window gained words after its first emission: the recogniser was never late?"
    for s in gained:
        text = finals[s]["modalities"]["text"]
        assert finals[s]["revision"] >= 1 and text["present"] and text["intensity"] is not None
    assert loop.revisions >= len(gained)

    # every committed word reaches the final reading of every window that holds it
    committed = [w for m in msgs if m["type"] == "transcript" and m["kind"] == "committed" for w in m["words"]]
    assert len(committed) >= 10
    for w in committed:
        mid = (w["start"] + w["end"]) / 2
        holders = [f for f in finals.values() if f["t_start"] <= mid < f["t_end"]]
        assert holders, w
        for f in holders:
            assert w["w"] in f["transcript"].split() and f["modalities"]["text"]["present"], (w, f["seq"])


def test_a_recogniser_far_behind_still_gets_its_words_into_every_reading(components, speech_wav):
    # 5 s behind: every word commits after all four windows holding it went out (the failure:
    # without revisions no reading would ever have read a word)
    msgs, loop = paced_by_hand(components, speech_wav, asr_behind_s=5.0)
    every = [m for m in msgs if m["type"] == "reading"]
    first = [m for m in every if m["update_latency_ms"] is None]
    finals = latest_readings(msgs)
    assert len(first) == len(finals) >= 6
    on_time_text = [m["seq"] for m in first if m["modalities"]["text"]["present"]]
    committed = [w for m in msgs if m["type"] == "transcript" and m["kind"] == "committed" for w in m["words"]]
    assert len(committed) >= 10
    with_words = [f for f in finals if f["transcript"]]
    assert len(with_words) == len(finals)  # the sentence fills the clip: every window ends up with words
    late = [f for f in with_words if f["seq"] not in on_time_text]  # words reached them only by revision
    assert all(f["modalities"]["text"]["present"] and f["revision"] >= 1 for f in late)
    assert len(on_time_text) < len(with_words) // 2  # on time, most windows had no words yet
    for w in committed:
        mid = (w["start"] + w["end"]) / 2
        assert all(w["w"] in f["transcript"].split() for f in finals if f["t_start"] <= mid < f["t_end"]), w


def test_a_stopped_run_sends_its_open_readings_as_final(components, speech_wav, tmp_path):
    cfg = MonitorConfig(out_dir=tmp_path, speed=1.0, progress=False, dashboard=DashboardConfig(enabled=False))
    mon = Monitor(cfg, [MediaFileSource(speech_wav)], components=components)
    threading.Timer(3.5, mon.stop).start()
    assert mon.run().interrupted
    every = [m for m in read_timeline(tmp_path / "timeline.jsonl") if m["type"] == "reading"]
    by_seq: dict[int, list[dict]] = defaultdict(list)
    for m in every:
        by_seq[m["seq"]].append(m)
    assert len(by_seq) >= 2
    for ms in by_seq.values():
        assert [m["final"] for m in ms].count(True) == 1 and ms[-1]["final"]
    last = by_seq[max(by_seq)]
    assert not last[0]["final"] and last[-1]["update_latency_ms"] is not None  # open at the stop, then closed


def test_fast_runs_wait_for_words_and_never_revise(components, speech_wav, tmp_path):
    run = replay_messages(speech_wav, components=components, fast=True, out_dir=tmp_path)
    every = run.of_type("reading")
    assert len(every) == len(run.readings) >= 6  # one message per window
    assert all(m["revision"] == 0 and m["final"] is True and m["update_latency_ms"] is None for m in every)
    assert run.result.counters["revisions"] == 0 and run.result.counters["confirmations"] == 0
