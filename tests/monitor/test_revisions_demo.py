"""The demo clip paced at real time with the dashboard open in a real headless Chromium: words the
recogniser commits after their windows went out reach those windows' readings as revisions, the
timeline keeps every message, and the page ends up showing each reading as it finally stood."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from streammsa.capture.media_file import MediaFileSource
from streammsa.monitor import DashboardConfig, Monitor, MonitorConfig
from streammsa.paths import demo_clip
from streammsa.recorder.readings import latest_readings
from streammsa.recorder.timeline import read_timeline

pytestmark = [pytest.mark.slow, pytest.mark.browser]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def demo() -> Path:
    path = demo_clip()
    if not path.exists():
        pytest.skip("demo_media/demo.mp4 is made at set-up (scripts/make_demo_media.py)")
    return path


def test_demo_paced_with_the_dashboard_open_every_committed_word_reaches_its_readings(
    demo, monitor_components, browser, tmp_path, artifacts_dir
):
    components = monitor_components  # the trained default model
    cfg = MonitorConfig(
        out_dir=tmp_path,
        speed=1.0,
        progress=False,
        dashboard=DashboardConfig(enabled=True, port=0),
        keep_dashboard_open=True,  # the page is read after the run, then the dashboard closes
    )
    mon = Monitor(cfg, [MediaFileSource(demo)], components=components)
    mon.open()
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(mon.dashboard_url)
        sync_api.expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        result = mon.run()
        msgs = list(read_timeline(tmp_path / "timeline.jsonl"))
        finals = latest_readings(msgs)
        sync_api.expect(page.get_by_test_id("stream-state")).to_have_text("ended", timeout=20_000)
        page.wait_for_timeout(300)  # one animation frame for the canvas
        page.screenshot(path=str(artifacts_dir / "dashboard-demo-revisions.png"), full_page=True)
        shown = page.evaluate(
            "(() => { const s = window.streammsa.state.streams.get('main');"
            " return { count: s.readings, points: s.series.points() }; })()"
        )
    finally:
        mon.close()

    every = [m for m in msgs if m["type"] == "reading"]
    by_seq: dict[int, list[dict]] = defaultdict(list)
    for m in every:
        by_seq[m["seq"]].append(m)
    assert len(finals) == result.readings == len(by_seq) >= 20  # ~23 s of clip, one window per second
    assert len(every) > len(finals)  # paced readings went out before their words: later messages followed
    for ms in by_seq.values():
        assert [m["final"] for m in ms].count(True) == 1 and ms[-1]["final"]

    # every committed word is in the final reading of every window holding it, with a text reading
    committed = [w for m in msgs if m["type"] == "transcript" and m["kind"] == "committed" for w in m["words"]]
    assert len(committed) > 40
    for w in committed:
        mid = (w["start"] + w["end"]) / 2
        holders = [f for f in finals if f["t_start"] <= mid < f["t_end"]]
        assert holders, w
        for f in holders:
            assert w["w"] in f["transcript"].split(), (w, f["seq"], f["transcript"])
            assert f["modalities"]["text"]["present"] and f["modalities"]["text"]["intensity"] is not None
    revised_in = [f for f in finals if f["revision"] > 0]
    assert revised_in and all(f["modalities"]["text"]["present"] for f in revised_in)

    # the page and the recorder both hold each reading as it finally stood
    assert shown["count"] == len(finals)
    assert [(p["seq"], p["overall"], p["text"]) for p in shown["points"]] == [
        (f["seq"], f["intensity"], f["modalities"]["text"]["intensity"]) for f in finals
    ]
    rows = list(csv.DictReader((tmp_path / "timeline.csv").open()))
    assert [int(r["seq"]) for r in rows] == [f["seq"] for f in finals]
    assert [r["transcript"] for r in rows] == [f["transcript"] for f in finals]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["readings"] == len(finals) and summary["revised_readings"] == len(revised_in)
