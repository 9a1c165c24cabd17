"""The engine loop: ready windows -> model -> readings and alerts -> sinks; late words -> revisions.

It waits until every active modality's worker has passed a window's end (or the stream has
ended), slices the caches, runs the model on all ready windows as one batch, turns each row
into a ``Reading``, lets the alert rules see it, and emits the reading and any alert events.

Readings go out on time, before the recogniser has committed every word inside their windows
(``--text-wait 0``). A reading emitted before that is not final: it stays open
(``monitor/revisions.py``) and, when committed words land inside its window, the model runs again
on that window with the new text and a revision goes out (same ``seq``, ``revision + 1``). Once
the text watermark passes the window's end the reading goes out one last time with ``final: true``
(re-run if words joined it, else the same numbers). Alerts are decided on first emissions only: a
revision never raises or clears one and carries the alerts of its first emission. In ``--fast``
mode text is waited for, so every reading is final at once and nothing is revised.

Participants mode (``--participants``): each room window is read once per participant stream
(``monitor/meeting.py`` slices that person's voice, words and face); a participant with no evidence in
a window gets no reading there. Room windows wait until the window's speakers are decided.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streammsa import MODALITIES, MODALITY_LABELS, log
from streammsa.engine import overall_reading, polarity_calibration
from streammsa.engine.alerts import AlertEngine
from streammsa.engine.confidence_fusion import fused_intensity, run_with_contributions, with_intensity
from streammsa.engine.evidence import EvidenceConfig
from streammsa.engine.inference import InferenceEngine
from streammsa.engine.readings import (
    SentencePiece,
    build_reading,
    pieces_reading,
    sentence_pieces,
    words_in_window,
)
from streammsa.engine.voice_baseline import VoiceBaseline
from streammsa.engine.windowing import Window, WindowInputs, slice_window
from streammsa.features.voice_states import speech_states
from streammsa.models.io import ModelOutput
from streammsa.models.voice_reader import MIN_STATES
from streammsa.monitor.graph import Graph
from streammsa.monitor.meeting import WORD_REACH_S
from streammsa.monitor.participant_words import ParticipantWords
from streammsa.monitor.revisions import REVISION_HORIZON_S, OpenReading, OpenReadings
from streammsa.protocol import Message, Reading

logger = log.get("monitor.loop")


@dataclass
class WindowsRead:
    """What the model said about a batch of windows: its output (overall readings fused by confidence),
    each window's modality confidences and the offsets of its modality readings."""

    out: ModelOutput
    confidence: list[dict[str, float | None]] = field(default_factory=list)
    offsets: list[dict[str, float]] = field(default_factory=list)
    own: list[dict[str, float]] = field(default_factory=list)  # readings by a modality's own reader (shown or not)
    head_offsets: list[dict[str, float]] = field(default_factory=list)  # of the model's heads (the voice's baseline)


class TextReadings:
    """The text reading of each window's words by the text reader (models/text_reader.py), each sentence piece
    (``engine/readings.sentence_pieces``) read once: a revision or a confirmation with the same words costs nothing.
    None when there is no reader or no words."""

    KEEP = 512  # sentence pieces remembered (several minutes of windows)

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self._seen: dict[str, float] = {}
        self._executor: ThreadPoolExecutor | None = None  # prefetch_async's, made on first use

    def of(self, pieces: Sequence[SentencePiece]) -> float | None:
        """The window's text reading: its sentence pieces' readings weighted by their words inside the window."""
        pieces = [p for p in pieces if p.text.strip()]
        if self.reader is None or not pieces:
            return None
        got = {p.text: self._seen[p.text] for p in pieces if p.text in self._seen}
        got.update(self._read_new([p.text for p in pieces if p.text not in got]))
        return pieces_reading(pieces, got)

    def prefetch(self, windows: Sequence[Sequence[SentencePiece]]) -> None:
        """Read the new pieces of many windows in one batch (windows read together: a --fast block, a revision of
        many windows), so that ``of`` then finds them read: the 34 texts of a 33-s clip's windows cost 0.17-0.20
        CPU-s in one batch against 0.39-0.45 one by one (one torch thread)."""
        if self.reader is not None:
            self._read_new([p.text for pieces in windows for p in pieces if p.text.strip()][: self.KEEP])

    def prefetch_async(self, windows: Sequence[Sequence[SentencePiece]]) -> Future[None] | None:
        """``prefetch`` on the reader's own thread (None when there is nothing to read); ``of`` may be called once
        the future is done."""
        if self.reader is None or not any(p.text.strip() for pieces in windows for p in pieces):
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="text-reader")
        return self._executor.submit(self.prefetch, windows)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _read_new(self, texts: Sequence[str]) -> dict[str, float]:
        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        got = dict(zip(new, (float(r) for r in self.reader.read(new)))) if new else {}
        for text, r in got.items():
            if len(self._seen) >= self.KEEP:
                self._seen.pop(next(iter(self._seen)))
            self._seen[text] = r
        return got


class StopRequested(Exception):
    """``Monitor.stop()`` was called: end like Ctrl-C (live sessions, tools, tests)."""


class EngineLoop:
    def __init__(
        self,
        graph: Graph,
        engine: InferenceEngine,
        alerts: AlertEngine,
        emit: Callable[[Message], None],
        on_reading: Callable[[Reading, int], None],
        revision_horizon_s: float = REVISION_HORIZON_S,
        on_alerts: Callable[[int], None] | None = None,
    ) -> None:
        self.graph = graph
        self.engine = engine
        self.alerts = alerts
        self.emit = emit
        self.on_reading = on_reading  # (reading, alert events it caused), first emissions: accounting, progress
        self.seq = 0
        self.model_s = 0.0  # busy seconds of windowing + model (the bench's stage breakdown)
        # paced and live runs emit before every word is in; --fast waits for the words (nothing to revise)
        self.revisable = graph.asr_worker is not None and not graph.config.fast
        self.open = OpenReadings(revision_horizon_s)
        self.baselines: dict[str, VoiceBaseline] = {}  # per stream: its speaker's usual voice
        self.revisions = 0  # revised readings sent (the model re-ran on new words)
        self.confirmations = 0  # final messages sent with unchanged numbers
        self._text_seen: tuple[int, int] | None = None
        self.meeting = graph.meeting  # participants mode: windows are read per participant
        self.participant_words = ParticipantWords(graph.meeting) if graph.meeting is not None else None
        self._participants: dict[str, Any] = {}  # stream -> ParticipantStream, as of the latest windows
        self._rooms: list[Window] = []  # room windows whose people may not all be decided yet
        self._read_windows: set[tuple[str, int]] = set()  # (participant stream, window index) already read
        self.on_alerts = on_alerts  # alert events decided after a reading's first emission (participants mode)
        self.text_readings = TextReadings(graph.text_reader)
        self.polarity = polarity_calibration.of_checkpoint(engine.meta)  # what the conflict signal reads
        self.overall = overall_reading.of_checkpoint(engine.meta)  # how the overall reading is made
        shown = graph.shown_sources
        for m in self.overall.shown_otherwise(shown):  # e.g. --face-reader head on a fit made with the face reader
            logger.warning(
                "the overall reading's %s weight was fitted with the %s's %s reading; this run shows the %s's "
                "(scripts/calibrate_alerts.py refits it for that choice)",
                MODALITY_LABELS[m],
                MODALITY_LABELS[m],
                self.overall.shown[m],
                shown[m],
            )

    def run(self, stop: threading.Event) -> None:
        """Until the stream has ended and every window is out; raises a worker's or capture's failure."""
        try:
            self._run(stop)
        finally:
            self.text_readings.close()

    def _run(self, stop: threading.Event) -> None:
        g = self.graph
        poll = g.config.workers.poll_s
        inputs_left = {"audio", "video"}  # what some capture may still deliver
        workers_ended = False
        while True:
            if stop.is_set():
                raise StopRequested()
            self.check_failures()
            for kind in list(inputs_left):
                # a stage ends once every capture of its input has ended (--fast's audio long before its video)
                if all(c.finished.is_set() for c in g.captures if g.delivers(c, kind)):
                    for w in g.workers_fed_by(kind):
                        w.end()
                    inputs_left.discard(kind)
            workers_ended = not inputs_left
            if workers_ended and not g.scheduler.ended and all(w.done.is_set() for w in g.workers):
                self.check_failures()
                g.scheduler.end(g.stream_end())
            windows = g.scheduler.ready()
            if windows:
                self.emit_windows(windows)  # first emissions first: their latency never waits for a revision
            self.revise()
            self.attribute_words()
            if not windows and g.scheduler.ended:
                self.finalize()
                self.attribute_words(done=True)
                return
            if not windows:
                time.sleep(poll)

    def check_failures(self) -> None:
        for w in self.graph.workers:
            if w.exception is not None:
                raise w.exception
        for c in self.graph.captures:
            c.check()

    # ---- first emissions ---------------------------------------------------------------------

    def emit_windows(self, windows: list[Window]) -> None:
        if not windows:
            return
        last = windows[-1]
        if self.meeting is not None:
            if self.revisable:  # people may be decided in these windows later
                self._rooms += windows
            windows = self._per_participant(windows)
        self._emit_first(windows)
        self._evict(last)

    def _emit_first(self, windows: list[Window]) -> None:
        if not windows:
            return
        g = self.graph
        text_final = self.text_final()  # read before slicing: a word committed before the mark is in the caches
        # what each open window read, before its inputs are sliced: a word committed in between is then
        # seen as new (one revision too many, never one too few)
        steps = {
            (w.stream, w.index): self._signature(w) for w in windows if self.revisable and w.t_end > text_final + 1e-9
        }
        inputs = self._slice_all(windows)
        words = g.asr_worker.committed_words() if g.asr_worker is not None else []  # every word the inputs hold
        read, pieces = self._read_with_texts(windows, inputs, words, first=True)
        now = time.monotonic()
        for i, w in enumerate(windows):
            transcript = self._transcript(w, words)
            latency = g.latency.latency_ms(w.t_end, now)
            reading = self._reading(
                read, i, w, self.seq, transcript, latency, final=(w.stream, w.index) not in steps, words_read=pieces[i]
            )  # fmt: skip
            self.seq += 1
            events = self._decide_alerts(reading)
            self.emit(reading)
            for ev in events:
                self.emit(ev)
            self.on_reading(reading, len(events))
            self.open.emitted(w.t_end)
            if not reading.final:
                self.open.add(OpenReading(w, reading, steps[(w.stream, w.index)], transcript))

    def _decide_alerts(self, reading: Reading) -> list:
        """Alerts are decided once per reading: on its first emission, or in participants mode on its first
        final message (before it, the reading may still lack the voice and words of its person)."""
        if self.meeting is not None and not reading.final:
            reading.alerts = self.alerts.active(reading.stream)
            return []
        events = self.alerts.update(reading)
        reading.alerts = self.alerts.active(reading.stream)
        return events

    # ---- revisions ---------------------------------------------------------------------------

    def revise(self) -> None:
        """Re-run the model on open windows that committed words (or decided voices) joined; send the ones now
        final; in participants mode, first readings of people decided only now in windows already read."""
        if not len(self.open) and not self._rooms:
            return
        text_final = self.text_final()  # first: every word committed before it is then in the caches
        key = self._text_key()
        changed = key != self._text_seen
        if not changed and not self.open.any_final(text_final):
            return  # the common case, every poll: nothing new
        self._text_seen = key
        if self.meeting is not None and changed:
            self._late_participants(text_final)
        self._update(text_final, look_for_words=changed)

    def finalize(self) -> None:
        """No more words will come (the stream ended or the run stops): send every open reading as final."""
        if self.meeting is not None:
            self._late_participants(math.inf)
        if len(self.open):
            self._update(math.inf, look_for_words=True)

    def text_final(self) -> float:
        """Stream time before which no more words can be committed (inf when nothing is revised); in
        participants mode also before which every voice is decided (words and voices can join until then)."""
        if not self.revisable or self.graph.asr_worker is None:
            return math.inf
        mark = float(getattr(self.graph.asr_worker, "text_final", math.inf))
        if self.meeting is not None and not self.graph.scheduler.ended:
            mark = min(mark, self.meeting.activity.final_until - WORD_REACH_S, self.meeting.waiting_since())
        return mark

    def _update(self, text_final: float, look_for_words: bool) -> None:
        g = self.graph
        words = g.asr_worker.committed_words() if (look_for_words and g.asr_worker is not None) else []
        to_run: list[tuple[OpenReading, bool, int, str]] = []
        to_confirm: list[OpenReading] = []
        if self.meeting is not None and look_for_words:
            self._participants = {p.stream: p for p in self.meeting.directory.streams()}
        for o in self.open:
            final = self.open.is_final(o, text_final)
            if look_for_words and (self.meeting is None or o.window.stream in self._participants):
                w = o.window  # (a participant merged into another keeps its readings as they stood)
                steps, transcript = self._signature(w), self._transcript(w, words)
                if steps != o.text_steps or transcript != o.transcript:
                    to_run.append((o, final, steps, transcript))
                    continue
            if final:
                to_confirm.append(o)
        now = time.monotonic()
        if to_run:
            windows = [o.window for o, *_ in to_run]
            read, pieces = self._read_with_texts(windows, self._slice_all(windows), words, first=False)
            now = time.monotonic()
            for i, (o, final, steps, transcript) in enumerate(to_run):
                w, first = o.window, o.reading
                reading = self._reading(
                    read,
                    i,
                    w,
                    first.seq,
                    transcript,
                    first.latency_ms,
                    alerts=first.alerts,
                    revision=first.revision + 1,
                    final=final,
                    update_latency_ms=g.latency.latency_ms(w.t_end, now),
                    words_read=pieces[i],
                )
                events = self._decide_alerts(reading) if final and self.meeting is not None else []
                self.emit(reading)
                self._emit_alerts(events)
                self.revisions += 1
                o.reading, o.text_steps, o.transcript = reading, steps, transcript
                if final:
                    self.open.close(o)
        for o in to_confirm:
            # nothing joined since the last message: the same numbers, now final
            w = o.window
            reading = dataclasses.replace(o.reading, final=True, update_latency_ms=g.latency.latency_ms(w.t_end, now))
            events = self._decide_alerts(reading) if self.meeting is not None else []
            self.emit(reading)
            self._emit_alerts(events)
            self.confirmations += 1
            self.open.close(o)

    # ---- participants ------------------------------------------------------------------------

    def _per_participant(self, windows: list[Window]) -> list[Window]:
        """Each room window once per participant stream that has any evidence in it (and was not read yet)."""
        assert self.meeting is not None
        self._participants = {p.stream: p for p in self.meeting.directory.streams()}
        out = []
        for w in windows:
            for stream in self._participants:
                if (stream, w.index) in self._read_windows:
                    continue
                pw = Window(stream, w.index, w.t_start, w.t_end)
                if any(self._slice(pw).present.values()):
                    out.append(pw)
                    self._read_windows.add((stream, w.index))
        return out

    def _late_participants(self, decided: float) -> None:
        """Room windows already read: people whose voice was decided (or who got a stream) only now get their
        first reading there; a room window is done once everything in it is decided."""
        if not self._rooms:
            return
        self._emit_first(self._per_participant(self._rooms))
        # (and past the revision horizon nobody is waited for: a stalled diarizer must not keep features forever)
        newest = self._rooms[-1].t_end
        self._rooms = [w for w in self._rooms if w.t_end > decided + 1e-9 and w.t_end >= newest - self.open.horizon_s]
        live = {w.index for w in self._rooms}
        self._read_windows = {k for k in self._read_windows if k[1] in live}

    def _emit_alerts(self, events: list) -> None:
        for ev in events:
            self.emit(ev)
        if events and self.on_alerts is not None:
            self.on_alerts(len(events))

    def attribute_words(self, done: bool = False) -> None:
        """Participants mode: committed words go out again on their speaker's stream once decided."""
        if self.participant_words is None or self.graph.asr_worker is None:
            return
        for ev in self.participant_words.take(self.graph.asr_worker.committed_words(), done):
            self.emit(ev)

    def _transcript(self, w: Window, words: list) -> str:
        return words_in_window(self._words_of(w, words), w.t_start, w.t_end)

    def _read_with_texts(
        self, windows: list[Window], inputs: list[WindowInputs], words: list, first: bool
    ) -> tuple[WindowsRead, list[list[SentencePiece]]]:
        """``_read`` of the windows' sliced inputs, and each window's sentence pieces (``_words_read``); the pieces of
        windows whose text is present are read by the text reader on its own thread while the model runs on this one
        (two models side by side: at the end of a --fast replay nothing else is left to use the second core)."""
        t0 = time.perf_counter()
        pieces = [self._words_read(w, words) for w in windows]
        with_text = [p for p, x in zip(pieces, inputs) if x.present["text"]]
        reading = self.text_readings.prefetch_async(with_text)
        read = self._read(windows, inputs, first)
        if reading is not None:
            reading.result()
        self.model_s += time.perf_counter() - t0  # the text reader is part of reading a window
        return read, pieces

    def _words_read(self, w: Window, words: list) -> list[SentencePiece]:
        """What the text reader reads for the window: its words by sentence, with the start of the first one."""
        return sentence_pieces(self._words_of(w, words), w.t_start, w.t_end)

    def _words_of(self, w: Window, words: list) -> list:
        if self.meeting is not None:  # a participant's own words
            p = self._participants.get(w.stream)
            return self.meeting.words_of(p.voice if p is not None else None, words)
        return words

    # ---- helpers -----------------------------------------------------------------------------

    def _caches(self, window: Window) -> dict[str, Any]:
        if self.meeting is None:
            return self.graph.caches
        p = self._participants.get(window.stream)
        return self.meeting.caches_for(p, self.graph.caches) if p is not None else {}

    def _slice(self, window: Window) -> WindowInputs:
        return slice_window(window, self._caches(window), self.engine.spec)

    def _slice_all(self, windows: list[Window]) -> list[WindowInputs]:
        t0 = time.perf_counter()
        inputs = [self._slice(w) for w in windows]
        self.model_s += time.perf_counter() - t0  # windowing is part of the stage's busy seconds
        return inputs

    def _read(self, windows: list[Window], inputs: list[WindowInputs], first: bool) -> WindowsRead:
        """Run the model on the windows' sliced inputs, each modality counting by its confidence
        (engine/confidence_fusion.py) and the voice read against its speaker's baseline (engine/voice_baseline.py)."""
        (voice, typical), face = self._voice_readings(windows, inputs), self._face_readings(windows, inputs)
        # a contribution is needed only where it changes the reading: a modality counted below full
        # confidence, and the voice (read against its speaker's baseline)
        needed = [
            [m for m in MODALITIES if m == "audio" or (x.confidence.get(m) is not None and x.confidence[m] < 1.0)]
            for x in inputs
        ]
        out, contrib = run_with_contributions(self.engine, inputs, needed)
        read = WindowsRead(out)
        fused: list[float] = []
        for i, (w, x) in enumerate(zip(windows, inputs)):
            base = self.baselines.setdefault(w.stream, VoiceBaseline())
            d = {m: float(contrib[m][i]) for m in MODALITIES}
            evidence = x.confidence.get("audio")
            head = float(out.modality_intensity[i, 1])
            heard = head if voice[i] is None else voice[i]
            if first and x.present["audio"]:  # once per window, in order: replays and live runs read alike
                base.update(heard, d["audio"], 1.0 if evidence is None else evidence, head, typical[i])
            conf = dict(x.confidence)
            if conf.get("audio") is not None:  # a voice counts as much as it is heard, known and typical
                conf["audio"] = float(conf["audio"]) * base.familiarity() * base.typicality()  # type: ignore[arg-type]
            fused.append(fused_intensity(float(out.intensity[i]), d, conf, {"audio": base.contribution_offset()}))
            read.confidence.append(conf)
            read.offsets.append({"audio": base.reading_offset()})
            read.head_offsets.append({"audio": base.head_offset()})
            own = {"audio": voice[i], "vision": face[i]}
            read.own.append({m: r for m, r in own.items() if r is not None})
        read.out = with_intensity(out, fused)
        return read

    def _voice_readings(
        self, windows: list[Window], inputs: list[WindowInputs]
    ) -> tuple[list[float | None], list[float]]:
        """The voice reader's reading of each window with a voice (None: no reader, no voice, too little of it), and
        how typical the window's voice is of the reader's training windows (``models/typicality.py``; 1 where it
        was not read)."""
        reader = self.graph.voice_reader
        if reader is None:
            return [None] * len(windows), [1.0] * len(windows)
        threshold = EvidenceConfig().speech_threshold  # the states heard while someone speaks (as in its training)
        rows = []
        for w, x in zip(windows, inputs):
            caches = self._caches(w)
            states, speech = caches.get("voice_states"), caches.get("speech")
            if not x.present["audio"] or states is None or speech is None:
                rows.append(np.zeros((0, 0), np.float32))
                continue
            times, values = states.slice(w.t_start, w.t_end)
            speech_times, probs = speech.slice(w.t_start, w.t_end)
            heard = speech_states(times, values, speech_times, probs[:, 0], threshold)
            # a voice is present from 0.3 s of speech (engine/evidence.py), the reader pools from 0.5 s: between
            # the two it reads the whole window, so a present voice is always read on the reader's scale
            rows.append(heard if len(heard) >= MIN_STATES else values)
        read, typical = reader.read_with_typicality(rows)
        return [None if np.isnan(r) else float(r) for r in read], [1.0 if np.isnan(t) else float(t) for t in typical]

    def _face_readings(self, windows: list[Window], inputs: list[WindowInputs]) -> list[float | None]:
        """The face reader's reading of each window with a face (None: no reader, no face)."""
        reader = self.graph.face_reader
        if reader is None:
            return [None] * len(windows)
        # the window's own face frames, back to raw features (the vision cache is sliced once per window)
        spec = self.engine.spec["vision"]
        rows = [spec.denormalise(x.features["vision"]) for x in inputs]
        return [None if np.isnan(r) else float(r) for r in reader.read(rows)]

    def _reading(
        self,
        read: WindowsRead,
        i: int,
        w: Window,
        seq: int,
        transcript: str,
        latency_ms: float,
        words_read: list[SentencePiece],
        **extra: Any,
    ) -> Reading:
        """``words_read``: what the text reader reads (``_words_read``)."""
        t0 = time.perf_counter()
        text = self.text_readings.of(words_read) if bool(read.out.present[i, MODALITIES.index("text")]) else None
        self.model_s += time.perf_counter() - t0  # the text reader is part of reading a window
        own = read.own[i] if text is None else {**read.own[i], "text": text}
        shown = {m: r for m, r in own.items() if m != "vision" or self.graph.face_shown}
        # each modality's reader and the model's head, compared as the reading shown is, for the polarity calibration
        present = read.out.present[i].tolist()
        sources = {
            m: {"head": float(read.out.modality_intensity[i, j]) - read.head_offsets[i].get(m, 0.0)}
            for j, m in enumerate(MODALITIES)
            if present[j]
        }
        for m, r in own.items():
            if m in sources:
                sources[m]["reader"] = r - read.offsets[i].get(m, 0.0) if m in shown else r
        return build_reading(
            read.out,
            i,
            stream=w.stream,
            seq=seq,
            t_start=w.t_start,
            t_end=w.t_end,
            transcript=transcript,
            latency_ms=latency_ms,
            model=self.engine.name,
            trained=self.engine.trained,
            confidence=read.confidence[i],
            offsets=read.offsets[i],
            own=shown,
            sources=sources,
            polarity=self.polarity,
            overall=self.overall,
            **extra,
        )

    def _signature(self, window: Window) -> tuple:
        """What may still change in a window's inputs: its text tokens; in participants mode also its person's
        decided voice frames and face track."""
        caches = self._caches(window)
        steps = tuple(
            0 if caches.get(m) is None else len(caches[m].slice(window.t_start, window.t_end)[0])
            for m in (("text", "audio") if self.meeting is not None else ("text",))
        )
        p = self._participants.get(window.stream) if self.meeting is not None else None
        return steps + ((p.voice, p.face) if p is not None else ())

    def _text_key(self) -> tuple:
        """Changes whenever a segment is committed to the text cache or words to the transcript (or, in
        participants mode, more voices are decided)."""
        g = self.graph
        cache = g.caches.get("text")
        encoded = int(getattr(cache, "encoded", 0)) if cache is not None else 0
        decided = (self.meeting.activity.frames, self.meeting.directory.version) if self.meeting is not None else ()
        return encoded, len(g.asr_worker.words) if g.asr_worker is not None else 0, decided

    def _evict(self, last: Window) -> None:
        # no later window starts before the next one's start, and an open reading may be revised:
        # features before both are done with
        spec = self.engine.spec
        # (the stream's last window may end only min_tail_s after this one, not a whole hop)
        keep_from = last.t_end + min(spec.hop_s, self.graph.scheduler.min_tail_s) - spec.window_s
        oldest = min(
            (t for t in (self.open.oldest_start, self._rooms[0].t_start if self._rooms else None) if t is not None),
            default=None,
        )
        if oldest is not None:
            keep_from = min(keep_from, oldest)
        for name, cache in self.graph.caches.items():
            if name != "text" and cache is not None:  # the text cache keeps segments; it evicts by horizon
                cache.evict_before(keep_from)
        if self.meeting is not None:
            self.meeting.evict_before(keep_from)
