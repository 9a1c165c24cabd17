"""Alert rules: the window's disagreement names the modality that disagrees, sustained negativity, hysteresis,
cooldown, evidence."""

from __future__ import annotations

import pytest

from streammsa.engine.alerts import AlertConfig, AlertEngine
from streammsa.errors import UsageError
from streammsa.protocol import ModalityReading, Reading


def reading(
    seq: int,
    *,
    overall: float = 0.0,
    text=(0.0, 0.0),
    audio=(0.0, 0.0),
    vision=(0.0, 0.0),
    trained=True,
    stream="s",
    disagreement: float | None = None,
):
    """(intensity, d_m) per modality; None = absent; ``disagreement``: the window's D (default: the largest d_m).
    (CACR's C_m is a fixed diagnostic here.)"""

    def mr(v):
        if v is None:
            return ModalityReading(False, None, None, None)
        return ModalityReading(True, v[0], 1.0, 0.5, confidence=1.0, disagreement=v[1])

    return Reading(
        stream=stream,
        seq=seq,
        t_start=max(0.0, seq - 3.0),
        t_end=float(seq + 1),
        intensity=overall,
        modalities={"text": mr(text), "audio": mr(audio), "vision": mr(vision)},
        transcript="",
        alerts=[],
        latency_ms=0.0,
        model="cacr",
        trained=trained,
        disagreement=disagreement
        if disagreement is not None
        else max((v[1] for v in (text, audio, vision) if v is not None and v[1] is not None), default=None),
    )


def conflicting(seq: int, disagreement: float = 0.75, **kw):
    # text positive, voice and face negative: text disagrees with the others (the largest disagreement)
    d = disagreement
    return reading(seq, overall=-0.5, text=(1.5, d), audio=(-1.0, d / 2), vision=(-1.2, d / 2), **kw)


def feed(engine: AlertEngine, readings):
    events = []
    for r in readings:
        events += engine.update(r)
    return events


def test_conflict_raises_only_after_k_consecutive_windows_with_evidence():
    eng = AlertEngine(AlertConfig(conflict_windows=3))
    assert feed(eng, [conflicting(0), conflicting(1)]) == []
    ev = eng.update(conflicting(2))
    assert [(e.kind, e.state, e.modality) for e in ev] == [("conflict", "raised", "text")]
    windows = ev[0].evidence["windows"]
    assert [w["seq"] for w in windows] == [0, 1, 2]
    assert all(w["disagreement"] == 0.75 and w["odd_one_out"] == 0.75 and w["intensity"] == 1.5 for w in windows)
    assert windows[0]["others_intensity"] == pytest.approx(-1.1)
    assert eng.active("s") == ["conflict:text"]


def test_a_broken_streak_starts_over():
    eng = AlertEngine(AlertConfig(conflict_windows=3))
    quiet = reading(2, text=(1.5, 0.1), audio=(-1.0, 0.1), vision=(-1.2, 0.1))
    assert feed(eng, [conflicting(0), conflicting(1), quiet, conflicting(3), conflicting(4)]) == []
    assert [e.state for e in eng.update(conflicting(5))] == ["raised"]


def test_the_window_disagreement_decides_not_one_modality_score():
    eng = AlertEngine(AlertConfig(conflict_windows=2))
    # the voice looks odd, but the window's probability of opposite polarities is low
    calm = [reading(i, text=(0.4, 0.1), audio=(-0.4, 0.9), vision=(0.3, 0.1), disagreement=0.2) for i in range(6)]
    assert feed(eng, calm) == []


def test_absent_modality_never_alerts_and_a_lone_modality_has_nobody_to_disagree_with():
    eng = AlertEngine(AlertConfig(conflict_windows=1))
    r = reading(0, overall=-1.0, text=None, audio=None, vision=(1.0, None))
    assert r.disagreement is None
    assert [e.kind for e in eng.update(r)] == []  # one modality cannot conflict with the others


def test_with_two_modalities_the_pair_is_named():
    eng = AlertEngine(AlertConfig(conflict_windows=1))
    r = reading(0, overall=0.0, text=(1.5, 0.75), audio=(-1.2, 0.75), vision=None)
    ev = eng.update(r)
    assert [(e.kind, e.state, e.modality) for e in ev] == [("conflict", "raised", "text+audio")]
    assert ev[0].message.startswith("The words and the voice disagree")


def test_hysteresis_keeps_the_alert_between_clear_and_raise_thresholds():
    cfg = AlertConfig(conflict_raise=0.3, conflict_clear=0.2, conflict_windows=1, clear_windows=2)
    eng = AlertEngine(cfg)
    assert [e.state for e in eng.update(conflicting(0, 0.4))] == ["raised"]
    # 0.25 is below the raise threshold but above the clear one: stays raised
    assert feed(eng, [conflicting(i, 0.25) for i in range(1, 6)]) == []
    assert eng.active("s") == ["conflict:text"]
    # one cool window is not enough, two are
    assert eng.update(conflicting(6, 0.15)) == []
    ev = eng.update(conflicting(7, 0.15))
    assert [(e.state, e.modality) for e in ev] == [("cleared", "text")]
    assert ev[0].alert_id == eng._state[("s", "conflict", "text")].alert_id
    assert eng.active("s") == []


def test_cooldown_suppresses_a_new_raise_until_it_has_passed():
    cfg = AlertConfig(conflict_windows=1, clear_windows=1, cooldown_s=5.0)
    eng = AlertEngine(cfg)
    assert [e.state for e in eng.update(conflicting(0))] == ["raised"]
    assert [e.state for e in eng.update(conflicting(1, 0.05))] == ["cleared"]  # cleared at t_end = 2
    # hot again at t_end 3..6: inside the cooldown (2 + 5 = 7)
    assert feed(eng, [conflicting(i) for i in range(2, 6)]) == []
    ev = eng.update(conflicting(6))  # t_end = 7: cooldown over
    assert [e.state for e in ev] == ["raised"]
    assert ev[0].alert_id.endswith("-2")


def test_sustained_negative_needs_n_windows_and_clears_above_its_clear_threshold():
    cfg = AlertConfig(negative_raise=-1.0, negative_clear=-0.5, negative_windows=4, clear_windows=1)
    eng = AlertEngine(cfg)
    neg = [reading(i, overall=-1.5) for i in range(3)]
    assert feed(eng, neg) == []
    ev = eng.update(reading(3, overall=-1.2))
    assert [(e.kind, e.state, e.modality) for e in ev] == [("sustained_negative", "raised", None)]
    assert [w["overall"] for w in ev[0].evidence["windows"]] == [-1.5, -1.5, -1.5, -1.2]
    assert eng.update(reading(4, overall=-0.7)) == []  # between the thresholds: still active
    assert eng.active("s") == ["sustained_negative"]
    assert [e.state for e in eng.update(reading(5, overall=-0.2))] == ["cleared"]


def test_streams_are_independent():
    eng = AlertEngine(AlertConfig(conflict_windows=2))
    feed(eng, [conflicting(0, stream="a"), conflicting(0, stream="b"), conflicting(1, stream="a")])
    assert eng.active("a") == ["conflict:text"] and eng.active("b") == []


def test_untrained_alerts_say_so_and_carry_the_flag():
    eng = AlertEngine(AlertConfig(conflict_windows=1))
    ev = eng.update(conflicting(0, trained=False))
    assert ev[0].message.startswith("(untrained model: not sentiment)")
    assert ev[0].evidence["trained"] is False
    assert ev[0].to_dict()["type"] == "alert"


@pytest.mark.parametrize(
    "kw",
    [
        dict(conflict_clear=0.7, conflict_raise=0.6),
        dict(negative_raise=-0.4, negative_clear=-0.5),
        dict(conflict_windows=0),
    ],
)
def test_inconsistent_thresholds_are_a_usage_error(kw):
    with pytest.raises(UsageError):
        AlertConfig(**kw)


def test_the_alert_says_in_words_who_disagrees_with_whom():
    eng = AlertEngine(AlertConfig(conflict_windows=1))
    words = eng.update(conflicting(0))[0].message
    assert words.startswith("The words disagree with the voice and the face: probability of opposite polarities")
    face = AlertEngine(AlertConfig(conflict_windows=1)).update(
        reading(0, text=(-1.0, 0.1), audio=(-1.2, 0.1), vision=(1.5, 0.75))
    )[0]
    assert face.modality == "vision" and face.message.startswith("The face disagrees with the words and the voice")


def test_a_conflict_threshold_outside_the_probability_scale_is_refused_with_a_clear_message():
    with pytest.raises(UsageError, match="probability"):
        AlertConfig().with_thresholds(conflict=1.5)
    assert AlertConfig().with_thresholds(conflict=0.7).conflict_raise == 0.7
