"""Windows on the stream clock: readiness from watermarks, slicing the caches, masks and presence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from streammsa.engine.windowing import Window, WindowScheduler, collate, slice_window
from streammsa.features.cache import FeatureCache
from streammsa.features.spec import FeatureSpec, ModalitySpec


def small_spec(**kw) -> FeatureSpec:
    return FeatureSpec(
        text=ModalitySpec("text", "t", 3, 0.0),
        audio=ModalitySpec("audio", "a", 2, 25.0, mean=(1.0, 0.0), std=(2.0, 1.0)),
        vision=ModalitySpec("vision", "v", 4, 10.0),
        **kw,
    )


def ends(ws):
    return [(w.t_start, w.t_end) for w in ws]


def test_a_window_waits_for_every_active_modality():
    s = WindowScheduler("s", window_s=4.0, hop_s=1.0)
    s.advance("audio", 2.5)
    s.advance("vision", 3.1)
    assert s.ready() == []  # text has not advanced
    s.advance("text", 1.2)
    assert ends(s.ready()) == [(0.0, 1.0)]
    s.advance("text", 5.0)
    assert ends(s.ready()) == [(0.0, 2.0)]  # audio holds 3.0 back
    s.advance("audio", 6.0)
    assert ends(s.ready()) == [(0.0, 3.0)]  # vision holds 4.0 back
    s.advance("vision", 6.0)
    assert ends(s.ready()) == [(0.0, 4.0), (1.0, 5.0)]
    assert [w.index for w in s.ready()] == []


def test_an_inactive_modality_never_holds_windows_back():
    s = WindowScheduler("s", 4.0, 1.0, active=("vision",))
    s.advance("text", 0.0)  # ignored: not active
    s.advance("vision", 2.0)
    assert ends(s.ready()) == [(0.0, 1.0), (0.0, 2.0)]


def test_stream_end_flushes_the_rest_and_a_tail_window():
    s = WindowScheduler("s", 4.0, 1.0, min_tail_s=0.25)
    s.end(2.98)  # a 3 s clip: shorter than one window, still a reading per hop
    assert ends(s.ready()) == [(0.0, 1.0), (0.0, 2.0), (0.0, 2.98)]
    assert s.ready() == []
    s2 = WindowScheduler("s", 4.0, 1.0, min_tail_s=0.25)
    s2.end(6.1)  # 0.1 s left over: no tail window
    assert ends(s2.ready())[-1] == (2.0, 6.0)
    s3 = WindowScheduler("s", 4.0, 1.0)
    s3.end(3.0)
    assert ends(s3.ready()) == [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]


def test_no_active_modality_waits_for_the_end_without_spinning():
    s = WindowScheduler("s", 4.0, 1.0, active=())
    assert s.ready() == []
    s.end(1.0)
    assert ends(s.ready()) == [(0.0, 1.0)]


def test_window_geometry_follows_the_spec():
    spec = small_spec(window_s=2.0, hop_s=0.5)
    s = WindowScheduler("s", spec.window_s, spec.hop_s)
    s.end(3.0)
    got = ends(s.ready())
    assert got[:5] == [(0.0, 0.5), (0.0, 1.0), (0.0, 1.5), (0.0, 2.0), (0.5, 2.5)]
    assert len(got) == 6


def test_slice_window_reads_the_caches_normalises_and_marks_absence():
    spec = small_spec()
    audio = FeatureCache(2, name="audio")
    vision = FeatureCache(4, name="vision")
    t = np.arange(0, 5, 0.04)
    audio.append_many(t, np.stack([np.full_like(t, 3.0), t], axis=1))
    vision.append_many(np.array([0.5, 4.5]), np.ones((2, 4)))  # no face between 1 and 4.5 s
    w = Window("s", 4, 1.0, 5.0)
    x = slice_window(w, {"text": None, "audio": audio, "vision": vision}, spec)
    assert x.present == {"text": False, "audio": True, "vision": True}
    assert x.features["audio"].shape == (100, 2)
    np.testing.assert_allclose(x.features["audio"][:, 0], 1.0)  # (3 - 1) / 2
    assert x.features["audio"][:, 1].min() >= 1.0 and x.features["audio"][:, 1].max() < 5.0
    assert x.features["text"].shape == (0, 3)
    no_face = slice_window(Window("s", 2, 1.0, 3.0), {"text": None, "audio": audio, "vision": vision}, spec)
    assert no_face.present["vision"] is False  # a window without a face is absent, never zeros
    assert audio.counters()["appended"] == len(t)  # slicing never adds or recomputes


def test_collate_pads_masks_and_sets_presence_per_window():
    spec = small_spec()
    audio = FeatureCache(2)
    audio.append_many(np.arange(0, 3, 0.04), np.ones((75, 2)))
    vision = FeatureCache(4)
    vision.append_many(np.array([2.2, 2.3]), np.full((2, 4), 7.0))
    caches = {"text": None, "audio": audio, "vision": vision}
    a = slice_window(Window("a", 0, 0.0, 1.0), caches, spec)
    b = slice_window(Window("b", 2, 0.0, 3.0), caches, spec)
    batch = collate([a, b], spec)
    assert batch.features["audio"].shape == (2, 75, 2)
    assert batch.mask["audio"].sum(dim=1).tolist() == [25, 75]
    assert batch.present.tolist() == [[False, True, False], [False, True, True]]
    assert batch.mask["text"].shape == (2, 1) and not batch.mask["text"].any()
    assert torch.all(batch.features["vision"][0] == 0) and not batch.mask["vision"][0].any()
    assert batch.ids == ["a#0", "b#2"]


def test_bad_geometry_is_rejected():
    with pytest.raises(ValueError):
        WindowScheduler("s", 0.0, 1.0)


def test_evicting_before_the_next_window_start_keeps_every_step_the_next_windows_need():
    # what the engine does after each emission: evict before (last end + hop - window)
    spec = small_spec()
    audio = FeatureCache(2, horizon_s=600.0)
    t = np.arange(0, 10, 0.04)
    audio.append_many(t, np.zeros((len(t), 2)))
    s = WindowScheduler("s", spec.window_s, spec.hop_s, active=("audio",))
    s.advance("audio", 10.0)
    counts = []
    for w in s.ready():
        counts.append(len(slice_window(w, {"text": None, "audio": audio, "vision": None}, spec).features["audio"]))
        audio.evict_before(w.t_end + spec.hop_s - spec.window_s)
    assert counts == [25, 50, 75] + [100] * 7  # full windows stay full after eviction
    assert audio.counters()["evicted"] == 7 * 25  # everything before the next window (7 s .. 11 s)
