"""The broadcast hub on its own: bounded per-client queues that drop the oldest readings, and the
history window late joiners receive. Pure loop-thread logic, so no sockets here."""

from __future__ import annotations

import json

from support.server_messages import alert, hello, reading, revised, status, transcript

from streammsa.protocol import PROTOCOL_VERSION
from streammsa.server.hub import ClientQueue, History, Hub, Outgoing


def _drain(client: ClientQueue) -> list[dict]:
    out = []
    while (text := client.pop()) is not None:
        out.append(json.loads(text))
    return out


def test_full_queue_drops_oldest_readings_and_reports_the_count():
    client = ClientQueue(maxsize=5)
    client.put(Outgoing.of(alert("a1", "raised", 3.0)))
    for seq in range(10):
        client.put(Outgoing.of(reading(seq)))
    got = _drain(client)
    assert got[0] == {"type": "dropped", "v": PROTOCOL_VERSION, "count": 6, "total": 6}
    # the alert survives; of the readings only the newest four remain, in order
    assert [m["type"] for m in got[1:]] == ["alert", "reading", "reading", "reading", "reading"]
    assert [m["seq"] for m in got[2:]] == [6, 7, 8, 9]
    assert client.dropped_total == 6 and client.dropped_pending == 0


def test_queue_of_non_readings_drops_the_oldest_item():
    client = ClientQueue(maxsize=2)
    for i in range(4):
        client.put(Outgoing.of(transcript(f"line {i}", i, i + 1)))
    got = _drain(client)
    assert got[0]["type"] == "dropped" and got[0]["count"] == 2
    assert [m["text"] for m in got[1:]] == ["line 2", "line 3"]


def test_drop_count_is_reported_once_per_overflow_and_total_keeps_growing():
    client = ClientQueue(maxsize=1)
    client.put(Outgoing.of(reading(0)))
    client.put(Outgoing.of(reading(1)))
    assert [m["type"] for m in _drain(client)] == ["dropped", "reading"]
    client.put(Outgoing.of(reading(2)))
    assert [m["type"] for m in _drain(client)] == ["reading"]
    client.put(Outgoing.of(reading(3)))
    client.put(Outgoing.of(reading(4)))
    first, last = _drain(client)
    assert first == {"type": "dropped", "v": PROTOCOL_VERSION, "count": 1, "total": 2} and last["seq"] == 4


def test_control_replies_and_pending_history_go_before_live_messages():
    client = ClientQueue(maxsize=4)
    client.replace_pending(['{"type":"hello"}'])
    client.put(Outgoing.of(reading(5)))
    client.put_control('{"type":"pong"}')
    assert [m["type"] for m in _drain(client)] == ["pong", "hello", "reading"]
    assert not client.ready.is_set()  # an empty queue parks the sender


def test_history_keeps_only_the_window_on_the_stream_clock():
    history = History(seconds=10.0, max_messages=1000)
    for seq in range(30):  # t_end = 4 + seq
        history.add(Outgoing.of(reading(seq)))
    kept = [json.loads(i.text)["t_end"] for i in history.snapshot()]
    assert kept[0] == 23.0 and kept[-1] == 33.0 and len(kept) == 11


def test_history_is_capped_by_message_count_too():
    history = History(seconds=1e9, max_messages=7)
    for seq in range(50):
        history.add(Outgoing.of(reading(seq)))
    assert [json.loads(i.text)["seq"] for i in history.snapshot()] == list(range(43, 50))


def test_history_keeps_a_still_raised_alert_older_than_the_window():
    history = History(seconds=5.0, max_messages=1000)
    history.add(Outgoing.of(alert("old", "raised", 4.0)))
    history.add(Outgoing.of(alert("gone", "raised", 4.5)))
    history.add(Outgoing.of(alert("gone", "cleared", 5.0)))
    for seq in range(20):
        history.add(Outgoing.of(reading(seq)))
    snap = [json.loads(i.text) for i in history.snapshot()]
    assert snap[0]["type"] == "alert" and snap[0]["alert_id"] == "old"
    assert not any(m.get("alert_id") == "gone" for m in snap)
    assert all(m["type"] == "reading" for m in snap[1:])


def test_history_keeps_latest_partial_and_status_and_commits_replace_partials():
    history = History(seconds=60.0, max_messages=1000)
    history.add(Outgoing.of(status("running", 1.0)))
    history.add(Outgoing.of(reading(0)))
    history.add(Outgoing.of(transcript("so wh", 1.0, 2.0, kind="partial")))
    history.add(Outgoing.of(transcript("so what", 1.0, 2.5, kind="partial")))
    assert [json.loads(i.text).get("text") for i in history.snapshot() if i.type == "transcript"] == ["so what"]
    history.add(Outgoing.of(transcript("so what now", 1.0, 3.0)))
    history.add(Outgoing.of(status("ended", 9.0)))
    snap = [json.loads(i.text) for i in history.snapshot()]
    assert [m["type"] for m in snap] == ["reading", "transcript", "status"]
    assert snap[1]["kind"] == "committed" and snap[2]["state"] == "ended"


def test_status_starting_forgets_that_streams_previous_run_only():
    history = History(seconds=600.0, max_messages=1000)
    for seq in range(5):
        history.add(Outgoing.of(reading(seq, stream="a")))
        history.add(Outgoing.of(reading(seq, stream="b")))
    history.add(Outgoing.of(status("starting", 0.0, stream="a")))
    snap = [json.loads(i.text) for i in history.snapshot()]
    assert {m["stream"] for m in snap if m["type"] == "reading"} == {"b"}
    assert snap[-1] == {**snap[-1], "type": "status", "stream": "a", "state": "starting"}


def test_late_joiner_gets_hello_with_history_count_then_history_then_live():
    hub = Hub(client_queue_size=8, history=History(600.0, 1000))
    hub.set_hello(hello())
    for seq in range(3):
        hub.broadcast(Outgoing.of(reading(seq)))
    client = hub.register()
    hub.broadcast(Outgoing.of(reading(3)))
    got = _drain(client)
    assert got[0]["type"] == "hello" and got[0]["history"] == 3
    assert [m["seq"] for m in got[1:]] == [0, 1, 2, 3]


def test_subscribe_filters_streams_and_resends_hello_with_that_history():
    hub = Hub(client_queue_size=8, history=History(600.0, 1000))
    hub.set_hello(hello(streams=("a", "b")))
    client = hub.register()
    _drain(client)
    hub.broadcast(Outgoing.of(reading(0, stream="a")))
    hub.broadcast(Outgoing.of(reading(0, stream="b")))
    hub.subscribe(client, ["b"])
    hub.broadcast(Outgoing.of(reading(1, stream="a")))
    hub.broadcast(Outgoing.of(reading(1, stream="b")))
    got = _drain(client)
    assert got[0]["type"] == "hello" and got[0]["streams"] == ["b"] and got[0]["history"] == 1
    assert [(m["stream"], m["seq"]) for m in got[1:]] == [("b", 0), ("b", 1)]  # no duplicates


def test_unregistered_client_gets_nothing_more():
    hub = Hub(client_queue_size=8, history=History(600.0, 1000))
    client = hub.register()
    hub.unregister(client)
    hub.broadcast(Outgoing.of(reading(0)))
    assert _drain(client) == [] and hub.published == 1


def test_a_revision_takes_its_readings_place_in_the_history():
    history = History(seconds=600.0, max_messages=1000)
    for seq in range(4):
        history.add(Outgoing.of(reading(seq)))
    history.add(Outgoing.of(transcript("the numbers are bad", 4.0, 6.0)))
    history.add(Outgoing.of(revised(reading(2), 1, final=False, text=-1.5)))
    history.add(Outgoing.of(revised(reading(2), 2, final=True, text=-2.0)))
    snap = [json.loads(i.text) for i in history.snapshot()]
    assert [m["type"] for m in snap] == ["reading"] * 4 + ["transcript"]
    assert [(m["seq"], m["revision"]) for m in snap[:4]] == [(0, 0), (1, 0), (2, 2), (3, 0)]
    assert snap[2]["modalities"]["text"]["intensity"] == -2.0 and snap[2]["final"] is True


def test_a_revision_of_a_reading_that_left_the_history_is_not_kept():
    history = History(seconds=5.0, max_messages=1000)
    for seq in range(12):
        history.add(Outgoing.of(reading(seq)))
    history.add(Outgoing.of(revised(reading(9), 1, final=True, text=0.8)))  # still in the window
    history.add(Outgoing.of(revised(reading(3), 1, final=True, text=0.8)))  # its reading left the window
    snap = [(m["seq"], m["revision"]) for m in (json.loads(i.text) for i in history.snapshot())]
    assert snap == [(6, 0), (7, 0), (8, 0), (9, 1), (10, 0), (11, 0)]


def test_a_revision_replaces_its_reading_still_queued_for_a_client():
    client = ClientQueue(maxsize=8)
    for seq in range(3):
        client.put(Outgoing.of(reading(seq)))
    client.put(Outgoing.of(revised(reading(1), 1, final=True, text=-1.0)))
    client.put(Outgoing.of(revised(reading(7), 1, final=True, text=-1.0)))  # its first emission was sent already
    got = [(m["seq"], m["revision"]) for m in _drain(client)]
    assert got == [(0, 0), (1, 1), (2, 0), (7, 1)]
    client.put(Outgoing.of(revised(reading(2), 2, final=True, text=-1.0)))  # nothing queued: sent as it comes
    assert [(m["seq"], m["revision"]) for m in _drain(client)] == [(2, 2)]
