"""Turn a ``MeetingPlan`` into media (mp4 of tiled talking faces, or a wav of voices) and its truth."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path

import numpy as np

from streammsa.capture.packets import SAMPLE_RATE
from streammsa.participants.plan import MeetingPlan, Placement
from streammsa.participants.sources import GRID_FPS, Utterance, video_frames
from streammsa.participants.truth import MeetingTruth, Segment

TILE_W, TILE_H = 360, 288  # GRID's frame size


def grid_shape(n: int) -> tuple[int, int]:
    """(columns, rows) of the screen for ``n`` faces: side by side up to 2, then a square grid."""
    if n <= 0:
        return 0, 0
    cols = n if n <= 2 else math.ceil(math.sqrt(n))
    return cols, math.ceil(n / cols)


def mix_audio(plan: MeetingPlan, voices: dict[str, list[Utterance]]) -> np.ndarray:
    out = np.zeros(int(round(plan.duration * SAMPLE_RATE)), dtype=np.float32)
    for p in plan.placements:
        u = voices[p.person][p.utterance]
        clip = u.audio[int(p.clip_from * SAMPLE_RATE) : int(p.clip_to * SAMPLE_RATE)]
        i = int(round(p.at * SAMPLE_RATE))
        n = min(len(clip), len(out) - i)
        out[i : i + n] += clip[:n]
    peak = float(np.abs(out).max(initial=0.0))
    return out / peak * 0.9 if peak > 0.99 else out  # overlapped speech may clip: scale the whole mix


def reference_segments(plan: MeetingPlan, voices: dict[str, list[Utterance]]) -> list[Segment]:
    """Each placed clip's speech segments on the meeting clock; one person's touching segments merged."""
    raw: dict[str, list[list[float]]] = {}
    for p in plan.placements:
        for a, b in voices[p.person][p.utterance].segments:
            a, b = max(a, p.clip_from), min(b, p.clip_to)
            if b > a:
                raw.setdefault(p.person, []).append([p.at + a - p.clip_from, p.at + b - p.clip_from])
    out = []
    for person, segs in raw.items():
        merged: list[list[float]] = []
        for s in sorted(segs):
            if merged and s[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], s[1])
            else:
                merged.append(s)
        out += [Segment(person, round(a, 3), round(b, 3)) for a, b in merged]
    return sorted(out, key=lambda s: (s.start, s.person))


IDLE_FRAMES = 3  # a listener loops the clip's first frames; see _Face


class _Face:
    """One on-screen person's frames: the clip while one of their utterances plays, else a listener.

    A listener is the clip's first IDLE_FRAMES frames played back and forth: GRID speakers often open
    their mouth well before the first word, so a longer lead-in would show a silent mouth moving.
    Real listeners nod, smile and murmur more than this; docs/meetings.md says so.
    """

    def __init__(self, person: str, utts: list[Utterance], placements: list[Placement]) -> None:
        self.frames = {i: video_frames(utts[i].path) for i in sorted({p.utterance for p in placements} | {0})}
        idle = list(range(IDLE_FRAMES)) + list(range(IDLE_FRAMES - 2, 0, -1))
        self.idle = [self.frames[0][i] for i in idle]
        self.placements = sorted(placements, key=lambda p: p.at)

    def at(self, t: float, k: int) -> np.ndarray:
        for p in self.placements:
            if p.at <= t < p.end:
                clip = self.frames[p.utterance]
                return clip[min(int((t - p.at + p.clip_from) * GRID_FPS), len(clip) - 1)]
        return self.idle[k % len(self.idle)]


def video(plan: MeetingPlan, voices: dict[str, list[Utterance]]) -> Iterator[np.ndarray]:
    cols, rows = grid_shape(len(plan.on_screen))
    faces = [_Face(p, voices[p], [pl for pl in plan.placements if pl.person == p]) for p in plan.on_screen]
    canvas = np.zeros((rows * TILE_H, cols * TILE_W, 3), dtype=np.uint8)
    for k in range(int(round(plan.duration * GRID_FPS))):
        t = k / GRID_FPS
        for i, face in enumerate(faces):
            r, c = divmod(i, cols)
            img = face.at(t, k)
            canvas[r * TILE_H : r * TILE_H + img.shape[0], c * TILE_W : c * TILE_W + img.shape[1]] = img[
                :TILE_H, :TILE_W
            ]
        yield canvas.copy()


def tiles(plan: MeetingPlan) -> dict[str, list[float]]:
    cols, rows = grid_shape(len(plan.on_screen))
    out = {}
    for i, person in enumerate(plan.on_screen):
        r, c = divmod(i, cols)
        out[person] = [c / cols, r / rows, (c + 1) / cols, (r + 1) / rows]
    return out


def write_media(
    path: Path, audio: np.ndarray, frames: Iterator[np.ndarray] | None = None, size: tuple[int, int] = (0, 0)
) -> None:
    """Audio (AAC in mp4, PCM in wav) and, streamed frame by frame, MPEG-4 video of ``size`` (width, height)
    at GRID's 25 fps (every FFmpeg build has the encoder)."""
    import av

    with av.open(str(path), mode="w") as out:
        astream = out.add_stream("pcm_s16le" if path.suffix == ".wav" else "aac", rate=SAMPLE_RATE)
        astream.layout = "mono"
        vstream = None
        if frames is not None:
            vstream = out.add_stream("mpeg4", rate=GRID_FPS, options={"qscale": "3"})
            vstream.width, vstream.height, vstream.pix_fmt = size[0], size[1], "yuv420p"
            vstream.codec_context.time_base = Fraction(1, GRID_FPS)
        pcm = astream.codec_context.name.startswith("pcm")
        x = np.clip(audio, -1, 1)
        data = (x * 32767).astype(np.int16) if pcm else x.astype(np.float32)
        for i in range(0, len(data), 1024):
            block = data[i : i + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="s16" if pcm else "fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, i, Fraction(1, SAMPLE_RATE)
            out.mux(astream.encode(frame))
        out.mux(astream.encode(None))
        if vstream is not None and frames is not None:
            for k, img in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = k, Fraction(1, GRID_FPS)
                out.mux(vstream.encode(frame))
            out.mux(vstream.encode(None))


def render(plan: MeetingPlan, voices: dict[str, list[Utterance]], folder: Path) -> MeetingTruth:
    """Write ``meeting.mp4`` (faces on screen) or ``meeting.wav`` and ``truth.json`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    media = folder / ("meeting.mp4" if plan.on_screen else "meeting.wav")
    cols, rows = grid_shape(len(plan.on_screen))
    frames = video(plan, voices) if plan.on_screen else None
    write_media(media, mix_audio(plan, voices), frames, (cols * TILE_W, rows * TILE_H))
    texts = [
        {
            "person": p.person,
            "start": round(p.at, 3),
            "end": round(p.end, 3),
            "text": voices[p.person][p.utterance].text,
        }
        for p in plan.placements
    ]
    langs = {voices[p.person][p.utterance].language for p in plan.placements}
    truth = MeetingTruth(
        name=plan.spec.name,
        media=media.name,
        duration=plan.duration,
        people=list(plan.people),
        tiles=tiles(plan),
        segments=reference_segments(plan, voices),
        texts=texts,
        language=langs.pop() if len(langs) == 1 else "mixed",
        spec=json.loads(json.dumps(asdict(plan.spec))),  # as truth.json will hold it (lists, not tuples)
    )
    truth.save(folder)
    return truth
