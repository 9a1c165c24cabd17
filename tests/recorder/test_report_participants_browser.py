"""The interactive report.html of a meeting read person by person (``--participants``), in a real
headless Chromium opened from disk: every dashboard script is inlined (nothing fetched, no script
error), the participants table names each person, and a click on an utterance still finds its words."""

from __future__ import annotations

import pytest
from support.meeting_timeline import UTTERANCES, write_meeting_run

from streammsa.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture
def report_page(browser, tmp_path):
    run = write_meeting_run(tmp_path / "run")
    assert main(["report", str(run.out_dir)]) == 0
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: problems.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto((run.out_dir / "report.html").as_uri())
    yield page
    context.close()
    assert problems == []  # no script error, and nothing fetched: every script is inlined


def test_the_meeting_report_names_each_participant(report_page, artifacts_dir):
    page = report_page
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "recorded")
    table = page.get_by_test_id("participants-table")
    expect(table.get_by_test_id("participant")).to_have_count(2)
    expect(table.get_by_test_id("participant").nth(0)).to_contain_text("Alice")
    expect(table.get_by_test_id("participant").nth(1)).to_contain_text("left at 6.0")
    expect(page.get_by_test_id("utterance")).to_have_count(len(UTTERANCES))
    page.screenshot(path=str(artifacts_dir / "interactive_report_participants.png"), full_page=True)


def test_clicking_an_utterance_shows_its_words_not_its_speaker(report_page):
    page = report_page
    index = UTTERANCES.index(("Alice", "We shipped it."))
    row = page.get_by_test_id("utterance").nth(index)
    row.click()
    expect(row).to_have_class("selected")
    expect(page.get_by_test_id("selection-utterance")).to_have_text("We shipped it.")
