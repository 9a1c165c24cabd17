"""LocalAgreement-2 on hand-made hypotheses: a word is final once two consecutive hypotheses agree."""

from __future__ import annotations

from streammsa.asr.hypothesis import HypothesisBuffer
from streammsa.asr.words import TimedWord


def hyp(*spec: tuple[str, float, float]) -> list[TimedWord]:
    return [TimedWord(start, end, " " + text, 0.9) for text, start, end in spec]


def texts(words):
    return [w.text.strip() for w in words]


def test_first_hypothesis_commits_nothing_second_commits_the_common_prefix():
    hb = HypothesisBuffer()
    hb.insert(hyp(("the", 0.0, 0.2), ("quarterly", 0.2, 0.7), ("result", 0.7, 1.0)))
    assert hb.flush() == []
    assert texts(hb.complete()) == ["the", "quarterly", "result"]
    hb.insert(hyp(("the", 0.0, 0.2), ("quarterly", 0.2, 0.7), ("results", 0.7, 1.1), ("were", 1.1, 1.3)))
    assert texts(hb.flush()) == ["the", "quarterly"]
    assert texts(hb.complete()) == ["results", "were"]
    assert hb.last_committed_time == 0.7


def test_committed_words_are_never_committed_again():
    hb = HypothesisBuffer()
    committed = []
    hypotheses = [
        hyp(("we", 0.0, 0.2), ("grew", 0.2, 0.5)),
        hyp(("we", 0.0, 0.2), ("grew", 0.2, 0.5), ("fast", 0.5, 0.9)),
        hyp(("we", 0.0, 0.2), ("grew", 0.2, 0.5), ("fast", 0.5, 0.9), ("this", 0.9, 1.1)),
        hyp(("we", 0.0, 0.2), ("grew", 0.2, 0.5), ("fast", 0.5, 0.9), ("this", 0.9, 1.1), ("year", 1.1, 1.4)),
    ]
    for h in hypotheses:
        hb.insert(h)
        committed += hb.flush()
    assert texts(committed) == ["we", "grew", "fast", "this"]
    assert texts(hb.complete()) == ["year"]


def test_disagreement_stops_the_commit_at_the_first_differing_word():
    hb = HypothesisBuffer()
    hb.insert(hyp(("bin", 0.0, 0.3), ("blue", 0.3, 0.6), ("at", 0.6, 0.7)))
    hb.flush()
    hb.insert(hyp(("bin", 0.0, 0.3), ("glue", 0.3, 0.6), ("at", 0.6, 0.7)))
    assert texts(hb.flush()) == ["bin"]
    assert texts(hb.complete()) == ["glue", "at"]  # the newer hypothesis is what stays pending


def test_comparison_ignores_case_and_punctuation_but_keeps_the_newer_spelling():
    hb = HypothesisBuffer()
    hb.insert(hyp(("Now", 0.0, 0.3)))
    hb.flush()
    hb.insert(hyp(("now.", 0.0, 0.3)))
    assert texts(hb.flush()) == ["now."]


def test_words_before_the_last_committed_time_are_ignored():
    hb = HypothesisBuffer()
    for _ in range(2):
        hb.insert(hyp(("place", 0.0, 0.4), ("red", 0.4, 0.7)))
        hb.flush()
    assert hb.last_committed_time == 0.7
    # The re-decoded buffer still contains the old words; only the new tail counts.
    hb.insert(hyp(("place", 0.0, 0.4), ("red", 0.4, 0.7), ("by", 0.75, 0.9)))
    assert hb.flush() == []
    assert texts(hb.complete()) == ["by"]


def test_head_repeating_the_committed_tail_is_dropped():
    hb = HypothesisBuffer()
    for _ in range(2):
        hb.insert(hyp(("set", 0.0, 0.3), ("white", 0.3, 0.6)))
        hb.flush()
    # After a buffer trim Whisper re-hears "white" with a shifted time just after the commit point.
    hb.insert(hyp(("white", 0.65, 0.8), ("with", 0.8, 1.0)))
    hb.flush()
    assert texts(hb.complete()) == ["with"]


def test_offset_maps_buffer_times_onto_the_stream_clock():
    hb = HypothesisBuffer()
    hb.last_committed_time = 10.0
    hb.insert(hyp(("lay", 0.1, 0.4)), offset=10.0)
    assert hb.flush() == []
    hb.insert(hyp(("lay", 0.1, 0.4)), offset=10.0)
    committed = hb.flush()
    assert committed[0].start == 10.1 and committed[0].end == 10.4


def test_pop_committed_forgets_words_before_a_trim():
    hb = HypothesisBuffer()
    for _ in range(2):
        hb.insert(hyp(("a", 0.0, 0.2), ("b", 0.2, 0.4), ("c", 0.4, 0.6)))
        hb.flush()
    hb.pop_committed(0.4)
    assert texts(hb.committed_in_buffer) == ["c"]
