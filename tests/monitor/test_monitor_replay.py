"""The whole monitor on real media with the real components (faster-whisper tiny.en, MiniLM,
MediaPipe FaceLandmarker + FER, the CACR model): GRID talking faces, audio-only RAVDESS,
a video-only file, a truncated file. The models load once for the module."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
from support.messages import readings_of

from streammsa.capture.media_file import MediaFileSource
from streammsa.engine.inference import EngineConfig
from streammsa.features.vision import FAST_FACE_STRIDE
from streammsa.monitor import (
    Components,
    DashboardConfig,
    Monitor,
    MonitorConfig,
    ReplayRun,
    StreamBrokenError,
    replay_messages,
)
from streammsa.paths import demo_clip
from streammsa.recorder.timeline import read_timeline

pytestmark = [pytest.mark.slow, pytest.mark.data]

GRID_WORDS = ("bin", "blue", "at", "f", "two", "now")
# how tiny.en writes them on this clip (it runs words together: "BIMBLUE F2 now.", "Bimbloo F2 now.")
GRID_SPELLINGS = {
    "bin": ("bin", "bim"),
    "blue": ("blue", "bloo", "blu"),
    "at": ("at",),
    "f": ("f",),
    "two": ("two", "2"),
    "now": ("now",),
}


def grid_words_heard(text: str) -> int:
    joined = "".join(ch for ch in text.lower() if ch.isalnum())
    return sum(any(sp in joined for sp in GRID_SPELLINGS[w]) for w in GRID_WORDS)


@pytest.fixture(scope="module")
def components() -> Components:
    return Components.build(MonitorConfig(engine=EngineConfig(untrained=True, device="cpu")))


def replay(components: Components, path: Path, out: Path, speed: float | None = None) -> tuple[ReplayRun, list[dict]]:
    run = replay_messages(path, components=components, out_dir=out, fast=speed is None, speed=speed or 1.0)
    return run, run.messages


def normalised(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ")


def test_grid_fast_replay_reads_every_hop_with_words_and_face(components, grid_clip, tmp_path):
    run, msgs = replay(components, grid_clip, tmp_path)
    rs = readings_of(msgs)
    assert [r["t_end"] for r in rs] == [1.0, 2.0, 3.0]  # a reading per hop of the 3 s clip
    assert [r["seq"] for r in rs] == [0, 1, 2]
    assert all(r["modalities"]["vision"]["present"] for r in rs)  # the speaker's face, every window
    # a voice is read where there is speech: the windows after the first second (engine/evidence.py)
    assert all(r["modalities"]["audio"]["present"] for r in rs[1:])
    assert all(r["trained"] is False and -3 <= r["intensity"] <= 3 for r in rs)
    assert grid_words_heard(rs[-1]["transcript"]) >= 4  # "bin blue at f two now"
    assert rs[-1]["modalities"]["text"]["present"]
    assert msgs[0]["type"] == "hello" and msgs[-1]["type"] == "status" and msgs[-1]["state"] == "ended"
    for name in ("timeline.csv", "summary.json", "report.html", "report.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_features_are_computed_once_and_windows_only_slice(components, grid_clip, tmp_path):
    run, msgs = replay(components, grid_clip, tmp_path)
    c = run.result.counters
    n = len(readings_of(msgs))
    committed = [m for m in msgs if m["type"] == "transcript" and m["kind"] == "committed"]
    # each committed segment went through the text encoder exactly once
    assert c["text_cache"]["encoded"] == len(committed) >= 1 and c["text_cache"]["reused"] == 0
    # each analysed frame ran the face model once and stands for its slots of the model's 10 fps (a --fast
    # replay analyses one of every FAST_FACE_STRIDE); overlapping windows sliced, never recomputed
    assert c["vision_cache"]["appended"] == FAST_FACE_STRIDE * c["faces"]
    assert c["faces"] <= c["frames_analysed"] < c["frames_seen"]
    assert 7 <= c["frames_analysed"] <= 8  # 2.5 fps of a 3 s, 25 fps clip
    assert c["audio_cache"]["appended"] == 75  # 25 frames/s for 3 s, once each
    for m in ("text", "audio", "vision"):
        assert c[f"{m}_cache"]["slices"] == n
    assert c["windows"] == n


def test_grid_paced_replay_uses_streaming_asr_and_keeps_time(components, grid_clip, tmp_path):
    run, msgs = replay(components, grid_clip, tmp_path, speed=2.0)
    rs = readings_of(msgs)
    assert [r["t_end"] for r in rs] == [1.0, 2.0, 3.0]
    assert run.result.wall_s >= 1.4  # 3 s of stream at 2x cannot finish faster than 1.5 s
    assert all(r["latency_ms"] >= 0 for r in rs)
    assert grid_words_heard(run.result.transcript) >= 4
    assert any(m["type"] == "transcript" and m["kind"] == "partial" for m in msgs)  # streaming partials


def test_audio_only_file_gives_text_and_audio_readings_with_vision_absent(components, shared_data, tmp_path):
    flac = (
        shared_data / "ravdess" / "audio" / "Actor_01" / "03-01-05-02-01-01-01.flac"
    )  # angry, "Kids are talking by the door"
    run, msgs = replay(components, flac, tmp_path)
    rs = readings_of(msgs)
    assert len(rs) >= 3
    assert all(not r["modalities"]["vision"]["present"] and r["modalities"]["vision"]["intensity"] is None for r in rs)
    # the voice is read wherever words were heard (leading silence carries no voice evidence)
    assert all(r["modalities"]["audio"]["present"] for r in rs if r["modalities"]["text"]["present"])
    assert any(r["modalities"]["text"]["present"] for r in rs)
    assert "door" in normalised(run.result.transcript)
    hello = msgs[0]
    assert hello["presence"] == {"text": True, "audio": True, "vision": False}
    assert json.loads((tmp_path / "summary.json").read_text())["presence_rate"]["vision"] == 0.0


def video_only_copy(src: Path, dst: Path) -> Path:
    """The GRID speaker's frames re-encoded into an mp4 with no audio stream."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vs = inp.streams.video[0]
        st = out.add_stream("mpeg4", rate=25)
        st.width, st.height, st.pix_fmt = vs.codec_context.width, vs.codec_context.height, "yuv420p"
        for f in inp.decode(video=0):
            for pkt in st.encode(av.VideoFrame.from_ndarray(f.to_ndarray(format="rgb24"), format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return dst


def test_video_only_file_gives_vision_readings_with_text_and_audio_absent(components, grid_clip, tmp_path):
    clip = video_only_copy(grid_clip, tmp_path / "face_only.mp4")
    run, msgs = replay(components, clip, tmp_path / "run")
    rs = readings_of(msgs)
    assert len(rs) == 3
    for r in rs:
        assert r["modalities"]["vision"]["present"]
        assert not r["modalities"]["text"]["present"] and not r["modalities"]["audio"]["present"]
        assert r["transcript"] == ""
    assert not any(m["type"] == "transcript" for m in msgs)


def test_truncated_file_keeps_the_timeline_and_fails_with_one_line(components, tmp_path):
    demo = demo_clip()
    if not demo.exists():
        pytest.skip("demo_media/demo.mp4 is made at set-up (scripts/make_demo_media.py)")
    # moov atom first so the header promises the full duration, then cut the file
    full = tmp_path / "faststart.mp4"
    with av.open(str(demo)) as inp, av.open(str(full), "w", options={"movflags": "faststart"}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("audio", "video")}
        for pkt in inp.demux():
            if pkt.dts is not None and pkt.stream.index in streams:
                pkt.stream = streams[pkt.stream.index]
                out.mux(pkt)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.4)])
    cfg = MonitorConfig(out_dir=tmp_path / "run", speed=None, progress=False, dashboard=DashboardConfig(enabled=False))
    mon = Monitor(cfg, [MediaFileSource(cut)], components=components)
    with pytest.raises(StreamBrokenError) as exc:
        mon.run()
    assert "\n" not in str(exc.value) and "cut.mp4" in str(exc.value) and exc.value.exit_code != 0
    msgs = list(read_timeline(tmp_path / "run" / "timeline.jsonl"))
    rs = readings_of(msgs)
    assert len(rs) >= 5 and rs[-1]["t_end"] < 15.0  # what was decoded before the break
    assert msgs[-1]["type"] == "status" and msgs[-1]["state"] == "error"
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["error"]


def test_dashboard_receives_exactly_what_the_timeline_records(components, grid_clip, tmp_path):
    import threading

    from websockets.sync.client import connect

    cfg = MonitorConfig(out_dir=tmp_path, speed=None, progress=False, dashboard=DashboardConfig(enabled=True, port=0))
    mon = Monitor(cfg, [MediaFileSource(grid_clip)], components=components)
    mon.open()
    assert mon.dashboard_url and mon.dashboard_url.startswith("http://127.0.0.1:")
    ws_url = mon.dashboard_url.split("?")[0].replace("http://", "ws://").rstrip("/") + "/ws"
    received: list[dict] = []
    with connect(ws_url, open_timeout=10) as ws:
        first = json.loads(ws.recv(timeout=10))
        done = threading.Event()

        def listen():
            while True:
                msg = json.loads(ws.recv(timeout=60))
                received.append(msg)
                if msg["type"] == "status" and msg["state"] in ("ended", "error"):
                    done.set()
                    return

        t = threading.Thread(target=listen, daemon=True)
        t.start()
        mon.run()
        t.join(timeout=30)
    assert first["type"] == "hello" and first["trained"] is False and first["window_s"] == 4.0
    timeline = [m for m in read_timeline(tmp_path / "timeline.jsonl") if m["type"] != "hello"]
    got = [m for m in received if m["type"] != "hello"]
    assert [m for m in got if m["type"] == "reading"] == [m for m in timeline if m["type"] == "reading"]
    assert len([m for m in got if m["type"] == "reading"]) == 3


def test_no_committed_word_is_lost_between_windows(components, tmp_path):
    demo = demo_clip()
    if not demo.exists():
        pytest.skip("demo_media/demo.mp4 is made at set-up (scripts/make_demo_media.py)")
    run, msgs = replay(components, demo, tmp_path)
    rs = readings_of(msgs)
    assert [r["t_end"] for r in rs][:3] == [1.0, 2.0, 3.0] and len(rs) == 23
    # features no window needs any more were evicted, and none that a window needed
    assert run.result.counters["audio_cache"]["evicted"] > 300 and run.result.counters["vision_cache"]["evicted"] > 100
    assert all(r["modalities"]["vision"]["present"] for r in rs)
    # the voice carries evidence once someone speaks: the first second holds too little speech (engine/evidence.py)
    assert not rs[0]["modalities"]["audio"]["present"] and all(r["modalities"]["audio"]["present"] for r in rs[1:])
    committed = [w for m in msgs if m["type"] == "transcript" and m["kind"] == "committed" for w in m["words"]]
    assert len(committed) > 40
    for w in committed:  # every committed word shows up in the transcript of a window holding its midpoint
        mid = (w["start"] + w["end"]) / 2
        holders = [r for r in rs if r["t_start"] <= mid < r["t_end"]]
        assert holders and all(w["w"] in r["transcript"].split() for r in holders), w


def blank_silent_clip(dst: Path, seconds: float = 3.0) -> Path:
    """A grey picture (no face) with a silent audio track: both streams exist, neither has content."""
    import numpy as np

    with av.open(str(dst), "w") as out:
        v = out.add_stream("mpeg4", rate=25)
        v.width, v.height, v.pix_fmt = 320, 240, "yuv420p"
        a = out.add_stream("pcm_s16le", rate=16000, layout="mono")
        grey = np.full((240, 320, 3), 128, dtype=np.uint8)
        for i in range(int(seconds * 25)):
            for pkt in v.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")):
                out.mux(pkt)
        for i in range(int(seconds * 10)):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1600), dtype=np.int16), format="s16", layout="mono")
            frame.sample_rate = 16000
            frame.pts = i * 1600
            for pkt in a.encode(frame):
                out.mux(pkt)
        for s in (v, a):
            for pkt in s.encode():
                out.mux(pkt)
    return dst


def test_silence_and_no_face_are_absent_not_zero_evidence(components, tmp_path):
    clip = blank_silent_clip(tmp_path / "blank.mkv")
    run, msgs = replay(components, clip, tmp_path / "run")
    rs = readings_of(msgs)
    assert len(rs) == 3
    for r in rs:
        assert not r["modalities"]["vision"]["present"]  # no face in view
        assert not r["modalities"]["text"]["present"] and r["transcript"] == ""  # nothing said
        assert not r["modalities"]["audio"]["present"]  # silence carries no evidence about a voice
        assert r["modalities"]["text"]["intensity"] is None and r["modalities"]["vision"]["conflict"] is None
    assert run.result.counters["frames_analysed"] >= 7 and run.result.counters["faces"] == 0  # --fast: 2.5 a second


def test_live_path_with_a_file_backed_camera_stops_cleanly(components, grid_clip, tmp_path):
    """The live wiring (device clock, live queues, no progress bar, stop on request) with a camera
    source reading a file as a live device (it loops the file, as a camera never ends)."""
    import threading

    from streammsa.capture.camera import CameraSource
    from streammsa.capture.clock import StreamClock

    clock = StreamClock()
    cam = CameraSource(str(grid_clip), clock=clock, live=True)
    cfg = MonitorConfig(out_dir=tmp_path, live=True, progress=False, dashboard=DashboardConfig(enabled=False))
    mon = Monitor(cfg, [cam], components=components, source_name="live")
    clock.start()
    threading.Timer(4.5, mon.stop).start()
    res = mon.run()
    assert res.interrupted
    rs = readings_of(list(read_timeline(tmp_path / "timeline.jsonl")))
    assert res.readings == len(rs) >= 2
    assert [r["t_end"] for r in rs] == [float(i + 1) for i in range(len(rs))]
    assert all(r["modalities"]["vision"]["present"] and not r["modalities"]["audio"]["present"] for r in rs)
    assert all(r["latency_ms"] < 3_000 for r in rs)  # a live window is read soon after its end
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["mode"] == "live" and s["interrupted"] is True
