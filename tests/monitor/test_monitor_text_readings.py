"""The loop's text readings (monitor/loop.py: TextReadings): the new sentence pieces of many windows are read in
one batch of the real text reader, and each window then reads as it would alone."""

from __future__ import annotations

import threading

import pytest

from streammsa.engine.readings import SentencePiece
from streammsa.models.text_reader import load_reader
from streammsa.monitor.loop import TextReadings


class CountingReader:
    """The shipped reader, counting the texts of each call."""

    def __init__(self, reader) -> None:
        self.reader, self.calls, self.threads = reader, [], []

    def read(self, texts):
        self.calls.append(list(texts))
        self.threads.append(threading.current_thread().name)
        return self.reader.read(texts)


WINDOWS = [
    [SentencePiece("We are delighted with", 4)],
    [SentencePiece("We are delighted with the results.", 3), SentencePiece("But the outage", 3)],
    [SentencePiece("But the outage was awful", 2)],
    [],  # a window without words reads nothing
    [SentencePiece("We are delighted with the results.", 1), SentencePiece("But the outage", 3)],  # read already
]


@pytest.fixture(scope="module")
def reader():
    return load_reader()


def test_many_windows_pieces_are_read_in_one_batch_and_each_window_reads_as_alone(reader):
    one_by_one = TextReadings(CountingReader(reader))
    alone = [one_by_one.of(w) for w in WINDOWS]
    assert len(one_by_one.reader.calls) == 3  # a call per window with a new piece

    batched = TextReadings(CountingReader(reader))
    batched.prefetch(WINDOWS)
    texts = list(dict.fromkeys(p.text for w in WINDOWS for p in w))
    assert batched.reader.calls == [texts]  # every new piece once, in one call
    together = [batched.of(w) for w in WINDOWS]
    assert len(batched.reader.calls) == 1  # the windows found them read
    assert together[3] is None and alone[3] is None
    assert [t for t in together if t is not None] == pytest.approx([a for a in alone if a is not None], abs=1e-5)
    assert together[1] != together[2]  # (the windows' readings differ: the check compares something)


def test_no_reader_reads_nothing():
    texts = TextReadings(None)
    texts.prefetch(WINDOWS)
    assert texts.prefetch_async(WINDOWS) is None
    assert texts.of(WINDOWS[0]) is None


def test_pieces_read_on_the_readers_thread_are_found_by_the_windows(reader):
    # the loop reads the texts while the model runs on its own thread (the end of a --fast replay: 0.21 s of wall)
    alone = TextReadings(reader)
    expected = [alone.of(w) for w in WINDOWS]
    texts = TextReadings(CountingReader(reader))
    texts.prefetch_async(WINDOWS).result()
    assert (
        texts.reader.threads[0].startswith("text-reader") and texts.reader.threads[0] != threading.current_thread().name
    )
    assert [texts.of(w) for w in WINDOWS] == pytest.approx(expected, abs=1e-5, nan_ok=True)
    assert len(texts.reader.calls) == 1  # every window found its pieces read
    assert texts.prefetch_async([[], [SentencePiece("  ", 1)]]) is None  # no words: nothing to wait for
    texts.close()
    assert not any(t.name.startswith("text-reader") for t in threading.enumerate())
