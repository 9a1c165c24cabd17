"""Real-part conflict clips: a held-out person's face and spoken words that agree or disagree (issue #11, item 5).

Each clip is built from real parts, none of them seen in training: a photo of a test-split person with a plain
expression (happiness: positive; anger or sadness: negative) held still on screen while espeak-ng speaks one
of the plainly worded meeting sentences (``scripts/data/plain_sentences.tsv``, positive or negative). Every
face is paired once with a sentence of its own polarity (agree) and once with one of the other (disagree).
Each clip is replayed through the whole monitor (``--fast``: real recogniser, real face landmarker, the
shipped readers and the checkpoint's polarity calibration), and scored by what the product shows:

* ``roc_auc``: the clip's mean window disagreement (``Reading.disagreement``, windows where it is defined)
  for disagreeing against agreeing clips;
* ``alerted``: share of each kind of clip where a conflict alert was raised (the checkpoint's threshold);
* the face and text readings per kind, to see which reading a miss comes from.

The synthetic voice reads near 0 (docs/live-results.md), so these clips test the words against the face.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streammsa.training.evaluation.plain_inputs import Sentence, encode_still
from streammsa.training.evaluation.scoring import roc_auc

FACE_POLARITY = {"happiness": 1, "anger": -1, "sadness": -1}
TAIL_S = 1.0  # the face stays on screen after the last word, so the last window still holds words and face


@dataclass(frozen=True)
class Clip:
    face: str  # the photo's item key
    emotion: str
    sentence: str
    face_polarity: int
    words_polarity: int

    @property
    def disagree(self) -> bool:
        return self.face_polarity != self.words_polarity


def pair_clips(faces: Sequence[Any], sentences: Sequence[Sentence]) -> list[Clip]:
    """Each face once with a sentence of its polarity and once with one of the other, sentences taken in turn."""
    by_polarity = {p: [s for s in sentences if s.label == p] for p in (1, -1)}
    if not by_polarity[1] or not by_polarity[-1]:
        raise ValueError("need positive and negative sentences")
    clips, used = [], {1: 0, -1: 0}
    for face in faces:
        p = FACE_POLARITY[face.emotion]
        for words in (p, -p):
            s = by_polarity[words][used[words] % len(by_polarity[words])]
            used[words] += 1
            clips.append(Clip(face.key, face.emotion, s.text, p, words))
    return clips


def held_out_faces(shared: Path, per_emotion: int) -> list[Any]:
    """The first ``per_emotion`` test-split photos of each expression in ``FACE_POLARITY`` (sorted by key)."""
    from streammsa.datasets.items import list_faces

    items = sorted((it for it in list_faces(shared) if it.split == "test"), key=lambda it: it.key)
    return [it for e in FACE_POLARITY for it in [x for x in items if x.emotion == e][:per_emotion]]


def write_talking_still(path: Path, rgb: np.ndarray, speech: np.ndarray, rate: int, fps: int = 25) -> None:
    """A still picture for the length of ``speech`` plus ``TAIL_S``, with the speech as its sound (Matroska)."""
    import av

    seconds = len(speech) / rate + TAIL_S
    pcm = np.zeros(int(seconds * rate), dtype=np.int16)
    pcm[: len(speech)] = (np.clip(speech, -1.0, 1.0) * 32767).astype(np.int16)
    with av.open(str(path), mode="w") as out:
        audio = out.add_stream("pcm_s16le", rate=rate, layout="mono")  # every stream before the first packet
        encode_still(out, rgb, seconds, fps)
        step = rate // 10
        for a in range(0, len(pcm), step):
            chunk = av.AudioFrame.from_ndarray(pcm[None, a : a + step], format="s16", layout="mono")
            chunk.sample_rate, chunk.pts = rate, a
            for packet in audio.encode(chunk):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)


def _speak(text: str, voice: str, tmp: Path) -> tuple[np.ndarray, int]:
    wav = tmp / "words.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, timeout=30)
    with wave.open(str(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return x, rate


def replay_clip(components: Any, clip: Clip, face_path: str, voice: str) -> dict[str, Any]:
    """Build one clip, replay it through the monitor, and keep what the product showed."""
    import cv2

    from streammsa.monitor import replay_messages

    with tempfile.TemporaryDirectory(prefix="streammsa-conflict-clip-") as tmp:
        img = cv2.imread(face_path)
        if img is None:
            raise ValueError(f"cannot read {face_path}")
        speech, rate = _speak(clip.sentence, voice, Path(tmp))
        path = Path(tmp) / "clip.mkv"
        write_talking_still(path, cv2.cvtColor(cv2.resize(img, (352, 352)), cv2.COLOR_BGR2RGB), speech, rate)
        run = replay_messages(path, components=components)
    readings = run.readings
    d = [r["disagreement"] for r in readings if r.get("disagreement") is not None]

    def mean_of(m: str) -> float | None:
        v = [r["modalities"][m]["intensity"] for r in readings if r["modalities"][m]["present"]]
        return float(np.mean(v)) if v else None

    raised = [a for a in run.of_type("alert") if a["kind"] == "conflict" and a["state"] == "raised"]
    return {
        **clip.__dict__,
        "disagree": clip.disagree,
        "windows": len(readings),
        "windows_with_disagreement": len(d),
        "disagreement": float(np.mean(d)) if d else None,
        "text": mean_of("text"),
        "audio": mean_of("audio"),
        "vision": mean_of("vision"),
        "alerts": [a["modality"] for a in raised],
    }


def evaluate(
    components: Any, shared: Path, sentences: Sequence[Sentence], per_emotion: int = 4, voice: str = "en-us"
) -> dict[str, Any]:
    """Every clip of ``per_emotion`` held-out faces per expression, replayed; the figures of the module docstring."""
    faces = held_out_faces(shared, per_emotion)
    paths = {f.key: f.path for f in faces}
    rows = [replay_clip(components, c, paths[c.face], voice) for c in pair_clips(faces, sentences)]
    scored = [r for r in rows if r["disagreement"] is not None]
    res: dict[str, Any] = {
        "clips": len(rows),
        "scored": len(scored),
        "roc_auc": roc_auc(np.array([r["disagreement"] for r in scored]), np.array([r["disagree"] for r in scored])),
        "items": rows,
    }
    for kind, want in (("agree", False), ("disagree", True)):
        sel = [r for r in rows if r["disagree"] == want]
        res[kind] = {
            "n": len(sel),
            "mean_disagreement": _mean([r["disagreement"] for r in sel]),
            "alerted": _mean([float(bool(r["alerts"])) for r in sel]),
        }
    for e in FACE_POLARITY:
        res[f"face_{e}"] = _mean([r["vision"] for r in rows if r["emotion"] == e])
    for p, name in ((1, "positive"), (-1, "negative")):
        res[f"text_{name}_words"] = _mean([r["text"] for r in rows if r["words_polarity"] == p])
    return res


def _mean(values: Sequence[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.mean(v)) if v else None
