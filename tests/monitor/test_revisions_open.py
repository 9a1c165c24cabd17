"""Which emitted readings words may still join: final once the text watermark passes their end, or
once they fall the horizon behind the newest window (a stalled recogniser is not waited for)."""

from __future__ import annotations

from support.server_messages import reading

from streammsa.engine.windowing import Window
from streammsa.monitor.revisions import OpenReading, OpenReadings


def open_reading(seq: int) -> OpenReading:
    r = reading(seq)  # t_end = 4 + seq, a 4 s window
    return OpenReading(Window("meeting", seq, r.t_start, r.t_end), r, text_steps=(0,), transcript="")


def test_a_reading_is_final_once_the_text_watermark_passes_its_end():
    op = OpenReadings(horizon_s=60.0)
    items = [open_reading(s) for s in range(3)]  # windows end at 4, 5, 6
    for o in items:
        op.add(o)
    assert [op.is_final(o, text_final=4.99) for o in items] == [True, False, False]
    assert [op.is_final(o, text_final=5.0) for o in items] == [True, True, False]
    assert op.any_final(4.5) and not op.any_final(3.0)
    op.close(items[0])
    assert len(op) == 2 and op.oldest_start == items[1].window.t_start


def test_readings_too_far_behind_the_newest_window_are_not_waited_for():
    op = OpenReadings(horizon_s=10.0)
    stuck = open_reading(0)  # ends at 4 s
    op.add(stuck)
    op.emitted(14.0)
    assert not op.is_final(stuck, text_final=0.0)  # exactly 10 s behind: still open
    op.emitted(14.5)
    assert op.is_final(stuck, text_final=0.0)  # a recogniser stuck before 4 s no longer holds it
    assert OpenReadings().oldest_start is None
