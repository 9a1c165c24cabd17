// streammsa dashboard: the Participants panel (protocol v3, `--participants`: each person of a meeting
// is its own stream, announced by `participant` messages). Loaded before app.js: the functions here use
// app.js's helpers and state (el, $, fmtSigned, polarity, state, stream, selectStream, invalidate, conn,
// refreshStreamPicker) when they are called, and app.js calls in through the ones marked "hook".
"use strict";

const NAME_MAX = 40; // characters, as the server counts them (streammsa/server/rename.py)
const HEARD = [["text", "Words"], ["audio", "Voice"], ["vision", "Face"]];
// errors the server answers a `rename` with: the name typed was not taken
const RENAME_ERRORS = new Set(["rename_unavailable", "unknown_participant", "invalid_name", "rename_failed"]);

// byId: stream id -> { id, msg: latest participant message, pending: a name sent but not confirmed yet,
// row: the table row's parts }, in the order people joined. Rows are updated in place, never rebuilt, so a
// name being typed survives the readings that keep arriving.
const people = { on: false, byId: new Map(), editing: null };

function peopleEditable() { return document.body.dataset.live !== "false"; } // a recorded report is read-only

// ---------- hooks for app.js ----------
function participantsMode(on) { people.on = on || people.byId.size > 0; invalidate("participants"); }
function resetParticipants() {
  people.on = false; people.byId.clear(); people.editing = null;
  $("participants-rows").replaceChildren();
}
function isParticipant(id) { return people.byId.has(id); }
// The name a stream goes by: a participant's latest name, "Room" for the room stream of a meeting, else null.
function participantLabel(id) {
  const p = people.byId.get(id);
  if (p) return p.pending !== null ? p.pending : p.msg.name || p.id;
  const room = people.on && state.hello && (state.hello.streams || []).includes(id);
  return room ? "Room" : null;
}
// The room stream's latest status (the first stream the hello names), which speaks for the people in it.
function roomStatus() {
  const id = people.on && state.hello && (state.hello.streams || [])[0];
  const room = id ? state.streams.get(id) : null;
  return room ? room.status : null;
}
function participantMessage(m) {
  if (typeof m.stream !== "string" || !m.stream) return;
  const known = people.byId.get(m.stream);
  if (known) known.msg = m;
  else people.byId.set(m.stream, { id: m.stream, msg: m, pending: null, row: null });
  const p = people.byId.get(m.stream);
  // the server's word on a name we sent (or anyone's rename after it) replaces the local guess
  if (p.pending !== null && (m.state === "renamed" || m.name === p.pending)) p.pending = null;
  people.on = true;
  stream(m.stream); // the stream picker lists the person even before their first reading
  refreshStreamPicker();
  invalidate("participants", "alerts", "streamState");
}
function participantError(m) {
  if (!RENAME_ERRORS.has(m.code)) return;
  for (const p of people.byId.values()) p.pending = null; // the typed name did not take: show the real one
  refreshStreamPicker();
  invalidate("participants", "alerts", "streamState");
}

// ---------- rendering ----------
function renderParticipants() {
  const panel = $("participants");
  panel.hidden = !people.on;
  $("main").dataset.participants = String(people.on);
  if (!people.on) return;
  const tbody = $("participants-rows");
  for (const p of people.byId.values()) {
    if (!p.row) { p.row = buildRow(p); tbody.append(p.row.tr); }
    updateRow(p);
  }
  const here = [...people.byId.values()].filter((p) => p.msg.state !== "left").length;
  $("participants-count").textContent = here === people.byId.size ? String(here) : `${here} of ${people.byId.size} here`;
  $("participants-empty").hidden = people.byId.size > 0;
}

function buildRow(p) {
  const name = el("span", { class: "person-name", "data-testid": "participant-name" });
  const pencil = el("button", { type: "button", class: "pencil", "data-testid": "participant-rename" },
    el("span", { "aria-hidden": "true", text: "✎" }));
  pencil.hidden = !peopleEditable();
  const nameBox = el("div", { class: "person-name-box" }, name, pencil);
  const status = el("span", { class: "person-state", "data-testid": "participant-state" });
  const value = el("span", { class: "person-value", "data-testid": "participant-intensity" });
  const fill = el("span", { class: "mini-fill" });
  const meter = el("span", { class: "mini-bar", role: "meter", "aria-valuemin": "-3", "aria-valuemax": "3" },
    el("span", { class: "mini-zero" }), fill);
  const heard = el("div", { class: "heard-list", "data-testid": "participant-heard" });
  const alerts = el("span", { class: "count", "data-testid": "participant-alerts" });
  const tr = el("tr", { class: "person", tabindex: "0", "data-testid": "participant-row", dataset: { stream: p.id } },
    el("td", {}, nameBox), el("td", {}, status), el("td", {}, el("div", { class: "person-intensity" }, value, meter)),
    el("td", {}, heard), el("td", { class: "num" }, alerts));
  return { tr, nameBox, name, pencil, status, value, fill, meter, heard, alerts, input: null };
}

function updateRow(p) {
  const r = p.row, s = state.streams.get(p.id), m = s && s.last;
  const label = participantLabel(p.id);
  r.tr.dataset.state = p.msg.state === "left" ? "left" : "here";
  if (p.id === state.current) r.tr.setAttribute("aria-current", "true"); else r.tr.removeAttribute("aria-current");
  r.tr.title = `${label} (${p.id}): click to show their readings`;
  r.name.textContent = label;
  r.name.dataset.pending = String(p.pending !== null);
  r.pencil.setAttribute("aria-label", `Rename ${label}`);
  const st = personState(p, s);
  r.status.textContent = st;
  r.status.dataset.state = st;
  // overall intensity, coloured by polarity like the Now card
  const pol = polarity(m ? m.intensity : null);
  r.value.textContent = m ? fmtSigned(m.intensity) : "—";
  r.value.dataset.polarity = pol.key;
  r.meter.dataset.polarity = pol.key;
  const v = m ? Math.max(-3, Math.min(3, m.intensity)) : 0;
  r.fill.style.left = `${50 + Math.min(0, v) / 6 * 100}%`;
  r.fill.style.width = `${Math.abs(v) / 6 * 100}%`;
  if (m) r.meter.setAttribute("aria-valuenow", String(m.intensity)); else r.meter.removeAttribute("aria-valuenow");
  r.meter.setAttribute("aria-label", `Overall intensity of ${label}: ${m ? pol.label : "no reading yet"}`);
  // which modalities the latest reading heard, with how much evidence each had
  const chips = HEARD.filter(([k]) => m && m.modalities && m.modalities[k] && m.modalities[k].present).map(([k, word]) => {
    const c = m.modalities[k].confidence;
    return el("span", { class: `heard s-${k}`, "data-testid": `participant-heard-${k}`, title: `${LABELS[k]} confidence` },
      el("span", { class: "swatch" }), word, c === null || c === undefined ? null : el("b", { text: c.toFixed(2) }));
  });
  r.heard.replaceChildren(...(chips.length ? chips : [el("span", { class: "heard-none", text: m ? "nothing" : "—" })]));
  const active = s ? s.alerts.size : 0;
  r.alerts.textContent = String(active);
  r.alerts.dataset.active = String(active > 0);
  r.alerts.title = `${active} active alert${active === 1 ? "" : "s"}`;
}

// speaking: their voice is in the latest reading; listening: present but not heard; left: gone for a while
function personState(p, s) {
  if (p.msg.state === "left") return "left";
  const voice = s && s.last && s.last.modalities && s.last.modalities.audio;
  return voice && voice.present ? "speaking" : "listening";
}

// ---------- renaming ----------
function startRename(id) {
  const p = people.byId.get(id);
  if (!p || !p.row || !peopleEditable() || people.editing === id) return;
  if (people.editing !== null) finishRename(people.editing, true);
  const r = p.row;
  r.input = el("input", { type: "text", class: "person-input", "data-testid": "participant-name-input",
    maxlength: String(NAME_MAX), "aria-label": `New name for ${participantLabel(id)}`, spellcheck: "false" });
  r.input.value = participantLabel(id);
  r.input.addEventListener("keydown", (e) => {
    e.stopPropagation(); // Enter/Space here are typing, not "select this row"
    if (e.key === "Enter") { e.preventDefault(); finishRename(id, true); r.tr.focus(); }
    else if (e.key === "Escape") { e.preventDefault(); finishRename(id, false); r.tr.focus(); }
  });
  r.input.addEventListener("blur", () => finishRename(id, true));
  r.nameBox.replaceChildren(r.input);
  people.editing = id;
  r.input.focus();
  r.input.select();
}

function finishRename(id, save) {
  if (people.editing !== id) return; // Enter already finished it; the blur that follows is a no-op
  people.editing = null;
  const p = people.byId.get(id), r = p.row;
  const name = r.input.value.trim();
  r.nameBox.replaceChildren(r.name, r.pencil);
  r.input = null;
  if (save && name !== participantLabel(id)) {
    const problem = nameProblem(name);
    if (problem) $("server-error").textContent = problem;
    else if (sendRename(id, name)) {
      p.pending = name; // shown at once; the server's "renamed" message confirms it
      refreshStreamPicker();
      invalidate("alerts", "streamState");
    }
  }
  updateRow(p);
}

function nameProblem(name) {
  if (!name) return "A name cannot be empty.";
  if ([...name].length > NAME_MAX) return `A name has at most ${NAME_MAX} characters.`;
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return "A name may hold printable characters only.";
  return null;
}

function sendRename(id, name) {
  const ws = conn.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    $("server-error").textContent = "Not connected: the name was not changed.";
    return false;
  }
  ws.send(JSON.stringify({ type: "rename", stream: id, name }));
  $("server-error").textContent = "";
  return true;
}

// ---------- controls ----------
function initParticipants() {
  if (!peopleEditable()) $("participants-hint").textContent = "Click a person to show their readings below.";
  const tbody = $("participants-rows");
  const rowOf = (e) => e.target.closest("tr.person");
  tbody.addEventListener("click", (e) => {
    const tr = rowOf(e);
    if (!tr || e.target.closest(".person-input")) return;
    const id = tr.dataset.stream;
    if (state.current !== id) selectStream(id);
    // the name itself and the pencil open the editor (a report only selects)
    if (e.target.closest(".pencil, .person-name")) startRename(id);
  });
  tbody.addEventListener("keydown", (e) => {
    const tr = rowOf(e);
    if (!tr || e.target !== tr) return;
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); selectStream(tr.dataset.stream); }
    else if (e.key === "F2") { e.preventDefault(); startRename(tr.dataset.stream); }
  });
}
