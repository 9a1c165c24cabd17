"""The dashboard page in a real headless Chromium against the real server: it connects, renders
what server.publish sends (asserted on DOM values), shows/clears alerts, partial vs committed
transcript, the untrained warning, the finished state, and reconnects after a server restart."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest
from support.server_messages import alert, hello, reading, revised, status, transcript

from streammsa.protocol import ModalityReading
from streammsa.server import DashboardServer, ServerConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def server():
    srv = DashboardServer(ServerConfig(port=0))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    # a refused WebSocket while the server is down is expected in the reconnect test; nothing else is
    assert [e for e in errors if "WebSocket" not in e and "ERR_CONNECTION_REFUSED" not in e] == []


def _open(page, srv: DashboardServer) -> None:
    page.goto(srv.url)
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")


def test_empty_state_then_live_readings_render_values(page, server):
    server.set_hello(hello(trained=True))
    _open(page, server)
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    expect(page.get_by_test_id("current-value")).to_have_text("—")
    server.publish(status("running", 0.0))
    for seq in range(4):
        server.publish(reading(seq))
    server.publish(reading(4, intensity=1.84, vision_present=False))
    expect(page.get_by_test_id("reading-count")).to_have_text("5")
    expect(page.get_by_test_id("current-value")).to_have_text("+1.8")
    expect(page.get_by_test_id("current-polarity")).to_have_text("positive")
    expect(page.get_by_test_id("current-model-reading")).to_have_text("+0.9")  # the model's own: 1.84 / 2
    expect(page.get_by_test_id("empty-state")).to_be_hidden()
    r = reading(4, intensity=1.84, vision_present=False).modalities
    text = r["text"]
    sign = "+" if text.intensity > 0 else "−"
    expect(page.get_by_test_id("modality-text-intensity")).to_have_text(f"{sign}{abs(text.intensity):.1f}")
    expect(page.get_by_test_id("modality-text-conflict")).to_have_text(f"{text.conflict:.2f}")
    r4 = reading(4, intensity=1.84, vision_present=False)
    expect(page.get_by_test_id("window-disagreement")).to_have_text(f"{r4.disagreement:.2f}")
    expect(page.get_by_test_id("modality-text-disagreement")).to_have_text(f"{text.disagreement:.2f}")
    expect(page.get_by_test_id("modality-audio-weight")).to_have_text(f"{r['audio'].weight:.2f}")
    expect(page.get_by_test_id("modality-vision")).to_have_attribute("data-present", "false")
    expect(page.get_by_test_id("modality-vision-intensity")).to_have_text("—")
    expect(page.get_by_test_id("stream-state")).to_have_text("running")
    expect(page.get_by_test_id("untrained-warning")).to_be_hidden()
    expect(page.get_by_test_id("info-rtt")).to_have_text(re.compile(r"^\d+ ms$"))  # ping -> pong answered
    server.publish(reading(5, intensity=-2.35))
    expect(page.get_by_test_id("current-value")).to_have_text("−2.4")
    expect(page.get_by_test_id("current-polarity")).to_have_text("strongly negative")


def test_alert_banner_and_list_show_then_clear(page, server):
    server.set_hello(hello(trained=True))
    _open(page, server)
    expect(page.get_by_test_id("alert-banner")).to_be_hidden()
    server.publish(reading(0))
    server.publish(alert("c-1", "raised", 12.0))
    banner = page.get_by_test_id("alert-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")
    expect(page.get_by_test_id("alert-banner-title")).to_have_text("Modality conflict · Vision.")
    expect(page.get_by_test_id("alert-banner-text")).to_contain_text("since 0:12")
    item = page.get_by_test_id("alert-item")
    expect(item).to_have_attribute("data-state", "active")
    evidence = item.locator(".evidence-table")
    expect(evidence.locator("tbody tr")).to_have_count(3)
    # the disagreement of the first window that raised it, and the odd one out's own d_m
    expect(evidence.locator("tbody tr").first.locator("td").nth(1)).to_have_text("0.82")
    expect(evidence.locator("tbody tr").first.locator("td").nth(2)).to_have_text("0.52")
    expect(item.locator(".evidence dd").first).to_have_text("yes")  # trained
    expect(page.get_by_test_id("alert-count")).to_have_text("1 active")
    server.publish(alert("c-1", "cleared", 19.0))
    expect(banner).to_be_hidden()
    expect(item).to_have_attribute("data-state", "cleared")
    expect(item).to_contain_text("cleared 0:19")
    expect(page.get_by_test_id("alert-count")).to_have_text("0 active")


def test_partial_transcript_is_styled_apart_and_replaced_by_committed_text(page, server):
    server.set_hello(hello(trained=True))
    _open(page, server)
    server.publish(transcript("the numbers look", 3.0, 4.2, kind="partial"))
    partial = page.get_by_test_id("transcript-partial")
    expect(partial).to_have_text("the numbers look")
    assert partial.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
    server.publish(transcript("The numbers look good.", 3.0, 5.0))
    expect(page.get_by_test_id("transcript-committed")).to_contain_text("The numbers look good.")
    expect(page.get_by_test_id("transcript-committed")).to_contain_text("0:03")
    expect(partial).to_be_hidden()
    committed_style = page.locator("#transcript-committed p").first.evaluate("e => getComputedStyle(e).fontStyle")
    assert committed_style == "normal"


def test_untrained_model_warning_follows_hello(page, server):
    server.set_hello(hello(trained=False, model="cacr"))
    _open(page, server)
    warning = page.get_by_test_id("untrained-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Untrained model — numbers are not sentiment.")
    expect(page.get_by_test_id("info-trained")).to_have_text("untrained")
    server.set_hello(hello(trained=True, model="cacr"))
    expect(warning).to_be_hidden()


def test_replay_end_shows_the_finished_state(page, server):
    server.set_hello(hello(trained=True))
    _open(page, server)
    for seq in range(3):
        server.publish(reading(seq))
    server.publish(status("ended", 6.0, detail="end of file"))
    expect(page.get_by_test_id("ended-banner")).to_be_visible()
    expect(page.get_by_test_id("ended-text")).to_contain_text("3 readings")
    expect(page.get_by_test_id("stream-state")).to_have_text("ended")


def test_late_joiner_sees_history_so_the_chart_is_not_empty(page, server):
    server.set_hello(hello(trained=True))
    for seq in range(120):
        server.publish(reading(seq))
    _open(page, server)
    expect(page.get_by_test_id("reading-count")).to_have_text("120")
    expect(page.get_by_test_id("empty-state")).to_be_hidden()
    expect(page.get_by_test_id("chart")).to_have_attribute(
        "aria-label",
        "Sentiment intensity over time; latest "
        f"{_signed(reading(119).intensity)} "
        f"({_polarity(reading(119).intensity)}) at 2:03",
    )


def test_reconnects_after_the_server_restarts_on_the_same_port(page):
    first = DashboardServer(ServerConfig(port=0))
    first.start()
    port = first.port
    try:
        first.set_hello(hello(trained=True))
        _open(page, first)
        first.publish(reading(0, intensity=0.2))
        expect(page.get_by_test_id("current-value")).to_have_text("+0.2")
    finally:
        first.stop()
    conn = page.get_by_test_id("connection-state")
    expect(conn).to_have_attribute("data-state", "reconnecting")
    expect(page.get_by_test_id("retry-now")).to_be_visible()
    time.sleep(1.0)  # let at least one retry fail against the closed port
    second = DashboardServer(ServerConfig(port=port))
    second.start()
    try:
        second.set_hello(hello(trained=True, model="dbr"))
        expect(conn).to_have_attribute("data-state", "live", timeout=20_000)
        second.publish(reading(1, intensity=-1.1))
        expect(page.get_by_test_id("current-value")).to_have_text("−1.1")
        expect(page.get_by_test_id("info-model")).to_have_text("dbr")
    finally:
        second.stop()


def test_hours_of_readings_stay_bounded_in_the_page(page):
    # 20,000 readings at a 1 s hop = 5.5 hours; the queue is big enough that none are dropped
    srv = DashboardServer(ServerConfig(port=0, client_queue_size=25_000))
    srv.start()
    try:
        srv.set_hello(hello(trained=True))
        _open(page, srv)
        for seq in range(20_000):
            srv.publish(reading(seq))
        expect(page.get_by_test_id("reading-count")).to_have_text("20000", timeout=60_000)
        kept = page.evaluate("window.streammsa.state.streams.get('meeting').series.length")
        span = page.evaluate(
            "(() => { const p = window.streammsa.state.streams.get('meeting').series.points();"
            " return [p[0].t, p[p.length - 1].t]; })()"
        )
    finally:
        srv.stop()
    assert kept <= 3600 + 2000  # RECENT_MAX + OLD_MAX in web/app.js
    assert span[0] < 10 and span[1] == reading(19_999).t_end  # still covers the whole session
    page.get_by_role("button", name="All", exact=True).click()
    expect(page.get_by_test_id("chart")).to_have_attribute("aria-label", re.compile(r"at 5:33:23$"))


def test_wrong_token_in_the_url_is_explained_on_the_page(page):
    srv = DashboardServer(ServerConfig(port=0, token="right-token-1234"))
    srv.start()
    try:
        page.goto(srv.url.replace("right-token-1234", "wrong-token-0000"))
        expect(page.get_by_test_id("server-error")).to_contain_text("refused the live connection")
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "reconnecting")
        page.goto(srv.url)
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("server-error")).to_have_text("")
    finally:
        srv.stop()


def test_several_streams_get_a_picker_and_each_keeps_its_own_data(page, server):
    server.set_hello(hello(trained=True, streams=("room-a", "room-b")))
    _open(page, server)
    server.publish(reading(0, intensity=1.2, stream="room-a"))
    server.publish(reading(0, intensity=-0.7, stream="room-b"))
    server.publish(transcript("only in b", 0.0, 1.0, stream="room-b"))
    picker = page.get_by_test_id("stream-select")
    expect(picker).to_be_visible()
    expect(page.get_by_test_id("current-value")).to_have_text("+1.2")
    picker.select_option("room-b")
    expect(page.get_by_test_id("current-value")).to_have_text("−0.7")
    expect(page.get_by_test_id("transcript-committed")).to_have_text(re.compile("only in b"))
    picker.select_option("room-a")
    expect(page.get_by_test_id("current-value")).to_have_text("+1.2")
    expect(page.get_by_test_id("transcript-committed")).to_have_text("")


def test_page_counts_the_updates_it_missed_when_it_cannot_keep_up(page):
    # a 4-message queue against a burst of 3,000 readings: the server must drop, and say so
    srv = DashboardServer(ServerConfig(port=0, client_queue_size=4))
    srv.start()
    try:
        srv.set_hello(hello(trained=True))
        _open(page, srv)
        for seq in range(3000):
            srv.publish(reading(seq))
        expect(page.get_by_test_id("current-window")).to_have_text("49:59–50:03", timeout=20_000)  # seq 2999
    finally:
        srv.stop()
    shown = int(page.get_by_test_id("reading-count").inner_text())
    missed = int(page.get_by_test_id("info-dropped").inner_text())
    assert missed > 0 and shown + missed == 3000


def test_controls_are_keyboard_operable(page, server):
    server.set_hello(hello(trained=True))
    _open(page, server)
    one_min = page.locator(".range-btn[data-range='60']")
    one_min.focus()
    page.keyboard.press("Enter")
    expect(one_min).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".range-btn[data-range='300']")).to_have_attribute("aria-pressed", "false")
    audio = page.locator(".series-btn[data-series='audio']")
    audio.focus()
    page.keyboard.press("Space")
    expect(audio).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("alert-list")).to_have_attribute("aria-live", "polite")


def pending(seq: int):
    """A reading emitted on time before its words were committed: no text yet, not final."""
    r = reading(seq)
    no_text = ModalityReading(False, None, None, None)
    return dataclasses.replace(r, modalities=dict(r.modalities, text=no_text), final=False)


def chart_points(page) -> list[dict]:
    return page.evaluate("window.streammsa.state.streams.get('meeting').series.points()")


def wait_until(page, expression: str, timeout_s: float = 5.0) -> None:
    """Poll ``expression`` through ``page.evaluate``: the dashboard's content security policy forbids the in-page
    eval that ``wait_for_function`` polls with whenever its first check comes back false (a slow page)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(50)


def test_a_revision_replaces_the_earlier_reading_on_the_page(page, server, browser):
    server.set_hello(hello(trained=True))
    _open(page, server)
    for seq in range(4):
        server.publish(pending(seq))
    expect(page.get_by_test_id("reading-count")).to_have_text("4")
    expect(page.get_by_test_id("modality-text")).to_contain_text("words pending")  # not "no signal" yet
    expect(page.get_by_test_id("current-revision")).to_have_text("words pending")
    # late words joined the newest window: the cards show the revision, the count stays
    server.publish(revised(pending(3), 1, final=True, text=-1.84, intensity=-1.23))
    expect(page.get_by_test_id("modality-text-intensity")).to_have_text("−1.8")
    expect(page.get_by_test_id("current-value")).to_have_text("−1.2")
    expect(page.get_by_test_id("current-revision")).to_have_text("final, revised ×1")
    expect(page.get_by_test_id("reading-count")).to_have_text("4")
    # an older window's revision changes its point in the chart, not the cards
    server.publish(revised(pending(1), 1, final=True, text=0.91))
    expect(page.get_by_test_id("modality-text-intensity")).to_have_text("−1.8")
    wait_until(page, "window.streammsa.state.streams.get('meeting').series.points()[1].text === 0.91")
    pts = chart_points(page)
    assert [p["seq"] for p in pts] == [0, 1, 2, 3]
    assert [p["text"] for p in pts] == [None, 0.91, None, -1.84] and pts[3]["overall"] == -1.23
    # a late joiner gets each reading once, as it stands
    late = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    try:
        _open(late, server)
        expect(late.get_by_test_id("reading-count")).to_have_text("4")
        expect(late.get_by_test_id("modality-text-intensity")).to_have_text("−1.8")
        assert [p["text"] for p in chart_points(late)] == [None, 0.91, None, -1.84]
    finally:
        late.context.close()


def test_degraded_status_shows_until_the_pipeline_catches_up(page, server):
    server.set_hello(hello(trained=True))
    _open(page, server)
    server.publish(reading(0))
    server.publish(status("degraded", 12.0, detail="speech recognition is 6.5 s behind the audio"))
    banner = page.get_by_test_id("degraded-banner")
    expect(banner).to_be_visible()
    expect(page.get_by_test_id("degraded-text")).to_have_text("speech recognition is 6.5 s behind the audio")
    expect(page.get_by_test_id("stream-state")).to_have_text("degraded")
    server.publish(status("running", 20.0))
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id("stream-state")).to_have_text("running")


def test_recorded_messages_render_through_the_one_message_handler(page, server):
    _open(page, server)  # a server with nothing to say: the page is fed a recorded run instead
    recorded = [hello(trained=True).to_dict()] + [pending(seq).to_dict() for seq in range(3)]
    recorded.append(revised(pending(2), 1, final=True, text=1.37, intensity=0.74).to_dict())
    recorded.append({"type": "from_the_future", "v": 9})
    handled = page.evaluate("msgs => msgs.map((m) => window.streammsa.handleMessage(m))", recorded)
    assert handled == [True] * 5 + [False]
    expect(page.get_by_test_id("reading-count")).to_have_text("3")
    expect(page.get_by_test_id("current-value")).to_have_text("+0.7")
    expect(page.get_by_test_id("modality-text-intensity")).to_have_text("+1.4")


def _signed(v: float) -> str:
    s = f"{abs(v):.1f}"
    return s if float(s) == 0 else ("+" if v > 0 else "−") + s


def _polarity(v: float) -> str:
    a = abs(v)
    if a < 0.5:
        return "neutral"
    side = "positive" if v > 0 else "negative"
    return f"strongly {side}" if a >= 2 else side


def _meeting(srv: DashboardServer) -> None:
    """A four-minute replay: readings, transcript, one cleared and one active alert, a partial line."""
    srv.set_hello(hello(trained=False))
    srv.publish(status("running", 0.0))
    lines = [
        "Thanks everyone for joining today.",
        "The quarterly numbers came in better than we expected.",
        "Honestly, I'm not sure the launch date is realistic.",
        "Let's look at the risks before we commit.",
    ]
    for seq in range(240):
        srv.publish(reading(seq, trained=False))
        if seq % 20 == 10 and seq // 20 < len(lines):
            srv.publish(transcript(lines[seq // 20], seq + 1.0, seq + 4.0))
        if seq == 80:
            srv.publish(alert("c-1", "raised", 80.0))
        if seq == 95:
            srv.publish(alert("c-1", "cleared", 95.0))
        if seq == 150:
            srv.publish(alert("c-2", "raised", 150.0))
    srv.publish(transcript("so what do we do about", 240.0, 243.0, kind="partial"))


@pytest.mark.parametrize("width,height,name", [(1366, 768, "laptop"), (768, 1024, "tablet")])
def test_screenshots_at_laptop_and_tablet_widths(browser, server, artifacts_dir, width, height, name):
    _meeting(server)
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        pg = context.new_page()
        _open(pg, server)
        expect(pg.get_by_test_id("reading-count")).to_have_text("240")
        expect(pg.get_by_test_id("alert-banner")).to_be_visible()
        # nothing spills sideways at this width
        assert pg.evaluate("document.documentElement.scrollWidth") <= width
        pg.wait_for_timeout(300)  # one animation frame for the canvas
        shot = artifacts_dir / f"dashboard-{name}.png"
        pg.screenshot(path=str(shot), full_page=True)
        assert (
            shot.stat().st_size > 20_000
        )  # the README's picture comes from a real run: scripts/screenshot_dashboard.py
    finally:
        context.close()
