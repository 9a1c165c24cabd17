"""The monitor's data flow, wired in one place. Read ``wire`` top to bottom:

    capture threads ──packets──> route() ─┬─> AudioFeatureWorker ──> audio cache ──┐
                                          ├─> VoiceActivityWorker ─> speech cache ─┤
                                          ├─> VoiceStatesWorker ─> voice_states ───┤
                                          ├─> AsrWorker ──words──> text cache ─────┼─> WindowScheduler
                                          └─> VisionFeatureWorker ─> vision cache ──┘   (watermarks)

Each worker computes features once per packet, appends them to its modality's cache and
advances that modality's watermark; the engine loop (``monitor/loop.py``) takes the windows
every active modality has passed, slices the caches and runs the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streammsa import MODALITIES
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.packets import AudioChunk, Packet, VideoFrame
from streammsa.capture.source import Source
from streammsa.engine.windowing import WindowScheduler
from streammsa.features.cache import FeatureCache, TextSegmentCache
from streammsa.features.vision import RateGate, analysed_fps
from streammsa.features.voice_activity import VoiceActivity
from streammsa.monitor.components import Components
from streammsa.monitor.config import MonitorConfig
from streammsa.monitor.latency import LatencyClock
from streammsa.monitor.meeting import Meeting
from streammsa.monitor.workers import (
    AsrWorker,
    AudioFeatureWorker,
    QueueWorker,
    VisionFeatureWorker,
    VoiceActivityWorker,
    VoiceStatesWorker,
)
from streammsa.protocol import Message, StatusEvent

# The loop evicts what no future window can need (everything before the next window's start).
# The caches' own horizon is only a backstop: it must exceed how far a producer can run ahead
# of the emitted windows (a --fast replay waits up to ~90 s for batch ASR text).
CACHE_HORIZON_S = 600.0
# --fast reads the voice states of this much audio at once (shared encoder passes; its windows wait for words)
FAST_VOICE_STATES_HOLD_S = 8.0


@dataclass
class Graph:
    """Everything one run wires: the scheduler, one cache and worker per modality, the capture threads."""

    config: MonitorConfig
    sources: list[Source]
    scheduler: WindowScheduler
    latency: LatencyClock
    caches: dict[str, Any] = field(default_factory=lambda: {m: None for m in MODALITIES})
    audio_worker: AudioFeatureWorker | None = None
    speech_worker: VoiceActivityWorker | None = None
    voice_states_worker: VoiceStatesWorker | None = None
    asr_worker: AsrWorker | None = None
    vision_worker: VisionFeatureWorker | None = None
    # participants mode: who speaks, every face (replaces vision_worker), the participant streams
    speakers_worker: QueueWorker | None = None
    faces_worker: VisionFeatureWorker | None = None
    meeting: Meeting | None = None
    text_reader: Any = None  # the text reading's model (Components.text_reader; None: the fusion model's head)
    voice_reader: Any = None  # the voice reading's model (Components.voice_reader; None: the fusion model's head)
    face_reader: Any = None  # the face reader (Components.face_reader; None: no video, or not loaded)
    shown_sources: dict[str, str] = field(default_factory=dict)  # Components.shown_sources: "reader" or "head"
    captures: list[CaptureThread] = field(default_factory=list)
    last_video_t: float | None = None

    @property
    def face_shown(self) -> bool:
        """The face reader's reading is shown (--face-reader), not the fusion model's face head."""
        return self.shown_sources.get("vision") == "reader"

    def workers_fed_by(self, kind: str) -> list[QueueWorker]:
        """The workers fed by the captures' ``kind`` ("audio" or "video") packets."""
        audio = (self.audio_worker, self.speech_worker, self.voice_states_worker, self.asr_worker, self.speakers_worker)
        video = (self.vision_worker, self.faces_worker)
        return [w for w in (audio if kind == "audio" else video) if w is not None]

    @staticmethod
    def delivers(capture: CaptureThread, kind: str) -> bool:
        return bool(capture.source.has_audio if kind == "audio" else capture.source.has_video)

    @property
    def workers(self) -> list[QueueWorker]:
        return self.workers_fed_by("audio") + self.workers_fed_by("video")

    @property
    def face_worker(self) -> VisionFeatureWorker | None:
        """The worker that analyses frames: the single-face one, or the participants one."""
        return self.vision_worker or self.faces_worker

    # ---- capture -> workers ------------------------------------------------------------------

    def route(self, pkt: Packet) -> None:
        """Runs on a capture thread: only hand packets over, never compute here."""
        if isinstance(pkt, AudioChunk):
            assert self.audio_worker is not None and self.asr_worker is not None
            self.audio_worker.put(pkt)
            if self.speech_worker is not None:
                self.speech_worker.put(pkt)
            if self.voice_states_worker is not None:
                self.voice_states_worker.put(pkt)
            self.asr_worker.put(pkt)
            if self.speakers_worker is not None:
                self.speakers_worker.put(pkt)
            self.latency.observe(pkt.t_end)
            if not self.config.fast:
                # the text wait bound lives here, not in the ASR thread: a decode in progress must not
                # hold readings back longer than --text-wait (words committed later revise the readings
                # of their windows: monitor/loop.py)
                self.scheduler.advance("text", pkt.t_end - self.config.workers.text_max_lag_s)
        elif isinstance(pkt, VideoFrame):
            if self.face_worker is not None:
                self.face_worker.put(pkt)
            self.last_video_t = pkt.t if self.last_video_t is None else max(self.last_video_t, pkt.t)
            self.latency.observe(pkt.t)

    def stream_now(self, default: float) -> float:
        """Where the stream is now: the replay pacing's clock, or a live device's clock."""
        for c in self.captures:
            t = c.pacer.stream_now()
            if t is not None:
                return t
        for src in self.sources:
            clock = getattr(src, "clock", None)
            if src.is_live and clock is not None and clock.started:
                return clock.now()
        return default

    def stream_end(self) -> float:
        """How far the stream got: the end of the last audio or video packet."""
        ends = [0.0]
        if self.audio_worker is not None:
            ends.append(self.audio_worker.t_end)
        if self.last_video_t is not None:
            fps = next((s.fps for s in self.sources if getattr(s, "fps", None)), None) or 25.0
            ends.append(self.last_video_t + 1.0 / fps)
        return max(ends)

    def drops(self) -> dict[str, int]:
        """What live back-pressure dropped so far (the status message shows it)."""
        return {"frames": self.face_worker.dropped} if self.face_worker is not None else {}


def wire(
    config: MonitorConfig,
    sources: Sequence[Source],
    components: Components,
    emit: Callable[[Message], None],
    on_status: Callable[[StatusEvent], None],
    captures: Sequence[CaptureThread] = (),
) -> Graph:
    """``captures``: capture threads already playing some of ``sources`` (started held: ``CaptureThread.start``);
    the others get theirs here. ``Monitor.run`` starts them all, which hands over what the held ones kept."""
    spec, wc = components.engine.spec, config.workers
    has_audio = any(s.has_audio for s in sources)
    has_video = any(s.has_video for s in sources)

    # windows: a modality this stream can never produce never holds a window back
    # ("speech": the voice-activity track, which decides whether a window's voice carries evidence)
    # ("voice_states": the Whisper encoder's states, which the voice reader reads)
    reads_voice = has_audio and components.voice_reader is not None
    active = (["text", "audio", "speech"] if has_audio else []) + (["vision"] if has_video else [])
    active += ["voice_states"] if reads_voice else []
    meeting = config.participants is not None
    if meeting and has_audio and config.fast:
        # --fast decides who spoke after hearing the whole file: its windows wait for that (paced and live runs
        # read windows on time and revise them as voices are decided: monitor/loop.py)
        active += ["speakers", "people"]
    scheduler = WindowScheduler(config.stream, spec.window_s, spec.hop_s, active=active)
    graph = Graph(config=config, sources=list(sources), scheduler=scheduler, latency=LatencyClock())
    graph.text_reader = components.text_reader
    graph.voice_reader = components.voice_reader if reads_voice else None
    graph.face_reader = components.face_reader if has_video else None
    graph.shown_sources = components.shown_sources
    # capture threads feed the workers (paced replay, --fast, or a live device's own pace)
    playing = {id(c.source): c for c in captures}
    speed = None if config.fast else config.speed
    for src in sources:
        capture = playing.get(id(src)) or CaptureThread(src, speed=speed, stream=config.stream)
        capture.on_packet, capture.on_status = graph.route, on_status
        graph.captures.append(capture)

    audio_queue = wc.audio_queue_packets(config.fast)
    if has_audio:
        # audio -> per-hop voice features
        graph.caches["audio"] = FeatureCache(spec.audio.dim, CACHE_HORIZON_S, name="audio")
        graph.audio_worker = AudioFeatureWorker(
            components.audio_extractor, graph.caches["audio"], scheduler, audio_queue
        )
        # audio -> speech probability per 32 ms: a voice is read only where someone speaks
        graph.caches["speech"] = FeatureCache(1, CACHE_HORIZON_S, name="speech")
        vad = components.voice_activity or VoiceActivity()
        graph.speech_worker = VoiceActivityWorker(vad, graph.caches["speech"], scheduler, audio_queue)
        if reads_voice:
            # audio -> Whisper encoder states every 20 ms: what the voice reading reads
            dim = components.voice_states_dim or components.voice_states.dim
            graph.caches["voice_states"] = FeatureCache(dim, CACHE_HORIZON_S, name="voice_states")
            graph.voice_states_worker = VoiceStatesWorker(
                components.voice_states,
                graph.caches["voice_states"],
                scheduler,
                audio_queue,
                hold_s=FAST_VOICE_STATES_HOLD_S if config.fast else 0.0,
            )
        # audio -> recogniser -> committed words -> token features (each segment encoded once)
        graph.caches["text"] = TextSegmentCache(components.text_encoder, spec.text.dim, CACHE_HORIZON_S)
        recogniser = _recogniser(config, components, graph)
        graph.asr_worker = AsrWorker(
            recogniser,
            graph.caches["text"],
            scheduler,
            emit,
            config.stream,
            wc.text_max_lag_s,
            audio_queue,
            streaming=not config.fast,
        )
    if meeting and (has_audio or has_video):
        # audio + frames -> speakers, face tracks, pairs -> the participant streams (monitor/meeting.py)
        from streammsa.monitor.participants_setup import participant_workers

        graph.meeting = Meeting(
            horizon_s=CACHE_HORIZON_S, has_video=has_video, voices_wait_for_pairing=config.fast and has_video
        )
        graph.speakers_worker, graph.faces_worker = participant_workers(
            config, components, graph.meeting, scheduler, emit, has_audio, has_video, graph.captures
        )
    elif has_video:
        # frames -> face features at the extractor's rate
        graph.caches["vision"] = FeatureCache(spec.vision.dim, CACHE_HORIZON_S, name="vision")
        # (and whether each analysed frame had a face: the face's evidence in a window)
        graph.caches["face_checks"] = FeatureCache(1, CACHE_HORIZON_S, name="face_checks")
        face = components.face_extractor_factory()
        model_fps, stride = analysed_fps(spec.vision), config.analysed_face_stride
        for capture in graph.captures:
            capture.filter_frames(RateGate(model_fps / stride))  # a file converts only the frames the run analyses
        graph.vision_worker = VisionFeatureWorker(
            face,
            graph.caches["vision"],
            scheduler,
            wc.queue_packets,
            live=config.live,
            checks=graph.caches["face_checks"],
            slots=stride,
            slot_s=1.0 / model_fps,
        )
    return graph


def _recogniser(config: MonitorConfig, components: Components, graph: Graph) -> Any:
    # --fast: Whisper decodes long blocks once (fastest, word timestamps, no partials); live/paced: the
    # --asr-engine recogniser (default Moonshine on speech segments, which keeps up on 2 cores)
    # (a --fast meeting decodes each speech segment on its own: asr/engines.py says why)
    processor = components.asr_backend.recogniser(config.fast, config.online_asr, config.participants is not None)
    if not config.fast:
        # commit times on the stream clock *including* decode time, so commit latency is honest
        processor.clock = lambda p=processor: graph.stream_now(default=p.audio_end)
    return processor
