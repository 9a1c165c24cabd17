"""The Participants panel in a real headless Chromium against the real server (and in a report.html
built from a recorded meeting): one row per person with name, state, intensity, what was heard and
alerts; a row selects that person for the cards; a name typed on the page goes through the server's
``on_rename`` and comes back to every page, late joiners included."""

from __future__ import annotations

import dataclasses
import re
import threading

import pytest
from support.server_messages import alert, hello, reading, status, transcript

from streammsa.protocol import Hello, ModalityReading, ParticipantEvent, Reading
from streammsa.recorder.interactive import interactive_html
from streammsa.server import DashboardServer, ServerConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def pages(browser):
    """Opens pages in fresh contexts; none may log a script error."""
    opened, errors = [], []

    def new_page():
        context = browser.new_context(viewport=VIEWPORT)
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        opened.append(context)
        return pg

    yield new_page
    for context in opened:
        context.close()
    assert errors == []


class Renames:
    """The server's on_rename doing what the monitor does: publish the renamed person to every sink."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.done = threading.Event()
        self.server: DashboardServer | None = None

    def __call__(self, stream: str, name: str) -> None:
        self.calls.append((stream, name))
        assert self.server is not None
        self.server.publish(person(stream, "renamed", name))
        self.done.set()


def person(stream: str, state: str = "joined", name: str | None = None) -> ParticipantEvent:
    n = int(stream[1:])
    return ParticipantEvent(stream=stream, name=name or f"Person {n}", state=state, voice=n - 1, face=n + 6, t=1.0)


def meeting_hello() -> Hello:
    return dataclasses.replace(hello(trained=True, streams=("main",)), participants=True)


def heard(seq: int, stream: str, intensity: float, **confidence: float) -> Reading:
    """A reading of one person in which only the modalities given (text/audio/vision=confidence) were heard."""
    r = reading(seq, intensity=intensity, stream=stream)
    mods = {}
    for k, m in r.modalities.items():
        c = confidence.get(k)
        mods[k] = dataclasses.replace(m, confidence=c) if c is not None else ModalityReading(False, None, None, None)
    return dataclasses.replace(r, modalities=mods)


def _meeting(srv: DashboardServer) -> None:
    """Two people: Person 1 speaks and is positive, Person 2 is seen only, negative, with an active alert."""
    srv.set_hello(meeting_hello())
    srv.publish(status("running", 0.0, stream="main"))
    srv.publish(person("p1"))
    srv.publish(person("p2"))
    for seq in range(6):
        srv.publish(heard(seq, "p1", 1.0 + 0.08 * seq, text=0.8, audio=0.65))
        srv.publish(heard(seq, "p2", -1.9 + 0.01 * seq, vision=0.91))
    srv.publish(transcript("Thanks everyone for coming.", 2.0, 4.0, stream="p1"))
    srv.publish(transcript("Thanks everyone for coming.", 2.0, 4.0, stream="main"))
    srv.publish(transcript("I do not agree with this plan.", 5.0, 7.5, stream="p2"))
    srv.publish(alert("p2-conflict-1", "raised", 8.0, stream="p2"))


def _open(page, srv: DashboardServer) -> None:
    page.goto(srv.url)
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")


def _row(page, stream: str):
    return page.locator(f'[data-testid="participant-row"][data-stream="{stream}"]')


@pytest.fixture
def renames():
    return Renames()


@pytest.fixture
def server(renames):
    srv = DashboardServer(ServerConfig(port=0), on_rename=renames)
    renames.server = srv
    srv.start()
    yield srv
    srv.stop()


def test_the_panel_lists_each_person_with_name_state_intensity_heard_and_alerts(pages, server, artifacts_dir):
    _meeting(server)
    page = pages()
    _open(page, server)
    panel = page.get_by_test_id("participants-panel")
    expect(panel).to_be_visible()
    rows = page.get_by_test_id("participant-row")
    expect(rows).to_have_count(2)
    p1, p2 = _row(page, "p1"), _row(page, "p2")
    expect(rows.first).to_have_attribute("data-stream", "p1")  # in order of joining
    expect(p1.get_by_test_id("participant-name")).to_have_text("Person 1")
    expect(p2.get_by_test_id("participant-name")).to_have_text("Person 2")
    expect(p1.get_by_test_id("participant-intensity")).to_have_text("+1.4")
    expect(p1.get_by_test_id("participant-intensity")).to_have_attribute("data-polarity", "positive")
    expect(p2.get_by_test_id("participant-intensity")).to_have_text("−1.9")
    expect(p2.get_by_test_id("participant-intensity")).to_have_attribute("data-polarity", "negative")
    # the bar grows from the middle: to the right for positive, to the left for negative
    bars = [r.locator(".mini-fill").bounding_box() for r in (p1, p2)]
    middles = [r.locator(".mini-zero").bounding_box()["x"] for r in (p1, p2)]
    assert bars[0]["x"] >= middles[0] - 1 and bars[0]["width"] > 10
    assert bars[1]["x"] + bars[1]["width"] <= middles[1] + 2 and bars[1]["width"] > 10
    expect(p1.get_by_test_id("participant-state")).to_have_text("speaking")
    expect(p2.get_by_test_id("participant-state")).to_have_text("listening")
    expect(p1.get_by_test_id("participant-heard-text")).to_have_text("Words0.80")
    expect(p1.get_by_test_id("participant-heard-audio")).to_have_text("Voice0.65")
    expect(p1.get_by_test_id("participant-heard-vision")).to_have_count(0)
    expect(p2.get_by_test_id("participant-heard")).to_have_text("Face0.91")
    expect(p1.get_by_test_id("participant-alerts")).to_have_text("0")
    expect(p2.get_by_test_id("participant-alerts")).to_have_text("1")
    expect(p2.get_by_test_id("participant-alerts")).to_have_attribute("data-active", "true")
    # the room stream is selected first: its transcript, and a chart that points to the people
    expect(page.get_by_test_id("transcript-committed")).to_contain_text("Thanks everyone for coming.")
    expect(page.get_by_test_id("empty-state")).to_contain_text("pick a participant")
    picker = page.get_by_test_id("stream-select")
    expect(picker.locator("option")).to_have_text(["Room", "Person 1", "Person 2"])
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    page.wait_for_timeout(200)
    page.screenshot(path=str(artifacts_dir / "dashboard-participants.png"), full_page=True)


def test_clicking_a_row_shows_that_persons_readings_transcript_and_alerts(pages, server):
    _meeting(server)
    page = pages()
    _open(page, server)
    _row(page, "p2").click()
    expect(_row(page, "p2")).to_have_attribute("aria-current", "true")
    expect(_row(page, "p1")).not_to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("current-value")).to_have_text("−1.9")
    expect(page.get_by_test_id("transcript-committed")).to_have_text(re.compile("I do not agree with this plan."))
    expect(page.get_by_test_id("transcript-committed")).not_to_contain_text("Thanks everyone")
    expect(page.get_by_test_id("stream-select")).to_have_value("p2")
    # the alert says whose it is
    expect(page.get_by_test_id("alert-banner-title")).to_have_text("Person 2 · Modality conflict · Vision.")
    expect(page.get_by_test_id("alert-item")).to_contain_text("Person 2 · Modality conflict")
    # the stream picker keeps working, and the panel follows it
    page.get_by_test_id("stream-select").select_option("p1")
    expect(page.get_by_test_id("current-value")).to_have_text("+1.4")
    expect(_row(page, "p1")).to_have_attribute("aria-current", "true")
    # the keyboard selects too
    _row(page, "p2").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("current-value")).to_have_text("−1.9")
    # a person has no status of their own: the room's speaks for them
    expect(page.get_by_test_id("stream-state")).to_have_text("running")
    server.publish(status("ended", 9.0, stream="main", detail="end of file"))
    expect(page.get_by_test_id("stream-state")).to_have_text("ended")
    expect(page.get_by_test_id("ended-text")).to_contain_text("6 readings over 0:09 of Person 2.")


def test_a_name_typed_on_the_page_reaches_on_rename_and_every_page_late_ones_too(pages, server, renames):
    _meeting(server)
    page = pages()
    _open(page, server)
    p1 = _row(page, "p1")
    p1.get_by_test_id("participant-name").click()
    field = p1.get_by_test_id("participant-name-input")
    expect(field).to_be_focused()
    expect(field).to_have_value("Person 1")
    field.fill("  Ana Lima ")
    field.press("Enter")
    expect(field).to_have_count(0)
    expect(p1.get_by_test_id("participant-name")).to_have_text("Ana Lima")  # at once, before the server answers
    assert renames.done.wait(5)
    assert renames.calls == [("p1", "Ana Lima")]
    expect(p1.get_by_test_id("participant-name")).to_have_attribute("data-pending", "false")  # confirmed
    expect(page.get_by_test_id("stream-select").locator("option")).to_have_text(["Room", "Ana Lima", "Person 2"])
    expect(page.get_by_test_id("stream-name")).to_have_text("Ana Lima")  # the clicked row is selected
    # a page opened later gets the name from the history
    late = pages()
    _open(late, server)
    expect(_row(late, "p1").get_by_test_id("participant-name")).to_have_text("Ana Lima")
    expect(_row(late, "p2").get_by_test_id("participant-name")).to_have_text("Person 2")
    # and a rename made elsewhere shows up here
    server.publish(person("p2", "renamed", "Bo"))
    expect(_row(page, "p2").get_by_test_id("participant-name")).to_have_text("Bo")


def test_escape_cancels_and_the_pencil_opens_the_editor(pages, server, renames):
    _meeting(server)
    page = pages()
    _open(page, server)
    p2 = _row(page, "p2")
    p2.get_by_test_id("participant-rename").click()
    field = p2.get_by_test_id("participant-name-input")
    field.fill("Somebody else")
    field.press("Escape")
    expect(field).to_have_count(0)
    expect(p2.get_by_test_id("participant-name")).to_have_text("Person 2")
    # blur sends too
    p2.get_by_test_id("participant-rename").click()
    p2.get_by_test_id("participant-name-input").fill("Bo")
    page.get_by_test_id("current-value").click()
    expect(p2.get_by_test_id("participant-name")).to_have_text("Bo")
    assert renames.done.wait(5) and renames.calls == [("p2", "Bo")]


def test_a_person_who_left_is_dimmed_not_removed(pages, server):
    _meeting(server)
    page = pages()
    _open(page, server)
    server.publish(person("p2", "left"))
    p2 = _row(page, "p2")
    expect(p2).to_have_attribute("data-state", "left")
    expect(p2.get_by_test_id("participant-state")).to_have_text("left")
    expect(page.get_by_test_id("participants-count")).to_have_text("1 of 2 here")
    assert float(p2.evaluate("e => getComputedStyle(e).opacity")) < 0.8
    expect(page.get_by_test_id("participant-row")).to_have_count(2)


def test_a_refused_rename_puts_the_real_name_back(pages):
    with DashboardServer(ServerConfig(port=0)) as srv:  # no on_rename: this run cannot rename
        _meeting(srv)
        page = pages()
        _open(page, srv)
        p1 = _row(page, "p1")
        p1.get_by_test_id("participant-name").click()
        p1.get_by_test_id("participant-name-input").fill("Ana")
        p1.get_by_test_id("participant-name-input").press("Enter")
        expect(page.get_by_test_id("server-error")).to_have_text("Server: renaming is not available in this run")
        expect(p1.get_by_test_id("participant-name")).to_have_text("Person 1")
        # names the page refuses itself never reach the server
        p1.get_by_test_id("participant-name").click()
        p1.get_by_test_id("participant-name-input").fill("   ")
        p1.get_by_test_id("participant-name-input").press("Enter")
        expect(page.get_by_test_id("server-error")).to_have_text("A name cannot be empty.")
        expect(p1.get_by_test_id("participant-name")).to_have_text("Person 1")


def test_without_participants_the_page_looks_as_before(pages, server):
    server.set_hello(hello(trained=True))
    page = pages()
    _open(page, server)
    server.publish(reading(0, intensity=0.6))
    expect(page.get_by_test_id("current-value")).to_have_text("+0.6")
    expect(page.get_by_test_id("participants-panel")).to_be_hidden()
    areas = page.locator("#main").evaluate("e => getComputedStyle(e).gridTemplateAreas")
    assert areas == '"now chart chart" "mods transcript alerts" "info info info"'
    expect(page.get_by_test_id("stream-name")).to_have_text("meeting")


def test_the_report_of_a_recorded_meeting_shows_the_panel_read_only(pages, server, tmp_path):
    recorded = [meeting_hello().to_dict()]
    recorded += [person(s).to_dict() for s in ("p1", "p2")]
    recorded += [heard(seq, "p1", 0.9, text=0.7, audio=0.5).to_dict() for seq in range(4)]
    recorded += [heard(seq, "p2", -1.2, vision=0.8).to_dict() for seq in range(4)]
    recorded += [transcript("We ship on Friday.", 1.0, 3.0, stream="p1").to_dict()]
    recorded += [person("p1", "renamed", "Ana").to_dict(), person("p2", "left").to_dict()]
    report = tmp_path / "report.html"
    report.write_text(interactive_html(recorded, {"source": "meeting.mp4"}, []), encoding="utf-8")
    page = pages()
    page.goto(report.as_uri())
    expect(page.get_by_test_id("participant-row")).to_have_count(2)
    p1, p2 = _row(page, "p1"), _row(page, "p2")
    expect(p1).to_have_attribute("aria-current", "true")  # a recording opens on the first person, not the room
    expect(p1.get_by_test_id("participant-name")).to_have_text("Ana")
    expect(p1.get_by_test_id("participant-intensity")).to_have_text("+0.9")
    expect(p2).to_have_attribute("data-state", "left")
    expect(p1.get_by_test_id("participant-rename")).to_be_hidden()
    expect(page.get_by_test_id("current-value")).to_have_text("+0.9")
    p2.get_by_test_id("participant-name").click()  # selects, does not edit: a recording is read-only
    expect(p2.get_by_test_id("participant-name-input")).to_have_count(0)
    expect(page.get_by_test_id("current-value")).to_have_text("−1.2")
    _row(page, "p1").click()
    expect(page.get_by_test_id("transcript-committed")).to_contain_text("We ship on Friday.")
