"""The Python API: a monitor on a file, a network stream, a camera or media a program pushes.

``open_file`` / ``open_url`` / ``open_camera`` / ``open_push`` load the models (errors such as a
missing file or checkpoint are raised there, as one line) and return a ``Session``, not yet
running. A session runs the monitor on a background thread once started (``start()``, ``with``,
iterating it, ``wait()``, or the first ``feed_*``). Every message is one of the protocol's
classes (``streammsa.protocol``: ``Hello``, ``Reading``, ``TranscriptEvent``, ``AlertEvent``,
``StatusEvent``), the same the dashboard receives and ``timeline.jsonl`` records::

    import streammsa

    with streammsa.open_file("meeting.mp4", fast=True) as session:
        for message in session:                      # until the run ends
            if isinstance(message, streammsa.Reading):
                print(message.t_end, message.intensity, message.transcript)

Callbacks (``session.on("alert", fn)``) run on the monitor's thread for each message of their
kind emitted after they were registered: keep them short. One that raises stops the run (as
Ctrl-C would: what is ready is emitted and recorded) and ``wait()`` raises its exception.
Leaving a ``with`` block stops a run still going; ``wait()`` or iterating first lets it finish.
See docs/api.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streammsa.errors import UsageError
from streammsa.session import Session

if TYPE_CHECKING:  # the pipeline (torch, PyAV, ...) loads when a session is opened, not on import
    from streammsa.capture.push import PushSource
    from streammsa.capture.source import Source
    from streammsa.monitor import Components, DashboardConfig, MonitorConfig


def _config(
    config: MonitorConfig | None,
    *,
    speed: float | None,
    live: bool,
    out_dir: str | Path | None,
    dashboard: bool | DashboardConfig | None,
    stream: str | None,
    model: str | None,
    checkpoint: str | Path | None,
    device: str | None,
    untrained: bool | None,
    participants: int | str | None = None,
) -> MonitorConfig:
    """``config`` (or the API's defaults: no recording, no dashboard, no progress bar) with the given fields."""
    from streammsa.monitor import DashboardConfig, MonitorConfig

    base = config or MonitorConfig(progress=False, dashboard=DashboardConfig(enabled=False))
    engine_fields = {"model": model, "device": device, "untrained": untrained}
    engine_fields = {k: v for k, v in engine_fields.items() if v is not None}
    if checkpoint is not None:
        engine_fields["checkpoint"] = Path(checkpoint)
    fields: dict[str, Any] = {"speed": speed, "live": live, "engine": dataclasses.replace(base.engine, **engine_fields)}
    if out_dir is not None:
        fields["out_dir"] = Path(out_dir)
    if dashboard is not None:
        as_config = isinstance(dashboard, DashboardConfig)
        fields["dashboard"] = dashboard if as_config else DashboardConfig(enabled=bool(dashboard))
    if stream is not None:
        fields["stream"] = stream
    if participants is not None:  # a meeting: each person their own stream (N expected, or "auto")
        fields["participants"] = 0 if participants == "auto" else int(participants)
    return dataclasses.replace(base, **fields)


def _session(
    sources: Sequence[Source],
    cfg: MonitorConfig,
    components: Components | None,
    name: str,
    *,
    push: PushSource | None = None,
    before_run: Callable[[], None] | None = None,
) -> Session:
    from streammsa.monitor import Components, Monitor

    try:
        monitor = Monitor(cfg, sources, components=components or Components.build(cfg), source_name=name)
    except BaseException:
        for s in sources:
            s.close()
        raise
    return Session(monitor, push=push, before_run=before_run)


def open_file(
    path: str | Path,
    *,
    fast: bool = False,
    speed: float = 1.0,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """A recorded file (mp4/mkv/webm/mov/mpg/avi, wav/flac/mp3), paced at ``speed`` x real time or ``fast``.

    ``out_dir`` records timeline.jsonl, CSV and report there (default: nothing written); ``dashboard=True``
    serves the dashboard on 127.0.0.1:8765 (or pass a ``DashboardConfig``); ``model`` / ``checkpoint`` /
    ``device`` / ``untrained`` choose the model as on the command line; ``participants`` (N or "auto") reads a
    meeting as one stream per person (``--participants``); ``config`` is a full ``MonitorConfig`` these keywords
    refine; ``components`` reuses models already loaded (``Components.build(config)``).
    """
    from streammsa.capture.media_file import MediaFileSource

    if not fast and speed <= 0:
        raise UsageError(f"speed must be positive, got {speed}")
    source = MediaFileSource(Path(path))
    cfg = _config(
        config,
        speed=None if fast else speed,
        live=False,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session([source], cfg, components, source.name)


def open_url(
    url: str,
    *,
    live: bool | None = None,
    retries: int = 5,
    fast: bool = False,
    speed: float = 1.0,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """A network stream: ``rtsp://``, ``rtmp://``, ``http(s)://`` (a file or an HLS ``.m3u8``), ``srt://``, ...

    Reconnects up to ``retries`` times with back-off when the connection breaks ("retrying" status
    messages). ``live`` None: live for RTSP/RTMP/SRT/UDP and streams without a duration; a stream
    of known length is replayed at ``speed`` (or ``fast``). Other keywords as ``open_file``.
    """
    from streammsa.capture.network import NetworkSource

    source = NetworkSource(url, live=live, max_retries=retries)
    cfg = _config(
        config,
        speed=None if (fast and not source.is_live) else speed,
        live=source.is_live,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session([source], cfg, components, source.name)


def open_camera(
    camera: int | str | None = 0,
    mic: int | str | None = None,
    *,
    microphone: bool = True,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """A webcam (index or device path; None for none) and a microphone (index or name; ``microphone=False`` for
    none) on one stream clock, live. No such device: one ``DeviceError`` line naming ``streammsa devices``."""
    from streammsa.capture.camera import CameraSource
    from streammsa.capture.clock import StreamClock
    from streammsa.capture.microphone import MicrophoneSource

    if camera is None and not microphone:
        raise UsageError("no camera and no microphone leaves nothing to watch; keep one of them")
    clock = StreamClock()  # one clock: frames and samples line up in windows
    sources: list[Source] = []
    try:
        if camera is not None:
            sources.append(CameraSource(camera, clock=clock, live=True))
        if microphone:
            sources.append(MicrophoneSource(mic, clock=clock))
    except BaseException:
        for s in sources:
            s.close()
        raise
    cfg = _config(
        config,
        speed=1.0,
        live=True,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session(sources, cfg, components, "live", before_run=clock.start)


def open_push(
    *,
    audio: bool = True,
    video: bool = True,
    sample_rate: int = 16_000,
    channels: int = 1,
    realtime: bool = True,
    out_dir: str | Path | None = None,
    dashboard: bool | DashboardConfig | None = None,
    stream: str | None = None,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    device: str | None = None,
    untrained: bool | None = None,
    participants: int | str | None = None,
    config: MonitorConfig | None = None,
    components: Components | None = None,
) -> Session:
    """Media the program already has: ``session.feed_audio(pcm, t)``, ``session.feed_frame(image, t)``, ``end()``.

    ``sample_rate`` / ``channels``: the audio as it will be pushed (resampled to 16 kHz mono inside).
    ``realtime`` (default): media arrives as it happens, so a monitor falling behind skips video frames;
    ``realtime=False`` for media pushed faster than real time (a recording): nothing is skipped and
    ``feed_*`` waits while the monitor catches up. Other keywords as ``open_file``.
    """
    from streammsa.capture.push import PushSource

    source = PushSource(audio=audio, video=video, sample_rate=sample_rate, channels=channels)
    cfg = _config(
        config,
        speed=1.0,
        live=realtime,
        out_dir=out_dir,
        dashboard=dashboard,
        stream=stream,
        model=model,
        checkpoint=checkpoint,
        device=device,
        untrained=untrained,
        participants=participants,
    )
    return _session([source], cfg, components, "push", push=source)
