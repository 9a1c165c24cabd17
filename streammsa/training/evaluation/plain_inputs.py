"""Readings on plainly labelled inputs: the first thing to look at before trusting any benchmark figure.

- plain meeting sentences (positive / neutral / negative, written for this project, never trained on):
  read by the model from their text alone, and spoken by espeak-ng end to end through ``replay``;
- nobody speaking (digital silence, a pure tone, white noise): no voice reading, no alert;
- neutral voices: each held-out speaker's neutral speech joined into one stream, replayed end to end: the voice
  reading as the monitor shows it (against that speaker's running baseline), per source;
- the demo clip: the text reading over time (its words turn from positive to negative).
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streammsa import MODALITIES
from streammsa.errors import InputError

CLASSES = {1: "positive", 0: "neutral", -1: "negative"}
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3")  # several voices: a reading must not depend on one


@dataclass(frozen=True)
class Sentence:
    label: int
    text: str


def sentences_file() -> Path:
    """The plain-sentence set written for this project (scripts/data/plain_sentences.tsv, from a source checkout)."""
    from streammsa.paths import REPO_ROOT

    return (REPO_ROOT or Path.cwd()) / "scripts" / "data" / "plain_sentences.tsv"


def load_sentences(path: Path) -> list[Sentence]:
    rows = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    out = [Sentence(int(r["label"]), r["sentence"]) for r in csv.DictReader(rows, delimiter="\t")]
    if not out or {s.label for s in out} - set(CLASSES):
        raise InputError(f"{path}: expected a TSV with columns label (1, 0, -1) and sentence")
    return out


def class_summary(labels: Sequence[int], values: Sequence[float | None]) -> dict[str, Any]:
    """Mean and spread per class, polarity accuracy on the non-neutral items, AUROC positive vs negative."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels)
    v = np.asarray([np.nan if x is None else x for x in values], dtype=np.float64)
    out: dict[str, Any] = {"n": int(np.isfinite(v).sum()), "of": len(v)}
    for k, name in CLASSES.items():
        sel = v[(y == k) & np.isfinite(v)]
        out[name] = {"mean": round(float(sel.mean()), 3), "std": round(float(sel.std()), 3)} if len(sel) else None
    polar = (y != 0) & np.isfinite(v)
    out["polarity_acc"] = round(float(np.mean(np.sign(v[polar]) == y[polar])), 3) if polar.any() else None
    if len(set(y[polar])) == 2:
        out["auroc"] = round(float(roc_auc_score(y[polar] > 0, v[polar])), 3)
    return out


def text_alone(components: Any, sentences: Sequence[Sentence]) -> dict[str, Any]:
    """The model reading each sentence from its words only (voice and face absent), as the monitor would."""
    from streammsa.asr.words import Word
    from streammsa.engine import overall_reading
    from streammsa.engine.evidence import EvidenceConfig, text_confidence
    from streammsa.engine.readings import build_reading
    from streammsa.engine.windowing import Window, WindowInputs, collate

    engine, spec = components.engine, components.engine.spec
    inputs, confidence = [], []
    for i, s in enumerate(sentences):
        words = [Word(w, 0.3 * k, 0.3 * k + 0.25) for k, w in enumerate(s.text.split())]
        tokens = components.text_encoder.encode_words(words).values
        feats = {m: np.zeros((0, spec[m].dim), dtype=np.float32) for m in MODALITIES}
        feats["text"] = spec.text.normalise(tokens)
        inputs.append(WindowInputs(Window("plain", i, 0.0, spec.window_s), feats))
        confidence.append({"text": text_confidence(len(tokens), EvidenceConfig())})
    out = engine.run(collate(inputs, spec))
    reader = getattr(components, "text_reader", None)  # the monitor's text reading (None: the model's head)
    own = reader.read([s.text for s in sentences]) if reader is not None else None
    overall = overall_reading.of_checkpoint(engine.meta)  # the overall reading as the monitor makes it
    rows = []
    for i, s in enumerate(sentences):
        r = build_reading(out, i, stream="plain", seq=i, t_start=0.0, t_end=spec.window_s, transcript=s.text,
                          latency_ms=0.0, model=engine.name, trained=engine.trained, confidence=confidence[i],
                          own=None if own is None else {"text": float(own[i])},
                          overall=overall)  # fmt: skip
        rows.append({"label": s.label, "text": s.text, "text_reading": r.modalities["text"].intensity,
                     "overall": r.intensity})  # fmt: skip
    labels = [r["label"] for r in rows]
    return {
        "items": rows,
        "text_reading": class_summary(labels, [r["text_reading"] for r in rows]),
        "overall": class_summary(labels, [r["overall"] for r in rows]),
        "vader": class_summary(labels, list(vader_compound([s.text for s in sentences]) * 3.0)),
    }


def vader_compound(texts: Sequence[str]) -> np.ndarray:
    """VADER's compound score in [-1, 1]: the lexicon baseline a learned text path must match on plain words."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return np.asarray([sia.polarity_scores(t)["compound"] for t in texts], dtype=np.float64)


def spoken(components: Any, sentences: Sequence[Sentence], voices: Sequence[str] = ESPEAK_VOICES) -> dict[str, Any]:
    """Each sentence spoken by espeak-ng in each voice, replayed through the whole monitor (``--fast``)."""
    from streammsa.monitor import replay_messages

    rows = []
    with tempfile.TemporaryDirectory(prefix="streammsa-plain-") as tmp:
        for i, s in enumerate(sentences):
            for voice in voices:
                wav = Path(tmp) / f"{i}-{voice.replace('+', '_')}.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), s.text], check=True, timeout=30)
                readings = replay_messages(wav, components=components).readings
                rows.append({"label": s.label, "voice": voice, **_clip_means(readings)})
    labels = [r["label"] for r in rows]
    return {
        "items": rows,
        **{k: class_summary(labels, [r[k] for r in rows]) for k in ("overall", "text", "audio")},
        "audio_present": round(float(np.mean([r["audio_windows"] > 0 for r in rows])), 3),
    }


def _clip_means(readings: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean overall reading of a clip and of each modality over the windows where it is present."""
    out: dict[str, Any] = {"overall": float(np.mean([r["intensity"] for r in readings])) if readings else None}
    for m in MODALITIES:
        vals = [r["modalities"][m]["intensity"] for r in readings if r["modalities"][m]["present"]]
        out[m] = float(np.mean(vals)) if vals else None
        out[f"{m}_windows"] = len(vals)
    return out


def nobody_speaking(components: Any) -> dict[str, Any]:
    """Silence, a pure tone and white noise (6 s each): how many windows read a voice, and alerts raised."""
    from streammsa.capture.packets import SAMPLE_RATE
    from streammsa.monitor import replay_messages

    t = np.arange(6 * SAMPLE_RATE) / SAMPLE_RATE
    signals = {
        "silence": np.zeros_like(t),
        "tone 440 Hz": 0.3 * np.sin(2 * np.pi * 440 * t),
        "white noise": 0.1 * np.random.default_rng(0).standard_normal(len(t)),
    }
    out = {}
    with tempfile.TemporaryDirectory(prefix="streammsa-quiet-") as tmp:
        for name, x in signals.items():
            wav = Path(tmp) / "x.wav"
            _write_wav(wav, x.astype(np.float32), SAMPLE_RATE)
            run = replay_messages(wav, components=components)
            rs = run.readings
            out[name] = {
                "windows": len(rs),
                "voice_windows": sum(r["modalities"]["audio"]["present"] for r in rs),
                "overall_mean": round(float(np.mean([r["intensity"] for r in rs])), 3) if rs else None,
                "alerts": len(run.of_type("alert")),
            }
    return out


NEUTRAL_GAP_S = 0.3  # silence between joined clips, as between a speaker's sentences


def neutral_voices(components: Any, shared: Path, voices: Sequence[str] = ("en-us",)) -> dict[str, Any]:
    """Neutral speech from each source, replayed end to end (``--fast``): held-out speakers of RAVDESS
    (actors 19-24), EmoDB (speakers 15-16) and GRID (two talkers), each speaker's neutral clips joined into one
    stream; GRID's 11 talkers in one stream (the single-speaker baseline meets a new voice every 3 s); espeak-ng
    speaking the plain neutral sentences, one stream per voice. Per source: the voice reading shown in each window
    with a voice (mean, spread, share within +-0.4) and its confidence. A stream's first window with a voice reads 0
    by construction (the baseline is that window), so a speaker heard only speaking neutrally reads near 0 on
    average: what this measures is how far single windows wander, and the 11-talker stream, where each new voice
    meets a baseline of other people's."""
    from streammsa.capture.packets import SAMPLE_RATE
    from streammsa.datasets.items import list_items
    from streammsa.features.audio import decode_audio_file
    from streammsa.monitor import replay_messages

    items = [it for it in list_items(shared, ("ravdess", "emodb", "grid"), ["audio"]) if it.emotion == "neutral"]
    streams: dict[str, dict[str, list[str]]] = {}  # source -> speaker -> clip paths
    for it in sorted(items, key=lambda it: it.key):
        if it.split == "test":
            streams.setdefault(f"{it.corpus} (held-out speakers)", {}).setdefault(it.group, []).append(it.path)
        if it.corpus == "grid":
            streams.setdefault("grid, 11 talkers in one stream", {}).setdefault("all", []).append(it.path)
    gap = np.zeros(int(NEUTRAL_GAP_S * SAMPLE_RATE), np.float32)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="streammsa-neutral-") as tmp:
        texts = [s.text for s in load_sentences(sentences_file()) if s.label == 0]
        for voice in voices:
            paths = []
            for i, text in enumerate(texts):
                paths.append(str(Path(tmp) / f"espeak-{voice.replace('+', '_')}-{i}.wav"))
                subprocess.run(["espeak-ng", "-v", voice, "-w", paths[-1], text], check=True, timeout=30)
            streams.setdefault("espeak-ng, plain neutral sentences", {})[voice] = paths
        for source, speakers in streams.items():
            shown, confidence = [], []
            for paths in speakers.values():
                wav = Path(tmp) / "stream.wav"
                _write_wav(wav, np.concatenate([x for p in paths for x in (decode_audio_file(p), gap)]), SAMPLE_RATE)
                heard = [r["modalities"]["audio"] for r in replay_messages(wav, components=components).readings]
                heard = [a for a in heard if a["present"] and a["intensity"] is not None]
                shown += [a["intensity"] for a in heard]
                confidence += [a["confidence"] for a in heard if a["confidence"] is not None]
            v = np.asarray(shown, dtype=np.float64)
            out[source] = {
                "streams": len(speakers),
                "windows": len(v),
                "mean": round(float(v.mean()), 3) if len(v) else None,
                "std": round(float(v.std()), 3) if len(v) else None,
                "within_0.4": round(float(np.mean(np.abs(v) <= 0.4)), 3) if len(v) else None,
                "confidence_mean": round(float(np.mean(confidence)), 3) if confidence else None,
            }
    return out


def demo_text_over_time(components: Any, clip: Path) -> list[dict[str, Any]]:
    """The demo clip's readings over time: window end, transcript, text, voice and overall readings."""
    from streammsa.monitor import replay_messages

    rows = []
    for r in replay_messages(clip, components=components).readings:
        mods = r["modalities"]
        rows.append({"t_end": r["t_end"], "transcript": r["transcript"], "overall": r["intensity"],
                     **{m: mods[m]["intensity"] for m in MODALITIES}})  # fmt: skip
    return rows


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    import wave

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


FACE_CLASSES = ("happiness", "neutral", "sadness", "anger")


def still_faces(
    components: Any,
    shared: Path,
    per_class: int = 3,
    seconds: float = 4.0,
    classes: Sequence[str] = FACE_CLASSES,
) -> dict[str, Any]:
    """Photos of held-out people (test split) with a plain expression, each played as a still video and
    replayed through the whole monitor (``--fast``): what the face and overall readings say, per class.
    The faces set's labels are one annotator's: some are plainly wrong (``Andre_Agassi_0034``, "sadness",
    smiles), so read the medians, not single photos."""
    import cv2

    from streammsa.datasets.items import list_faces
    from streammsa.monitor import replay_messages

    items = sorted((it for it in list_faces(shared) if it.split == "test"), key=lambda it: it.key)
    chosen = [it for c in classes for it in [x for x in items if x.emotion == c][:per_class]]
    rows = []
    with tempfile.TemporaryDirectory(prefix="streammsa-faces-") as tmp:
        for it in chosen:
            img = cv2.imread(it.path)
            if img is None:
                continue
            clip = Path(tmp) / "face.mp4"
            _write_still_video(clip, cv2.cvtColor(cv2.resize(img, (352, 352)), cv2.COLOR_BGR2RGB), seconds)
            readings = replay_messages(clip, components=components).readings
            rows.append({"item": it.key, "emotion": it.emotion, "label": it.label, **_clip_means(readings)})
    out: dict[str, Any] = {"items": rows}
    for c in classes:
        vals = [r["vision"] for r in rows if r["emotion"] == c and r["vision"] is not None]
        overall = [r["overall"] for r in rows if r["emotion"] == c and r["overall"] is not None]
        out[c] = {
            "n": len(vals),
            "face_mean": float(np.mean(vals)) if vals else None,
            "face_median": float(np.median(vals)) if vals else None,
            "overall_mean": float(np.mean(overall)) if overall else None,
        }
    return out


def _write_still_video(path: Path, rgb: np.ndarray, seconds: float, fps: int = 25) -> None:
    import av

    with av.open(str(path), mode="w") as out:
        encode_still(out, rgb, seconds, fps)


def encode_still(out: Any, rgb: np.ndarray, seconds: float, fps: int = 25) -> None:
    """Add a video stream to the open PyAV container ``out`` showing ``rgb`` for ``seconds``."""
    import av

    stream = out.add_stream("mpeg4", rate=fps)
    stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "yuv420p"
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    for i in range(int(seconds * fps)):
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
