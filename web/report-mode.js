// streammsa interactive report: the dashboard (app.js) showing a recorded timeline instead of a live feed.
// streammsa/recorder/interactive.py inlines this after app.js, with the timeline's messages as JSON in
// <script id="streammsa-recorded">; app.js opens no WebSocket on its <body data-live="false">. Every message goes
// through the dashboard's own handleMessage, so the page shows exactly what the live dashboard showed
// (reading revisions included). Helpers (el, fmtSigned, fmtClock, polarity, LABELS, MODALITIES) are app.js's.
"use strict";

(() => {
  const app = window.streammsa;
  const tag = document.getElementById("streammsa-recorded");
  if (!app || !tag) return;
  const messages = JSON.parse(tag.textContent);
  for (const m of messages) app.handleMessage(m);
  // a meeting read person by person: the room stream has no readings, so open on the first person who has
  const shown = app.state.streams.get(app.state.current);
  if (shown && !shown.readings) {
    const person = [...app.people.byId.keys()].find((id) => app.state.streams.get(id).readings);
    if (person) selectStream(person);
  }

  const conn = document.getElementById("conn");
  conn.dataset.state = "recorded";
  document.getElementById("conn-text").textContent = "Recorded timeline";
  document.getElementById("retry-now").hidden = true;
  const all = document.querySelector('.range-btn[data-range="0"]');
  if (all) all.click(); // a recording is looked at whole

  // The last revision of each reading, as recorder/readings.py takes it.
  const latest = new Map();
  for (const m of messages) {
    if (m.type !== "reading") continue;
    const key = `${m.stream}\u0000${m.seq}`;
    const prev = latest.get(key);
    if (!prev || (m.revision || 0) >= (prev.revision || 0)) latest.set(key, m);
  }
  const readings = [...latest.values()].sort((a, b) => a.t_end - b.t_end);
  const rows = [...document.querySelectorAll('[data-testid="utterance"]')];

  const canvas = document.getElementById("chart");
  const wrap = canvas.parentElement;
  const cursor = el("div", { class: "report-cursor", "data-testid": "report-cursor", hidden: "" });
  wrap.append(cursor);
  const panel = el("div", { class: "report-selection", id: "report-selection", "data-testid": "report-selection",
    role: "status", "aria-live": "polite" }, "Click the chart to see what was read and said at that moment.");
  wrap.after(panel);
  canvas.tabIndex = 0;
  canvas.title = "Click to see the reading and the words at that moment (← → step one hop)";

  let selected = null;
  const hop = () => (app.state.hello && app.state.hello.hop_s) || 1;
  const streamReadings = () => readings.filter((r) => r.stream === app.state.current);

  // The reading "at" t: the first window ending at or after t (it holds t), else the last one.
  function readingAt(t) {
    const rs = streamReadings();
    return rs.find((r) => r.t_end >= t - 1e-6) || rs[rs.length - 1] || null;
  }
  function utteranceAt(t) {
    let best = null, dist = Infinity;
    for (const row of rows) {
      const a = Number(row.dataset.start), b = Number(row.dataset.end);
      const d = t < a ? a - t : t > b ? t - b : 0;
      if (d < dist) { best = row; dist = d; }
    }
    return best;
  }
  function placeCursor() {
    const v = app.state.view;
    if (selected === null || !v || v.t1 <= v.t0) { cursor.hidden = true; return; }
    const px = v.left + ((selected - v.t0) / (v.t1 - v.t0)) * v.width;
    cursor.style.left = `${px}px`;
    cursor.hidden = px < v.left - 1 || px > v.left + v.width + 1;
  }
  function select(t, fromRow) {
    selected = t;
    const r = readingAt(t);
    const row = fromRow || utteranceAt(t);
    for (const other of rows) other.classList.toggle("selected", other === row);
    if (row && !fromRow) row.scrollIntoView({ block: "nearest" });
    const parts = [el("strong", { text: fmtClock(t) })];
    if (r) {
      const mods = MODALITIES.map((k) => {
        const mr = r.modalities && r.modalities[k];
        return `${LABELS[k]} ${mr && mr.present ? fmtSigned(mr.intensity) : "—"}`;
      }).join(" · ");
      parts.push(` · window ${fmtClock(r.t_start)}–${fmtClock(r.t_end)} · overall `,
        el("strong", { "data-testid": "selection-value", text: fmtSigned(r.intensity) }),
        ` ${polarity(r.intensity).label} · ${mods}`,
        el("br"), "Words in the window: ",
        el("q", { "data-testid": "selection-words", text: r.transcript || "(none)" }));
    }
    if (row) parts.push(el("br"), "Utterance: ", el("q", { "data-testid": "selection-utterance", text: row.lastElementChild.textContent }));
    panel.replaceChildren(...parts);
    placeCursor();
  }

  canvas.addEventListener("click", (e) => {
    const v = app.state.view;
    if (!v || !readings.length) return;
    const x = e.clientX - canvas.getBoundingClientRect().left;
    const t = v.t0 + ((x - v.left) / v.width) * (v.t1 - v.t0);
    select(Math.max(v.t0, Math.min(v.t1, t)));
  });
  canvas.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    e.preventDefault();
    const rs = streamReadings();
    if (!rs.length) return;
    const t = selected === null ? rs[0].t_end : selected + (e.key === "ArrowRight" ? hop() : -hop());
    select(Math.max(rs[0].t_start, Math.min(rs[rs.length - 1].t_end, t)));
  });
  for (const row of rows) {
    const pick = () => select((Number(row.dataset.start) + Number(row.dataset.end)) / 2, row);
    row.addEventListener("click", pick);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  }
  // the chart redraws on resize and range changes: keep the cursor on its moment
  const redraw = () => requestAnimationFrame(() => requestAnimationFrame(placeCursor));
  window.addEventListener("resize", redraw);
  for (const b of document.querySelectorAll(".range-btn, .series-btn")) b.addEventListener("click", redraw);
  app.recorded = { messages, readings, select };
})();
