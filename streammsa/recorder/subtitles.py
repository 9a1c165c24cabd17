"""Subtitles of a run's transcript with the reading per cue: ``transcript.srt`` and ``transcript.vtt``.

One cue per utterance (``recorder/utterances.py``): its words, then a line with the overall
reading and the reading of each modality over the utterance, e.g.
``[+0.8 positive · text +1.2 · voice −0.3 · face n/a]``. A video player shows the words and what the
monitor read while they were spoken; an untrained model's cues say so. In a meeting read with
``--participants`` each cue is one participant's utterance, its words prefixed "Name: ".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streammsa import MODALITIES, MODALITY_LABELS
from streammsa.recorder.utterances import Utterance

SRT_NAME = "transcript.srt"
VTT_NAME = "transcript.vtt"
MIN_CUE_S = 0.5  # a one-word utterance stamped at an instant still gets a cue long enough to read
LINE_CHARS = 42  # the usual subtitle line length: words wrap onto lines no longer than this


def _signed(v: float | None) -> str:
    if v is None:
        return "n/a"
    s = f"{abs(v):.1f}"
    return "0.0" if float(s) == 0 else ("+" if v > 0 else "−") + s


def _polarity(v: float | None) -> str:
    if v is None:
        return "no reading"
    return "neutral" if abs(v) < 0.5 else ("positive" if v > 0 else "negative")


def reading_line(u: Utterance) -> str:
    """``[+0.8 positive · text +1.2 · voice −0.3 · face n/a]`` (``UNTRAINED`` first when it was)."""
    parts = [f"{_signed(u.intensity)} {_polarity(u.intensity)}"]
    parts += [f"{MODALITY_LABELS[m]} {_signed(u.modalities.get(m))}" for m in MODALITIES]
    head = "UNTRAINED " if not u.trained else ""
    return f"[{head}{' · '.join(parts)}]"


def _wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _stamp(t: float, sep: str) -> str:
    ms = max(0, round(t * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cue_text(u: Utterance) -> str:
    return f"{u.participant}: {u.text}" if u.participant else u.text


def _cue_times(utts: list[Utterance]) -> list[tuple[float, float]]:
    """Cue spans: at least MIN_CUE_S long, never running into the next cue of the same stream (two
    participants speaking at once get two cues on screen together, as players stack them)."""
    spans = []
    for i, u in enumerate(utts):
        end = max(u.end, u.start + MIN_CUE_S)
        nxt = next((v for v in utts[i + 1 :] if v.stream == u.stream), None)
        if nxt is not None:
            end = max(u.start + 0.001, min(end, nxt.start))
        spans.append((u.start, end))
    return spans


def srt(utts: list[Utterance]) -> str:
    """SubRip text: numbered cues, ``HH:MM:SS,mmm`` times."""
    blocks = []
    for i, (u, (a, b)) in enumerate(zip(utts, _cue_times(utts)), start=1):
        body = "\n".join([*_wrap(_cue_text(u)), reading_line(u)])
        blocks.append(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{body}\n")
    return "\n".join(blocks)


def vtt(utts: list[Utterance]) -> str:
    """WebVTT text: a header note explaining the reading line, ``HH:MM:SS.mmm`` times."""
    head = "WEBVTT\n\nNOTE\nstreammsa: each cue's last line is the sentiment reading (-3..+3) over the cue: overall, "
    head += "then what the words, the voice and the face said on their own (n/a: absent).\n"
    if utts and not all(u.trained for u in utts):
        head += "UNTRAINED model: these numbers are not sentiment.\n"
    blocks = [head]
    for i, (u, (a, b)) in enumerate(zip(utts, _cue_times(utts)), start=1):
        # "-->" must not appear in a WebVTT cue payload; words never hold it, the escape is for safety
        text = "\n".join(_wrap(_cue_text(u))).replace("-->", "->").replace("&", "&amp;").replace("<", "&lt;")
        blocks.append(f"{u.stream}-{i}\n{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n{reading_line(u)}\n")
    return "\n".join(blocks)


FORMATS: dict[str, tuple[str, Callable[[list[Utterance]], str]]] = {"srt": (SRT_NAME, srt), "vtt": (VTT_NAME, vtt)}


def write_subtitles(utts: list[Utterance], out_dir: Path) -> list[Path]:
    """Write every subtitle format into ``out_dir``; the paths written."""
    paths = []
    for name, render in FORMATS.values():
        path = Path(out_dir) / name
        path.write_text(render(utts), encoding="utf-8")
        paths.append(path)
    return paths
