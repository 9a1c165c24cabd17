"""A two-person meeting replayed at real time with the dashboard open in a real headless Chromium: the
participants panel shows each person with their own readings and words, a name typed on the dashboard
reaches the recording (timeline, CSV, summary.json), and the page ends showing both people."""

from __future__ import annotations

import csv
import json
import threading

import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.monitor import DashboardConfig, Monitor, MonitorConfig
from streammsa.recorder.timeline import read_timeline

pytestmark = [pytest.mark.slow, pytest.mark.browser]

sync_api = pytest.importorskip("playwright.sync_api")


def test_a_replayed_meeting_shows_each_participant_and_a_name_set_on_the_dashboard_is_recorded(
    two_people, monitor_components, browser, tmp_path, artifacts_dir
):
    media, truth = two_people
    cfg = MonitorConfig(
        out_dir=tmp_path,
        speed=1.0,
        progress=False,
        participants=2,
        dashboard=DashboardConfig(enabled=True, port=0),
        keep_dashboard_open=True,  # the page is read after the run, then the dashboard closes
    )
    mon = Monitor(cfg, [MediaFileSource(media)], components=monitor_components)
    mon.open()
    expect = sync_api.expect
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 1000})
        page.goto(mon.dashboard_url)
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        done = threading.Event()
        result: dict = {}

        def run() -> None:
            try:
                result["run"] = mon.run()
            finally:
                done.set()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        # both faces are in view from the start: two rows within a few seconds of stream
        rows = page.get_by_test_id("participant-row")
        expect(rows).to_have_count(2, timeout=20_000)
        first = rows.nth(0)
        first.get_by_test_id("participant-rename").click()
        box = page.get_by_test_id("participant-name-input")
        box.fill("Alice")
        box.press("Enter")
        expect(first.get_by_test_id("participant-name")).to_have_text("Alice")
        assert done.wait(timeout=180), "the replay did not end"
        worker.join()
        expect(page.get_by_test_id("stream-state")).to_have_text("ended", timeout=20_000)
        # each row ended with a reading of its own, and its words on its transcript
        for i in range(2):
            expect(rows.nth(i).get_by_test_id("participant-intensity")).not_to_have_text("")
        rows.nth(1).click()
        expect(page.get_by_test_id("transcript-committed")).not_to_be_empty()
        page.wait_for_timeout(300)  # one animation frame for the canvas
        page.screenshot(path=str(artifacts_dir / "dashboard-meeting.png"), full_page=True)
        shown = page.evaluate("(() => [...window.streammsa.state.streams.values()].map(s => [s.id, s.readings]))()")
    finally:
        mon.close()

    msgs = list(read_timeline(tmp_path / "timeline.jsonl"))
    renamed = [m for m in msgs if m["type"] == "participant" and m["state"] == "renamed"]
    assert [m["name"] for m in renamed] == ["Alice"]
    alice = renamed[0]["stream"]
    readings = {s: n for s, n in shown if s != "main"}
    assert len(readings) == 2 and all(n >= 15 for n in readings.values()), shown
    with open(tmp_path / "timeline.csv", newline="", encoding="utf-8") as f:
        rows_csv = list(csv.DictReader(f))
    assert {r["participant"] for r in rows_csv if r["stream"] == alice} == {"Alice"}
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    names = {p["stream"]: p["name"] for p in summary["participants"]}
    assert names[alice] == "Alice" and len(names) == 2
    assert all(p["words"] > 0 for p in summary["participants"])
    assert result["run"].readings >= 40
