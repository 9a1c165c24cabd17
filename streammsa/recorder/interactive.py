"""The interactive ``report.html``: the dashboard itself (``web/index.html``, ``app.js``, ``style.css``)
replaying a recorded timeline, in one self-contained file that opens from disk without a server.

The timeline's messages are embedded as JSON in a ``<script id="streammsa-recorded">`` tag and go
through the dashboard's own ``handleMessage`` (``app.js`` opens no WebSocket on a
``<body data-live="false">`` page); ``web/report-mode.js`` adds what a recording needs: the whole
run on the chart, a click on the chart selects that moment (its reading, and the utterance spoken
then, highlighted and scrolled to), the utterance table, the summary and the static chart. A meeting
read with ``--participants`` adds who spoke each utterance and the table of participants.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

from streammsa import MODALITIES, paths
from streammsa.recorder.participant_summary import participants_table_html
from streammsa.recorder.report import moments_html
from streammsa.recorder.utterances import Utterance

RECORDED_TAG_ID = "streammsa-recorded"  # the id app.js and report-mode.js look for
REPORT_MODE_JS = "report-mode.js"
REPORT_MODE_CSS = "report-mode.css"
# partial transcripts are superseded by the committed words; a recording shows only what was final
_DROPPED_TYPES = {("transcript", "partial")}
# the page's own scripts (src="name.js", no folder, no scheme), inlined in the order the page loads them
_PAGE_SCRIPT = r'<script src="([\w.-]+\.js)"[^>]*></script>'


class PageTemplateError(RuntimeError):
    """web/index.html no longer has a tag the report is assembled around (a developer error)."""


def _json_for_script(data: Any) -> str:
    # "<" escaped as \u003c: the JSON can never close its <script> tag or open a comment
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _inline_script(code: str) -> str:
    if "<!--" in code:  # would put the HTML parser in a state where </script> no longer ends the script
        raise PageTemplateError("a dashboard script contains '<!--'; it cannot be inlined into report.html")
    return "<script>\n" + code.replace("</script", "<\\/script") + "\n</script>"


def _sub_once(pattern: str, repl: str, text: str) -> str:
    out, n = re.subn(pattern, lambda _m: repl, text, count=1)
    if n != 1:
        raise PageTemplateError(f"web/index.html: no match for {pattern!r}; update streammsa/recorder/interactive.py")
    return out


def _signed(v: float | None) -> str:
    if v is None:
        return "—"
    s = f"{abs(v):.2f}"
    return "0.00" if float(s) == 0 else ("+" if v > 0 else "−") + s


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return "n/a" if v is None else str(v)


def _clock(t: float) -> str:
    m, s = divmod(int(t), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _utterance_rows(utts: list[Utterance], who: bool) -> str:
    rows = []
    for u in utts:
        cells = "".join(f'<td class="num">{_signed(u.modalities.get(m))}</td>' for m in MODALITIES)
        # the words stay the last cell: report-mode.js reads an utterance's words from there
        speaker = f'<td class="who">{html.escape(u.participant)}</td>' if who else ""
        rows.append(
            f'<tr data-testid="utterance" data-index="{u.index}" data-start="{u.start:.3f}" data-end="{u.end:.3f}" '
            f'tabindex="0"><td><time>{_clock(u.start)}</time></td><td class="num">{_signed(u.intensity)}</td>{cells}'
            f"{speaker}<td>{html.escape(u.text)}</td></tr>"
        )
    return "\n".join(rows)


def _participants_section(people: list[dict[str, Any]]) -> str:
    # spans both grid columns of .report-extra: the table is wide
    return f"""<section class="card report-participants" aria-labelledby="people-h" style="grid-column: 1 / -1">
    <h2 id="people-h">Participants over the run <span class="count">{len(people)}</span></h2>
    <p class="hint">Each person of the meeting as read on their own (−3..+3); heard: share of their windows
      with that modality, and its mean confidence.</p>
    <div class="utt-scroll">{participants_table_html(people, "utt-table")}</div>
  </section>"""


def _extra_sections(stats: dict[str, Any], utts: list[Utterance], png: bytes | None) -> str:
    summary = "\n".join(
        f"<div><dt>{html.escape(k.replace('_', ' '))}</dt><dd>{html.escape(_fmt(v))}</dd></div>"
        for k, v in stats.items()
        if k not in ("participants", "most_disagreement")  # their own tables
    )
    moments = moments_html(stats.get("most_disagreement") or [], "utt-table")
    if moments:
        moments = f'<section class="card report-moments" aria-labelledby="moments-h">{moments}</section>'

    who = "participants" in stats  # a --participants run: each utterance is someone's
    people = _participants_section(stats["participants"]) if who else ""
    heads = "".join(f'<th scope="col" class="num">{m}</th>' for m in MODALITIES)
    heads += '<th scope="col">who</th>' if who else ""
    empty = "" if utts else '<p class="empty-note">No speech was recognised in this run.</p>'
    img = ""
    if png:
        b64 = base64.b64encode(png).decode("ascii")
        img = (
            '<details class="card report-static"><summary>Static chart (report.png, for printing)</summary>'
            f'<img alt="sentiment intensity over time" src="data:image/png;base64,{b64}"></details>'
        )
    return f"""
<div class="report-extra" id="report-extra">
  <section class="card report-utterances" aria-labelledby="utt-h">
    <h2 id="utt-h">Utterances <span class="count">{len(utts)}</span></h2>
    <p class="hint">Click the chart to find what was said at that moment; click an utterance to mark it on the chart.
      Readings are means over the windows each utterance overlaps (−3..+3; — where a modality was absent).</p>
    {empty}
    <div class="utt-scroll"><table class="utt-table" data-testid="utterance-table">
      <thead><tr><th scope="col">time</th><th scope="col" class="num">overall</th>{heads}
        <th scope="col">words</th></tr></thead>
      <tbody>{_utterance_rows(utts, who)}</tbody></table></div>
  </section>
  <section class="card report-summary" aria-labelledby="sum-h">
    <h2 id="sum-h">Summary</h2>
    <dl class="kv" data-testid="report-summary">{summary}</dl>
  </section>
  {moments}{people}{img}
</div>
"""


def interactive_html(
    messages: list[dict[str, Any]],
    stats: dict[str, Any],
    utts: list[Utterance],
    png: bytes | None = None,
    web: Path | None = None,
) -> str:
    """The report page for ``messages`` (a timeline, every revision kept: the page applies them as live)."""
    web = Path(web) if web is not None else paths.web_dir()
    page = (web / "index.html").read_text(encoding="utf-8")
    css = (web / "style.css").read_text(encoding="utf-8") + "\n" + (web / REPORT_MODE_CSS).read_text(encoding="utf-8")
    # every script the dashboard loads (app.js and the files it relies on), in the page's order
    page_scripts = re.findall(_PAGE_SCRIPT, page)
    if "app.js" not in page_scripts:
        raise PageTemplateError("web/index.html does not load app.js; update streammsa/recorder/interactive.py")
    code = [(web / name).read_text(encoding="utf-8") for name in page_scripts]
    mode = (web / REPORT_MODE_JS).read_text(encoding="utf-8")
    favicon = base64.b64encode((web / "favicon.svg").read_bytes()).decode("ascii")
    embedded = [m for m in messages if (m.get("type"), m.get("kind")) not in _DROPPED_TYPES]
    title = f"streammsa report · {stats.get('source') or 'recorded run'}"

    page = _sub_once(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", page)
    page = _sub_once(r'<link rel="icon"[^>]*>', f'<link rel="icon" href="data:image/svg+xml;base64,{favicon}">', page)
    page = _sub_once(r'<link rel="stylesheet" href="style.css">', f"<style>\n{css}\n</style>", page)
    page = re.sub(_PAGE_SCRIPT, "", page)
    # data-live="false": app.js renders what it is given and opens no WebSocket
    page = _sub_once(r"<body", '<body data-live="false" data-mode="recorded"', page)
    page = _sub_once(r"</main>", "</main>\n" + _extra_sections(stats, utts, png), page)
    scripts = "\n".join(
        [
            f'<script type="application/json" id="{RECORDED_TAG_ID}">{_json_for_script(embedded)}</script>',
            *(_inline_script(c) for c in code),
            _inline_script(mode),
        ]
    )
    return _sub_once(r"</body>", scripts + "\n</body>", page)


def write_interactive_report(
    path: Path,
    messages: list[dict[str, Any]],
    stats: dict[str, Any],
    utts: list[Utterance],
    png: bytes | None = None,
) -> Path:
    path = Path(path)
    path.write_text(interactive_html(messages, stats, utts, png), encoding="utf-8")
    return path
