"""The interactive report.html in a real headless Chromium, opened from disk as a user would: the
dashboard's own code renders the recorded timeline (revisions applied, no connection attempted),
a click on the chart shows the reading and the words of that moment, and a click on an utterance
marks it on the chart."""

from __future__ import annotations

import pytest
from support.timelines import OVERALL, UTTERANCE_TEXTS, WORDS, write_recorded_run

from streammsa.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def report_page(browser, tmp_path):
    run = write_recorded_run(tmp_path / "run")
    assert main(["report", str(run.out_dir)]) == 0
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: problems.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto((run.out_dir / "report.html").as_uri())
    # read the chart's view only once the page shows every reading of the recording
    expect(page.get_by_test_id("reading-count")).to_have_text(str(len(run.readings_by_seq)))
    yield page, run
    context.close()
    assert problems == []  # no script error, and nothing fetched: no WebSocket, no server


def _click_chart_at(page, t: float) -> None:
    view = page.evaluate("window.streammsa.state.view")
    box = page.get_by_test_id("chart").bounding_box()
    x = view["left"] + (t - view["t0"]) / (view["t1"] - view["t0"]) * view["width"]
    page.get_by_test_id("chart").click(position={"x": x, "y": box["height"] / 2})


def test_the_recorded_run_renders_with_the_dashboard_code(report_page, artifacts_dir):
    page, run = report_page
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "recorded")
    expect(page.get_by_test_id("reading-count")).to_have_text(str(len(run.readings_by_seq)))
    expect(page.get_by_test_id("stream-state")).to_have_text("ended")
    expect(page.get_by_test_id("alert-item")).to_have_count(1)
    expect(page.get_by_test_id("utterance")).to_have_count(len(UTTERANCE_TEXTS))
    expect(page.get_by_test_id("report-summary")).to_contain_text("readings")
    # the chart shows the whole run (a recording is looked at whole)
    view = page.evaluate("window.streammsa.state.view")
    assert view["t1"] == pytest.approx(max(r.t_end for r in run.readings_by_seq.values()))
    page.screenshot(path=str(artifacts_dir / "interactive_report.png"), full_page=True)


def test_a_revised_reading_shows_its_last_revision(report_page):
    page, run = report_page
    _click_chart_at(page, run.readings_by_seq[1].t_end)
    expect(page.get_by_test_id("selection-value")).to_have_text(f"+{OVERALL:.1f}")


def test_clicking_the_chart_shows_the_words_spoken_then(report_page):
    page, _ = report_page
    word, start, end = WORDS[-1]  # in the last utterance
    _click_chart_at(page, (start + end) / 2)
    selected = page.locator('[data-testid="utterance"].selected')
    expect(selected).to_have_count(1)
    expect(selected).to_contain_text(UTTERANCE_TEXTS[-1])
    expect(page.get_by_test_id("selection-utterance")).to_have_text(UTTERANCE_TEXTS[-1])
    expect(page.get_by_test_id("selection-words")).to_contain_text(word)
    expect(page.get_by_test_id("report-cursor")).to_be_visible()


def test_clicking_an_utterance_marks_its_moment_on_the_chart(report_page):
    page, _ = report_page
    rows = page.get_by_test_id("utterance")
    rows.nth(0).click()
    expect(rows.nth(0)).to_have_class("selected")
    first_x = page.get_by_test_id("report-cursor").bounding_box()["x"]
    rows.nth(2).click()
    expect(rows.nth(2)).to_have_class("selected")
    expect(rows.nth(0)).not_to_have_class("selected")
    assert page.get_by_test_id("report-cursor").bounding_box()["x"] > first_x  # later in the run, further right
