// streammsa dashboard: one WebSocket, no build step, no dependencies.
// Message schema: docs/protocol.md (streammsa/protocol.py). A meeting read person by person
// (participant messages) gets its Participants panel from participants.js, loaded before this file.
"use strict";

const MODALITIES = ["text", "audio", "vision"];
const SERIES = ["overall", ...MODALITIES];
const LABELS = { text: "Text", audio: "Audio", vision: "Vision", overall: "Overall" };
// Bounded memory for hours of readings: full resolution for the recent past, averaged buckets before it.
const RECENT_MAX = 3600;      // points kept at full resolution (1 h at 1 Hz)
const OLD_MAX = 2000;         // downsampled points; buckets double in width when this fills
const TRANSCRIPT_MAX = 400;   // committed lines kept on the page
const ALERTS_MAX = 200;       // alert events kept in the list
const PING_EVERY_MS = 15000;
const PONG_TIMEOUT_MS = 10000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;

const $ = (id) => document.getElementById(id);

// ---------- formatting ----------
function fmtSigned(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  const s = Math.abs(v).toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return (v > 0 ? "+" : "−") + s;
}
function polarity(v) {
  if (v === null || v === undefined) return { key: "none", label: "no reading" };
  const a = Math.abs(v);
  if (a < 0.5) return { key: "neutral", label: "neutral" };
  const side = v > 0 ? "positive" : "negative";
  return { key: side, label: a >= 2 ? `strongly ${side}` : side };
}
function fmtClock(t) {
  if (t === null || t === undefined || !Number.isFinite(t)) return "—";
  const neg = t < 0; t = Math.abs(t);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = Math.floor(t % 60);
  const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(s).padStart(2, "0");
  return (neg ? "−" : "") + (h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`);
}
function fmtNum(v) {
  if (typeof v === "number") {
    const a = Math.abs(v);
    const s = Number.isInteger(v) ? String(a) : a >= 100 ? a.toFixed(0) : a >= 10 ? a.toFixed(1) : a.toFixed(2);
    return (v < 0 ? "−" : "") + s;
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.map(fmtNum).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style") for (const [prop, val] of Object.entries(v)) node.style.setProperty(prop, val); // CSSOM: allowed by the CSP
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// ---------- per-stream data (bounded) ----------
class Series {
  constructor() { this.recent = []; this.old = []; this.bucket = 5; }
  push(p) {
    this.recent.push(p);
    if (this.recent.length > RECENT_MAX) this.compact(Math.floor(RECENT_MAX / 4));
  }
  // A later message of a reading (same seq) replaces its point; one whose first emission never came
  // (dropped for a slow page) goes in at its time. Revisions come within seconds, so the point is
  // still at full resolution (an averaged bucket is left as it is).
  // Returns true when it replaced a point, false when the point is new.
  revise(p) {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const q = this.recent[i];
      if (q.seq === p.seq) { this.recent[i] = p; return true; }
      if (q.t < p.t) { this.recent.splice(i + 1, 0, p); return false; }
    }
    if (!this.old.length) this.recent.unshift(p);
    return false;
  }
  // Move the oldest n full-resolution points into averaged buckets.
  compact(n) {
    const moved = this.recent.splice(0, n);
    for (const p of moved) {
      const key = Math.floor(p.t / this.bucket);
      const last = this.old[this.old.length - 1];
      if (last && last.key === key) mergeInto(last, p);
      else this.old.push(startBucket(key, p));
    }
    while (this.old.length > OLD_MAX) {
      this.bucket *= 2;
      const merged = [];
      for (const b of this.old) {
        const key = Math.floor(b.t / this.bucket);
        const last = merged[merged.length - 1];
        if (last && last.key === key) mergeInto(last, b, b.n);
        else { b.key = key; merged.push(b); }
      }
      this.old = merged;
    }
  }
  points() { return this.old.length ? this.old.concat(this.recent) : this.recent; }
  get length() { return this.old.length + this.recent.length; }
}
function startBucket(key, p) {
  const b = { key, t: p.t, n: p.n || 1, sums: {}, counts: {} };
  for (const s of SERIES) { b[s] = p[s]; if (p[s] !== null) { b.sums[s] = p[s] * b.n; b.counts[s] = b.n; } else { b.sums[s] = 0; b.counts[s] = 0; } }
  return b;
}
function mergeInto(b, p, weight = 1) {
  const w = p.n || weight;
  b.t = (b.t * b.n + p.t * w) / (b.n + w);
  b.n += w;
  for (const s of SERIES) {
    if (p[s] === null || p[s] === undefined) continue;
    b.sums[s] += p[s] * w; b.counts[s] += w;
    b[s] = b.sums[s] / b.counts[s];
  }
}

function newStream(id) {
  return {
    id, series: new Series(), last: null, readings: 0, firstT: null, lastT: null,
    alerts: new Map(), alertEvents: [], transcript: [], partial: null, status: null,
  };
}

// ---------- app state ----------
const state = {
  hello: null, streams: new Map(), current: null, range: 300,
  visible: { overall: true, text: true, audio: true, vision: true },
  dropped: 0, trainedFlag: null,
};
function stream(id) {
  const key = id || "default";
  if (!state.streams.has(key)) {
    state.streams.set(key, newStream(key));
    refreshStreamPicker();
  }
  if (state.current === null) selectStream(key);
  return state.streams.get(key);
}
function cur() { return state.current ? state.streams.get(state.current) : null; }
function resetData() { state.streams.clear(); state.current = null; state.dropped = 0; resetParticipants(); renderAll(); }
// What a stream is called on the page: a participant's name, "Room" for a meeting's room stream, else its id.
function streamLabel(id) { return participantLabel(id) || id; }
// The source's health as it applies to a stream: its own status, or for a meeting's person the room's.
function streamStatus(s) { return !s ? null : s.status || (isParticipant(s.id) ? roomStatus() : null); }

// ---------- message handling ----------
const handlers = {
  hello(m, first) {
    if (first) resetData();
    state.hello = m;
    state.trainedFlag = null; // the new hello speaks for the model until the next reading
    participantsMode(!!m.participants);
    for (const s of m.streams || []) stream(s);
    invalidate("info", "trained", "modalities");
  },
  reading(m) {
    const s = stream(m.stream);
    const p = { t: m.t_end, seq: m.seq, overall: m.intensity };
    for (const k of MODALITIES) {
      const r = m.modalities && m.modalities[k];
      p[k] = r && r.present && r.intensity !== null ? r.intensity : null;
    }
    if (isUpdate(m)) {
      // a revision (late words joined the window) or the final re-send: it replaces the earlier
      // message of the same (stream, seq) in the chart, and on the cards when that is the one shown
      const known = s.series.revise(p);
      if (!known) s.readings += 1;
      if (!s.last || s.last.seq === m.seq || (!known && m.t_end > s.last.t_end)) s.last = m;
    } else {
      s.series.push(p);
      s.last = m; s.readings += 1;
      if (s.firstT === null) s.firstT = m.t_start;
      s.lastT = m.t_end;
      if (s.status && s.status.state === "ended") s.status = null; // a new run began after the last replay
    }
    if (typeof m.trained === "boolean") state.trainedFlag = m.trained;
    if (s.id === state.current) invalidate("now", "modalities", "streamState", "chart");
    invalidate("trained");
  },
  transcript(m) {
    const s = stream(m.stream);
    if (m.kind === "partial") s.partial = m;
    else {
      m._n = committedSerial++;
      s.transcript.push(m);
      if (s.transcript.length > TRANSCRIPT_MAX) s.transcript.splice(0, s.transcript.length - TRANSCRIPT_MAX);
      if (s.partial && s.partial.t_start <= m.t_end) s.partial = null;
    }
    if (s.id === state.current) invalidate("transcript");
  },
  alert(m) {
    const s = stream(m.stream);
    if (m.state === "raised") s.alerts.set(m.alert_id, m);
    else s.alerts.delete(m.alert_id);
    s.alertEvents.push(m);
    if (s.alertEvents.length > ALERTS_MAX) s.alertEvents.splice(0, s.alertEvents.length - ALERTS_MAX);
    if (s.id === state.current) invalidate("alerts", "chart");
  },
  status(m) {
    const s = stream(m.stream);
    s.status = m;
    // a meeting's people have no status of their own: the room's speaks for them
    if (s.id === state.current || isParticipant(state.current)) invalidate("streamState", "info");
  },
  participant(m) { participantMessage(m); },
  dropped(m) { state.dropped = m.total; invalidate("info"); },
  pong(m) {
    if (conn.pingSentAt !== null && m.id === conn.pingId) {
      conn.rtt = performance.now() - conn.pingSentAt;
      conn.pingSentAt = null;
      clearTimeout(conn.pongTimer);
      $("info-rtt").textContent = `${conn.rtt.toFixed(0)} ms`;
    }
  },
  error(m) { $("server-error").textContent = `Server: ${m.message}`; participantError(m); },
};

// A later message of a reading (revision or final re-send) rather than its first emission.
function isUpdate(m) { return (m.revision || 0) > 0 || (m.update_latency_ms !== null && m.update_latency_ms !== undefined); }

// The one entry point for a message, live or read back from a recorded timeline.jsonl (an
// interactive report can feed a run's messages through it in order). ``first``: a hello starts
// the page over (the first hello of a connection). Returns false for a type this page does not know.
function handleMessage(m, { first = state.hello === null } = {}) {
  const h = m && handlers[m.type];
  if (!h) return false; // newer server, older page: ignore what we do not know
  if (m.type === "hello") h(m, first);
  else h(m);
  if (m.type !== "participant" && isParticipant(m.stream)) invalidate("participants"); // their row in the panel
  return true;
}

// ---------- rendering ----------
function selectStream(id) {
  state.current = id;
  const sel = $("stream-select");
  if (sel.value !== id) sel.value = id;
  renderAll();
}
function refreshStreamPicker() {
  const sel = $("stream-select");
  const ids = [...state.streams.keys()];
  sel.replaceChildren(...ids.map((id) => el("option", { value: id, text: streamLabel(id) })));
  if (state.current) sel.value = state.current;
  $("stream-pick").hidden = ids.length < 2;
  $("stream-name").hidden = ids.length >= 2;
}
function renderAll() {
  refreshStreamPicker();
  $("transcript-committed").replaceChildren(); // rebuilt from the selected stream
  invalidate("now", "modalities", "transcript", "alerts", "info", "trained", "streamState", "chart", "participants");
}

// Rendering is batched to one pass per animation frame: a history replay of thousands of
// messages costs one DOM update, not thousands (and a hidden tab does no drawing at all).
const dirty = new Set();
let renderQueued = false;
const RENDERERS = {
  now: () => renderNow(), modalities: () => renderModalities(), transcript: () => renderTranscript(),
  alerts: () => renderAlerts(), info: () => renderInfo(), trained: () => renderTrained(),
  streamState: () => renderStreamState(), chart: () => drawChart(), participants: () => renderParticipants(),
};
function invalidate(...parts) {
  for (const p of parts) dirty.add(p);
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(flush);
}
function flush() {
  renderQueued = false;
  const parts = [...dirty];
  dirty.clear();
  for (const p of parts) RENDERERS[p]();
}
function scheduleChart() { invalidate("chart"); }

function renderNow() {
  const s = cur(), m = s && s.last;
  const box = $("now-value"), marker = $("gauge-marker");
  $("empty-state").hidden = !!(s && s.readings);
  $("reading-count").textContent = s ? String(s.readings) : "0";
  if (!m) {
    $("current-value").textContent = "—";
    $("current-polarity").textContent = "waiting for data";
    box.dataset.polarity = "none";
    marker.hidden = true;
    $("current-window").textContent = "—";
    $("current-latency").textContent = "—";
    $("current-revision").textContent = "—";
    $("current-model-reading").textContent = "—";
    $("now-stats").hidden = true;
    return;
  }
  const pol = polarity(m.intensity);
  $("current-value").textContent = fmtSigned(m.intensity);
  $("current-value").dataset.value = String(m.intensity);
  $("current-polarity").textContent = pol.label;
  box.dataset.polarity = pol.key;
  marker.hidden = false;
  marker.style.left = `${((Math.max(-3, Math.min(3, m.intensity)) + 3) / 6) * 100}%`;
  $("current-window").textContent = `${fmtClock(m.t_start)}–${fmtClock(m.t_end)}`;
  $("current-latency").textContent = m.latency_ms === null ? "—" : `${Math.round(m.latency_ms)} ms`;
  const rev = m.revision || 0;
  const revBox = $("current-revision");
  revBox.textContent = m.final === false ? (rev ? `revised ×${rev}, words pending` : "words pending")
    : rev ? `final, revised ×${rev}` : "final";
  revBox.dataset.final = String(m.final !== false);
  revBox.dataset.revision = String(rev);
  // the fusion model's own reading (protocol 5), a diagnostic: the overall reading also weighs the modality readings
  const own = m.model_intensity;
  $("current-model-reading").textContent = own === null || own === undefined ? "—" : fmtSigned(own);
  // Summary of the last minute of the stream clock, from the full-resolution points.
  const recent = [];
  for (let i = s.series.recent.length - 1; i >= 0 && s.series.recent[i].t >= m.t_end - 60; i--) {
    if (s.series.recent[i].overall !== null) recent.push(s.series.recent[i].overall);
  }
  const stats = $("now-stats");
  if (recent.length >= 2) {
    const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
    stats.replaceChildren("Last minute: mean ", el("strong", { text: fmtSigned(mean) }), " · range ",
      el("strong", { text: fmtSigned(Math.min(...recent)) }), " to ", el("strong", { text: fmtSigned(Math.max(...recent)) }));
    stats.hidden = false;
  } else stats.hidden = true;
}

const BAR_LABELS = { window: "Probability that two modalities read opposite polarities",
  disagreement: "Probability that this modality is the one that disagrees", confidence: "Confidence",
  conflict: "CACR conflict C_m", weight: "CACR weight w_m" };
function bar(kind, value, max, threshold) {
  const b = el("div", { class: `bar ${kind}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": String(max),
    "aria-label": BAR_LABELS[kind] || kind });
  const fill = el("div", { class: "bar-fill" });
  if (value === null || value === undefined) { fill.style.width = "0%"; b.setAttribute("aria-valuetext", "absent"); }
  else {
    fill.style.width = `${Math.max(0, Math.min(1, value / max)) * 100}%`;
    b.setAttribute("aria-valuenow", String(value));
  }
  b.append(fill);
  if (threshold !== undefined && threshold !== null) {
    b.append(el("div", { class: "bar-threshold", style: { left: `${Math.min(1, threshold / max) * 100}%` }, title: `alert threshold ${threshold}` }));
    if (value !== null && value !== undefined && value >= threshold) b.dataset.high = "true";
  }
  return b;
}
function num(v) { return v === null || v === undefined ? "—" : v.toFixed(2); }
function renderModalities() {
  const s = cur(), m = s && s.last, hello = state.hello;
  const thr = hello && hello.thresholds ? hello.thresholds.conflict_raise : undefined;
  const d = m ? m.disagreement : null;
  $("window-disagreement").replaceChildren(el("div", { class: "bars" },
    el("span", { text: "Disagreement" }), bar("window", d, 1, thr),
    el("span", { class: "bar-val", "data-testid": "window-disagreement", text: num(d) })));
  const rows = MODALITIES.map((k) => {
    const r = m && m.modalities ? m.modalities[k] : null;
    const present = !!(r && r.present);
    const expected = !hello || !hello.presence || hello.presence[k] !== false;
    // words still being recognised may join this window (a revision follows): not "no signal" yet
    const pending = k === "text" && m && m.final === false;
    const stateText = !m ? "" : present ? "" : !expected ? "not captured" : pending ? "words pending" : "no signal";
    const row = el("div", { class: "mod", "data-testid": `modality-${k}`, dataset: { present: String(present) }, style: { "--c": `var(--${k})` } },
      el("span", { class: "mod-name" }, LABELS[k], el("span", { class: "mod-state", text: stateText })),
      el("span", { class: "mod-intensity", "data-testid": `modality-${k}-intensity`, text: present ? fmtSigned(r.intensity) : "—" }),
      el("div", { class: "bars" },
        // what a person asks first: is this reading based on much, and does it disagree with the others?
        el("span", { text: "Confidence" }), bar("confidence", present ? r.confidence : null, 1),
        el("span", { class: "bar-val", "data-testid": `modality-${k}-confidence`, text: num(present ? r.confidence : null) }),
        el("span", { text: "Odd one out" }), bar("disagreement", present ? r.disagreement : null, 1),
        el("span", { class: "bar-val", "data-testid": `modality-${k}-disagreement`, text: num(present ? r.disagreement : null) }),
        // CACR's own diagnostics: distance in the model's shared space and its reconstruction weight
        el("span", { class: "diag", text: "CACR C_m" }), bar("conflict", present ? r.conflict : null, 2),
        el("span", { class: "bar-val diag", "data-testid": `modality-${k}-conflict`, text: num(present ? r.conflict : null) }),
        el("span", { class: "diag", text: "CACR w_m" }), bar("weight", present ? r.weight : null, 1),
        el("span", { class: "bar-val diag", "data-testid": `modality-${k}-weight`, text: num(present ? r.weight : null) })));
    return row;
  });
  $("modalities").replaceChildren(...rows);
}

let committedSerial = 0;
function transcriptLine(m) {
  return el("p", { class: "committed", dataset: { n: String(m._n) } }, el("time", { text: fmtClock(m.t_start) }), m.text);
}
function renderTranscript() {
  const s = cur(), box = $("transcript");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const committed = $("transcript-committed");
  // append only the lines not on the page yet; trim the oldest beyond the cap
  const last = committed.lastElementChild ? Number(committed.lastElementChild.dataset.n) : -1;
  const fresh = s ? s.transcript.filter((m) => m._n > last) : [];
  committed.append(...fresh.map(transcriptLine));
  while (committed.childElementCount > TRANSCRIPT_MAX) committed.firstElementChild.remove();
  const partial = $("transcript-partial");
  if (s && s.partial && s.partial.text) { partial.textContent = s.partial.text; partial.hidden = false; }
  else { partial.textContent = ""; partial.hidden = true; }
  $("transcript-empty").hidden = !!(s && (s.transcript.length || (s.partial && s.partial.text)));
  if (nearBottom) box.scrollTop = box.scrollHeight;
}

const ALERT_KIND = { conflict: "Modality conflict", sustained_negative: "Sustained negative" };
function alertTitle(a) {
  // a pair ("text+audio") when only two modalities were present: both are named
  const who = a.modality ? a.modality.split("+").map((m) => LABELS[m] || m).join(" vs ") : "";
  const person = isParticipant(a.stream) ? `${streamLabel(a.stream)} · ` : ""; // whose alert, in a meeting
  return person + (ALERT_KIND[a.kind] || a.kind) + (who ? ` · ${who}` : "");
}
function renderAlerts() {
  const s = cur();
  const active = s ? [...s.alerts.values()] : [];
  const banner = $("alert-banner");
  if (active.length) {
    const latest = active[active.length - 1];
    $("alert-banner-title").textContent = alertTitle(latest) + ".";
    $("alert-banner-text").textContent = `${latest.message} (since ${fmtClock(latest.t)})`;
    $("alert-banner-count").textContent = active.length > 1 ? `${active.length} active` : "";
    banner.hidden = false;
  } else banner.hidden = true;
  const count = $("alert-count");
  count.textContent = `${active.length} active`;
  count.dataset.active = String(active.length > 0);
  // One entry per alert id, newest first; a cleared alert keeps its evidence and shows when it cleared.
  const byId = new Map();
  for (const e of (s ? s.alertEvents : [])) {
    const prev = byId.get(e.alert_id);
    if (e.state === "raised") byId.set(e.alert_id, { raised: e, cleared: null });
    else if (prev) prev.cleared = e;
    else byId.set(e.alert_id, { raised: null, cleared: e });
  }
  const items = [...byId.entries()].reverse().map(([id, { raised, cleared }]) => {
    const a = raised || cleared;
    const ev = (raised && raised.evidence) || (cleared && cleared.evidence) || {};
    const st = cleared ? "cleared" : "active";
    return el("li", { class: "alert-item", "data-testid": "alert-item", dataset: { state: st, alertId: id } },
      el("div", { class: "alert-top" },
        el("span", { class: "alert-kind", text: alertTitle(a) }),
        el("span", { class: "alert-state", text: cleared ? `cleared ${fmtClock(cleared.t)}` : "active" })),
      el("p", { class: "alert-msg" }, raised ? el("time", { text: fmtClock(raised.t) }) : null, a.message),
      renderEvidence(ev));
  });
  $("alert-list").replaceChildren(...items);
  $("alerts-empty").hidden = items.length > 0;
}

// Evidence: the windows that raised (or cleared) the alert, as a small table; other keys as a list.
const EVIDENCE_COLUMNS = [["t_end", "window end"], ["disagreement", "disagreement"], ["odd_one_out", "odd one out"],
  ["conflict", "CACR C_m"],
  ["intensity", "this modality"],
  ["others_intensity", "others"], ["overall", "overall"]];
function renderEvidence(ev) {
  if (!ev || !Object.keys(ev).length) return null;
  const rows = Array.isArray(ev.windows) ? ev.windows : [];
  const cols = EVIDENCE_COLUMNS.filter(([k]) => rows.some((r) => r && r[k] !== undefined && r[k] !== null));
  const table = rows.length && cols.length ? el("table", { class: "evidence-table" },
    el("thead", {}, el("tr", {}, ...cols.map(([, label]) => el("th", { scope: "col", text: label })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...cols.map(([k]) =>
      el("td", { text: k === "t_end" ? fmtClock(r[k]) : fmtNum(r[k]) })))))) : null;
  const rest = Object.entries(ev).filter(([k, v]) => k !== "windows" && (typeof v !== "object" || v === null));
  const list = rest.length ? el("dl", { class: "evidence" },
    ...rest.map(([k, v]) => el("div", {}, el("dt", { text: k.replace(/_/g, " ") + ":" }), el("dd", { text: fmtNum(v) })))) : null;
  return el("div", { class: "evidence-block" }, table, list);
}

function renderTrained() {
  const h = state.hello;
  const untrained = (h && h.trained === false) || state.trainedFlag === false;
  $("untrained-warning").hidden = !untrained;
  $("untrained-model").textContent = h ? `“${h.model}”` : "";
}

function renderStreamState() {
  const s = cur();
  const status = streamStatus(s);
  const st = status ? status.state : s && s.readings ? "running" : "waiting";
  const chip = $("stream-state");
  chip.textContent = st;
  chip.dataset.state = st;
  document.body.dataset.streamState = st;
  $("stream-name").textContent = s ? streamLabel(s.id) : "no stream yet";
  const degraded = st === "degraded";
  $("degraded-banner").hidden = !degraded;
  if (degraded) $("degraded-text").textContent = status.detail || "The pipeline is behind: words arrive late and readings are revised.";
  const ended = st === "ended";
  $("ended-banner").hidden = !ended;
  if (ended) {
    const span = s.lastT !== null && s.firstT !== null ? s.lastT - s.firstT : null;
    $("ended-text").textContent = `${s.readings} readings over ${fmtClock(span)} of ${streamLabel(s.id)}. Everything stays on this page until you reload it.`;
  }
}

function renderInfo() {
  const h = state.hello, s = cur();
  $("info-model").textContent = h ? h.model : "—";
  $("info-trained").textContent = h ? (h.trained ? "trained" : "untrained") : "—";
  $("info-window").textContent = h ? `${h.window_s} s / ${h.hop_s} s` : "—";
  $("info-presence").textContent = h && h.presence
    ? MODALITIES.map((k) => `${LABELS[k]} ${h.presence[k] ? "on" : "off"}`).join(" · ") : "—";
  $("info-thresholds").textContent = h && h.thresholds && Object.keys(h.thresholds).length
    ? Object.entries(h.thresholds).map(([k, v]) => `${k.replace(/_/g, " ")} ${fmtNum(v)}`).join(" · ") : "—";
  const st = streamStatus(s);
  if (st) {
    const bits = [st.state];
    if (st.fps !== null && st.fps !== undefined) bits.push(`${st.fps.toFixed(1)} fps`);
    if (st.latency_ms !== null && st.latency_ms !== undefined) bits.push(`${Math.round(st.latency_ms)} ms`);
    const drops = Object.entries(st.drops || {}).filter(([, n]) => n > 0);
    if (drops.length) bits.push("dropped " + drops.map(([k, n]) => `${k} ${n}`).join(", "));
    if (st.detail) bits.push(st.detail);
    $("info-status").textContent = bits.join(" · ");
  } else $("info-status").textContent = "—";
  $("info-dropped").textContent = String(state.dropped);
  $("info-version").textContent = h ? `streammsa ${h.version} · protocol v${h.v}` : "—";
  $("empty-detail").textContent = s && participantLabel(s.id) === "Room"
    ? "The room has no readings of its own: pick a participant to see theirs."
    : h ? `The chart fills in as soon as the monitor scores its first ${h.window_s}-second window.`
      : "The chart fills in as soon as the monitor scores its first window.";
}

// ---------- chart (canvas) ----------
function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
function drawChart() {
  const canvas = $("chart");
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const W = Math.max(1, Math.round(rect.width)), H = Math.max(1, Math.round(rect.height));
  if (canvas.width !== W * dpr || canvas.height !== H * dpr) { canvas.width = W * dpr; canvas.height = H * dpr; }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const pad = { l: 34, r: 12, t: 10, b: 24 };
  const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
  if (pw < 20 || ph < 20) return;
  const s = cur();
  const pts = s ? s.series.points() : [];
  const tEnd = pts.length ? pts[pts.length - 1].t : 60;
  const tFirst = pts.length ? pts[0].t : 0;
  let t0 = state.range ? Math.max(tEnd - state.range, Math.min(tFirst, tEnd - 10)) : tFirst;
  if (!state.range && tEnd - t0 < 10) t0 = tEnd - 10;
  const t1 = Math.max(tEnd, t0 + 1);
  const x = (t) => pad.l + ((t - t0) / (t1 - t0)) * pw;
  const y = (v) => pad.t + ((3 - v) / 6) * ph;
  state.view = { t0, t1, left: pad.l, width: pw }; // the time axis drawn last, for pages that map a click to a time
  ctx.font = "11px system-ui, sans-serif";
  // positive / negative half tints and grid
  ctx.fillStyle = "rgba(4, 120, 87, 0.045)"; ctx.fillRect(pad.l, y(3), pw, y(0) - y(3));
  ctx.fillStyle = "rgba(185, 28, 28, 0.045)"; ctx.fillRect(pad.l, y(0), pw, y(-3) - y(0));
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let v = -3; v <= 3; v++) {
    ctx.strokeStyle = v === 0 ? "#94a3b8" : "#e6eaf1";
    ctx.lineWidth = v === 0 ? 1.2 : 1;
    ctx.beginPath(); ctx.moveTo(pad.l, Math.round(y(v)) + 0.5); ctx.lineTo(pad.l + pw, Math.round(y(v)) + 0.5); ctx.stroke();
    ctx.fillStyle = "#64748b";
    ctx.fillText(v > 0 ? `+${v}` : v < 0 ? `−${-v}` : "0", pad.l - 6, y(v));
  }
  // time ticks on the stream clock
  const span = t1 - t0;
  const steps = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  const step = steps.find((st) => span / st <= Math.max(2, Math.floor(pw / 90))) || 14400;
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const px = x(t);
    ctx.strokeStyle = "#eef1f6"; ctx.beginPath(); ctx.moveTo(Math.round(px) + 0.5, pad.t); ctx.lineTo(Math.round(px) + 0.5, pad.t + ph); ctx.stroke();
    ctx.fillStyle = "#64748b"; ctx.fillText(fmtClock(t), px, pad.t + ph + 6);
  }
  if (!s) return;
  // alert spans (raised -> cleared or now)
  ctx.save(); ctx.beginPath(); ctx.rect(pad.l, pad.t, pw, ph); ctx.clip();
  const open = new Map();
  const spans = [];
  for (const e of s.alertEvents) {
    if (e.state === "raised") open.set(e.alert_id, e.t);
    else if (open.has(e.alert_id)) { spans.push([open.get(e.alert_id), e.t]); open.delete(e.alert_id); }
  }
  for (const t of open.values()) spans.push([t, tEnd]);
  ctx.fillStyle = "rgba(217, 54, 54, 0.10)";
  for (const [a, b] of spans) {
    if (b < t0) continue;
    ctx.fillRect(x(a), pad.t, Math.max(2, x(b) - x(a)), ph);
    ctx.fillStyle = "rgba(217, 54, 54, 0.6)"; ctx.fillRect(x(a), pad.t, 2, ph); ctx.fillStyle = "rgba(217, 54, 54, 0.10)";
  }
  // lines: modalities first, overall on top
  const colors = { overall: cssVar("--overall"), text: cssVar("--text"), audio: cssVar("--audio"), vision: cssVar("--vision") };
  const gap = state.hello ? Math.max(3, state.hello.hop_s * 3) : 3;
  for (const key of ["vision", "audio", "text", "overall"]) {
    if (!state.visible[key]) continue;
    ctx.strokeStyle = colors[key];
    ctx.lineWidth = key === "overall" ? 2.6 : 1.5;
    ctx.globalAlpha = key === "overall" ? 1 : 0.85;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let penDown = false, prevT = null;
    for (const p of pts) {
      if (p.t < t0 - 60) continue;
      const v = p[key];
      if (v === null || v === undefined || (prevT !== null && p.t - prevT > gap * (p.n || 1))) penDown = false;
      prevT = p.t;
      if (v === null || v === undefined) continue;
      const px = x(p.t), py = y(Math.max(-3, Math.min(3, v)));
      if (penDown) ctx.lineTo(px, py); else { ctx.moveTo(px, py); penDown = true; }
    }
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  // latest overall point
  const last = pts[pts.length - 1];
  if (last && state.visible.overall && last.overall !== null) {
    ctx.fillStyle = colors.overall;
    ctx.beginPath(); ctx.arc(x(last.t), y(last.overall), 4, 0, Math.PI * 2); ctx.fill();
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke();
  }
  ctx.restore();
  const m = s.last;
  $("chart").setAttribute("aria-label", m
    ? `Sentiment intensity over time; latest ${fmtSigned(m.intensity)} (${polarity(m.intensity).label}) at ${fmtClock(m.t_end)}`
    : "Sentiment intensity over time: no data yet");
}

// ---------- connection with automatic reconnect ----------
const conn = { ws: null, attempt: 0, timer: null, countdown: null, pingTimer: null, pongTimer: null, pingSentAt: null, pingId: 0, rtt: null, gotHello: false };
function setConn(stateName, text) {
  const box = $("conn");
  box.dataset.state = stateName;
  $("conn-text").textContent = text;
  $("retry-now").hidden = !(stateName === "reconnecting" || stateName === "offline");
}
function wsUrl() {
  const token = new URLSearchParams(location.search).get("token");
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}
function connect() {
  clearTimeout(conn.timer); clearInterval(conn.countdown);
  setConn("connecting", conn.attempt ? "Reconnecting…" : "Connecting…");
  let ws;
  try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
  conn.ws = ws; conn.gotHello = false;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    setConn("live", "Live");
    sendPing(); // round trip shown at once, then kept fresh
    conn.pingTimer = setInterval(sendPing, PING_EVERY_MS);
  };
  ws.onmessage = (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (!handleMessage(m, { first: !conn.gotHello })) return;
    if (m.type === "hello") { conn.gotHello = true; conn.attempt = 0; }
  };
  ws.onclose = (ev) => {
    clearInterval(conn.pingTimer); clearTimeout(conn.pongTimer); conn.pingSentAt = null;
    if (conn.ws !== ws) return;
    conn.ws = null;
    scheduleReconnect();
    // Never opened but the server answers HTTP: it refused us (token, origin or connection limit).
    if (!opened) {
      fetch("/healthz", { cache: "no-store" }).then((r) => {
        if (r.ok && !conn.ws) $("server-error").textContent =
          "The server refused the live connection: open the exact URL it printed (it carries the token).";
      }).catch(() => { /* server down: the retry countdown says enough */ });
    } else $("server-error").textContent = "";
  };
  ws.onerror = () => { /* onclose follows and schedules the retry */ };
}
function scheduleReconnect() {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** conn.attempt);
  const delay = base * (0.8 + Math.random() * 0.4); // jitter so many tabs do not reconnect in step
  conn.attempt += 1;
  const due = performance.now() + delay;
  // After a finished replay the server going away is expected: say so rather than sound an alarm.
  const finished = [...state.streams.values()].some((s) => s.status && s.status.state === "ended");
  const tick = () => {
    const secs = Math.max(1, Math.ceil((due - performance.now()) / 1000));
    setConn("reconnecting", finished ? `Server closed · retrying in ${secs} s` : `Reconnecting in ${secs} s`);
  };
  tick();
  conn.countdown = setInterval(tick, 500);
  conn.timer = setTimeout(connect, delay);
}
function sendPing() {
  const ws = conn.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || conn.pingSentAt !== null) return;
  conn.pingId += 1; conn.pingSentAt = performance.now();
  ws.send(JSON.stringify({ type: "ping", id: conn.pingId }));
  // A silent connection (sleeping laptop, dead proxy) is closed and retried rather than left stale.
  conn.pongTimer = setTimeout(() => { if (conn.ws === ws) ws.close(4000, "pong timeout"); }, PONG_TIMEOUT_MS);
}

// ---------- controls ----------
function initControls() {
  for (const b of document.querySelectorAll(".series-btn")) {
    b.addEventListener("click", () => {
      const k = b.dataset.series;
      state.visible[k] = !state.visible[k];
      b.setAttribute("aria-pressed", String(state.visible[k]));
      scheduleChart();
    });
  }
  for (const b of document.querySelectorAll(".range-btn")) {
    b.addEventListener("click", () => {
      state.range = Number(b.dataset.range);
      for (const o of document.querySelectorAll(".range-btn")) o.setAttribute("aria-pressed", String(o === b));
      scheduleChart();
    });
  }
  $("stream-select").addEventListener("change", (e) => selectStream(e.target.value));
  $("retry-now").addEventListener("click", () => { conn.attempt = 0; connect(); });
  initParticipants();
  window.addEventListener("resize", scheduleChart);
}

initControls();
renderAll();
// <body data-live="false">: a page that renders recorded messages (handleMessage) and opens no WebSocket
if (document.body.dataset.live !== "false") connect();
// Exposed for tests, for pages that replay a recorded timeline, and for debugging in the console.
window.streammsa = { state, conn, handleMessage, people };
