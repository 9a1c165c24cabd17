"""MediaFileSource decodes real recordings into ordered stream-clock packets and fails clearly."""

from __future__ import annotations

import numpy as np
import pytest
from support.media import write_media

from streammsa.capture.media_file import MediaFileSource, read_audio
from streammsa.capture.packets import SAMPLE_RATE, AudioChunk, VideoFrame
from streammsa.errors import InputError


def split(packets):
    audio = [p for p in packets if isinstance(p, AudioChunk)]
    video = [p for p in packets if isinstance(p, VideoFrame)]
    return audio, video


def assert_audio_contiguous(audio):
    for a, b in zip(audio, audio[1:]):
        assert b.t == pytest.approx(a.t_end, abs=1e-6)


@pytest.mark.data
def test_grid_mpg_gives_both_streams_in_time_order(grid_clip):
    with MediaFileSource(grid_clip) as src:
        assert src.has_audio and src.has_video
        packets = list(src)
    times = [p.t for p in packets]
    assert times == sorted(times)
    audio, video = split(packets)
    assert 70 <= len(video) <= 76  # 3 s at 25 fps
    assert video[0].image.shape == (288, 360, 3) and video[0].image.dtype == np.uint8
    assert video[1].t - video[0].t == pytest.approx(0.04, abs=1e-3)
    assert all(a.samples.dtype == np.float32 and a.samples.ndim == 1 for a in audio)
    assert audio[0].t == pytest.approx(0.0, abs=0.05)
    total = sum(len(a.samples) for a in audio) / SAMPLE_RATE
    assert total == pytest.approx(src.duration, abs=0.1)
    assert_audio_contiguous(audio)
    # Real speech, not silence.
    assert np.sqrt(np.mean(np.concatenate([a.samples for a in audio]) ** 2)) > 0.01
    assert src.error is None


@pytest.mark.data
def test_max_fps_decimates_video_but_keeps_all_audio(grid_clip):
    full_audio = read_audio(grid_clip)
    with MediaFileSource(grid_clip, max_fps=5) as src:
        audio, video = split(list(src))
    assert 14 <= len(video) <= 16
    assert all(b.t - a.t >= 0.199 for a, b in zip(video, video[1:]))
    assert sum(len(a.samples) for a in audio) == len(full_audio)


@pytest.mark.data
def test_frame_filter_converts_only_the_frames_it_accepts_and_the_last_one(grid_clip):
    from streammsa.features.vision import RateGate

    with MediaFileSource(grid_clip) as src:
        all_audio, all_video = split(list(src))
    gate = RateGate(10.0)
    wanted = [f.t for f in all_video if gate(f.t)]
    with MediaFileSource(grid_clip, frame_filter=RateGate(10.0)) as src:
        audio, video = split(list(src))
        assert src.frames_decoded == len(all_video)
        assert src.frames_skipped == len(all_video) - len(video)
    assert [f.t for f in video] == wanted + ([all_video[-1].t] if wanted[-1] != all_video[-1].t else [])
    np.testing.assert_array_equal(video[-1].image, all_video[-1].image)  # the held last frame, intact
    for f in video[:5]:
        np.testing.assert_array_equal(f.image, next(g.image for g in all_video if g.t == f.t))
    assert [a.t for a in audio] == [a.t for a in all_audio]  # audio untouched
    assert src.delivered_until == pytest.approx(max(all_audio[-1].t_end, all_video[-1].t))


@pytest.mark.data
def test_ravdess_flac_is_audio_only(shared_data):
    path = sorted((shared_data / "ravdess" / "audio" / "Actor_01").glob("*.flac"))[0]
    with MediaFileSource(path) as src:
        assert src.has_audio and not src.has_video
        audio, video = split(list(src))
    assert not video
    assert_audio_contiguous(audio)
    assert sum(len(a.samples) for a in audio) / SAMPLE_RATE == pytest.approx(src.duration, abs=0.05)


def test_video_only_file_has_no_audio(tmp_path):
    path = tmp_path / "silent.mkv"
    write_media(path, [np.full((48, 64, 3), (i * 10) % 250, np.uint8) for i in range(20)], fps=10)
    with MediaFileSource(path) as src:
        assert src.has_video and not src.has_audio
        audio, video = split(list(src))
    assert not audio and len(video) == 20
    assert [round(v.t, 2) for v in video[:3]] == [0.0, 0.1, 0.2]
    # RGB order survives the round trip: a grey ramp stays a ramp.
    assert video[5].image.mean() == pytest.approx(50, abs=3)


def test_missing_file_is_a_one_line_input_error(tmp_path):
    with pytest.raises(InputError) as exc:
        MediaFileSource(tmp_path / "nope.mp4")
    msg = str(exc.value)
    assert "cannot open" in msg and "nope.mp4" in msg and "check the path" in msg and "\n" not in msg


def test_random_bytes_are_rejected_as_unreadable_media(tmp_path):
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError) as exc:
        MediaFileSource(path)
    assert "not a readable media file" in str(exc.value) and "\n" not in str(exc.value)


def test_truncated_file_stops_cleanly_keeps_what_was_decoded_and_says_so(tmp_path):
    whole = tmp_path / "whole.mkv"
    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    write_media(whole, [np.full((48, 64, 3), i, np.uint8) for i in range(100)], fps=25, audio=tone)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with MediaFileSource(cut) as src:
        packets = list(src)  # must not raise
    audio, video = split(packets)
    assert 20 < len(video) < 100 and audio
    assert src.error is not None and "truncated" in src.error and "\n" not in src.error
    assert src.delivered_until < src.duration - 1.0


def test_damaged_bytes_mid_file_stop_decoding_with_one_line_and_keep_earlier_frames(tmp_path):
    rng = np.random.default_rng(1)
    noise = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(100)]  # incompressible: a big file
    whole = tmp_path / "whole.mp4"
    write_media(whole, noise, fps=25, container_options={"movflags": "faststart"})
    data = bytearray(whole.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    with MediaFileSource(bad) as src:
        frames = list(src)  # must not raise
    assert 10 < len(frames) < 100
    assert src.error is not None and "decoding stopped at" in src.error and "\n" not in src.error


def test_short_soundtrack_under_long_video_does_not_hold_frames_back(tmp_path):
    path = tmp_path / "short_audio.mkv"
    tone = (0.2 * np.sin(2 * np.pi * 200 * np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE)).astype(np.float32)
    write_media(path, [np.full((32, 32, 3), i, np.uint8) for i in range(200)], fps=25, audio=tone)  # 8 s video
    with MediaFileSource(path) as src:
        packets = list(src)
    audio, video = split(packets)
    assert len(video) == 200 and sum(len(a.samples) for a in audio) >= len(tone)
    assert [p.t for p in packets] == sorted(p.t for p in packets)
    # Frames were released ~2 s behind the newest one, not all kept until the end of the file.
    assert src.max_pending < 80


@pytest.mark.data
def test_apart_gives_the_same_audio_and_frames_on_two_sources_of_one_clock(grid_clip):
    with MediaFileSource(grid_clip) as whole:
        audio, video = split(list(whole))
    parts = MediaFileSource(grid_clip).apart()
    assert len(parts) == 2
    apart_audio, apart_video = (list(p) for p in parts)
    assert [(p.has_audio, p.has_video) for p in parts] == [(True, False), (False, True)]
    assert all(isinstance(p, AudioChunk) for p in apart_audio) and all(isinstance(p, VideoFrame) for p in apart_video)
    assert [a.t for a in apart_audio] == [a.t for a in audio]
    assert np.array_equal(np.concatenate([a.samples for a in apart_audio]), np.concatenate([a.samples for a in audio]))
    assert [f.t for f in apart_video] == [f.t for f in video]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(apart_video, video))


@pytest.mark.data
def test_a_file_with_one_stream_is_not_taken_apart(shared_data):
    src = MediaFileSource(sorted((shared_data / "ravdess" / "audio" / "Actor_01").glob("*.flac"))[0])
    assert src.apart() == [src]
    src.close()


@pytest.mark.data
@pytest.mark.parametrize("ahead", ["audio", "video"])
def test_a_part_waits_for_the_other_beyond_its_lead_and_not_after_the_other_ends(grid_clip, monkeypatch, ahead):
    import threading
    import time

    from streammsa.capture import media_file

    monkeypatch.setattr(media_file, "PART_LEAD_S", 1.0)
    parts = dict(zip(("audio", "video"), MediaFileSource(grid_clip).apart()))
    first, second = parts[ahead], parts["video" if ahead == "audio" else "audio"]
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(first), daemon=True)
    reader.start()
    time.sleep(1.0)  # the other part has not delivered anything: this one stops about 1 s in
    assert got and max(p.t for p in got) <= 1.0 + 1e-6
    assert reader.is_alive()
    for pkt in second:  # as the other goes on, so does this one, at most 1 s ahead of it
        assert max(p.t for p in got) <= second.delivered_until + 1.0 + 1e-6
        if pkt.t > 1.5:
            break
    second.close()  # the other part has ended: this one runs to its end
    reader.join(10)
    assert not reader.is_alive()
    if ahead == "audio":
        assert sum(len(a.samples) for a in got) == len(read_audio(grid_clip))
    else:
        assert 70 <= len(got) <= 76  # every frame of the 3-s clip
    first.close()
