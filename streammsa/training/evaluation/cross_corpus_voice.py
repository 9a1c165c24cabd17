"""Does a voice from a corpus the voice reader never heard make the overall reading worse? (issue #10)

Across corpora the voice reader stays under the issue's 0.70 ROC AUC (RAVDESS <-> EmoDB, models/voice_reader.md).
The issue accepts that where the voice cannot hurt: "the fused reading's AUROC does not drop when voice is added".
Measured on the composed dataset's held-out windows (the test split: identities no model, fit or threshold was
chosen on) that carry words and a voice of the target corpus, each window read as the monitor shows it: the
overall reading of the checkpoint's own fit (``engine/overall_reading.py``; model reading, and each modality's
reading times its confidence).

For each direction (a reader fitted on one corpus's train + validation speakers, ``training/voice_reader.fit`` at
the shipped reader's ridge strength, reading the other corpus), the same windows are read four ways:

* ``without_voice``: the window with its voice removed: the model reads words and face only, no voice term;
* ``reader_only``: the model still without the voice, plus the voice term of the cross-corpus reader: the voice
  reaches the reading only through a reader that never heard the corpus (the clean leave-one-corpus-out arm);
* ``with_voice``: the model as it reads the window (its own voice path was trained on both corpora, so this arm
  is not fully cross-corpus) plus the cross-corpus reader's term;
* ``shipped``: the window as the monitor reads it today (the shipped reader heard the corpus's other speakers).

The voice is shown against its speaker's baseline (``conflict.speaker_relative``, as the monitor's running
baseline settles). Its confidence is read two ways: 1 (``confidence_1``: composed windows have no VAD track, and the
familiarity that lowers a new voice's confidence in the monitor is left out, so the voice weighs as much as it ever
can), and that times the reader's typicality of the speaker (``typicality``: how like the reader's training windows the
speaker sounds, the mean over the monitor's windows of a stream of their speech, ``models/typicality.py``), as the
monitor counts it since session 16. As in the monitor
(``engine/confidence_fusion.py``) the confidence scales the voice's contribution to the model's reading too:
y_model = y(without voice) + c (y(with voice) - y(without voice)). The change against ``without_voice`` comes with a
paired bootstrap interval (the same windows resampled for both arms).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from streammsa import MODALITIES
from streammsa.engine.overall_reading import of_checkpoint, window_terms
from streammsa.training.dataset import Sample
from streammsa.training.evaluation.conflict import HEADLINE_RULE, load_windows, speaker_relative, voice_readings
from streammsa.training.evaluation.forward import composed_windows, load_cpu, run_model
from streammsa.training.evaluation.scoring import polarity_auroc
from streammsa.training.voice_reader import speaker_typicality

DIRECTIONS = (("ravdess", "emodb"), ("emodb", "ravdess"))
ARMS = ("without_voice", "reader_only", "with_voice", "shipped")
BAND = 0.5  # the composed dataset's polarity band: |label| >= 0.5 is positive or negative
BOOTSTRAP = 1000
AUDIO = MODALITIES.index("audio")


def cross_corpus_readers(shared: Path, cache: Path, alpha: float, log: Any = print) -> tuple[dict[str, Any], Any]:
    """Per source corpus, a voice reader fitted on that corpus's train + validation speakers only (the card's
    cross-corpus readers), and the windows they were fitted from (``training/voice_reader.Windows``); ``cache``: where
    ``window_rows`` keeps the encoder's last-layer window states."""
    from streammsa.datasets.items import list_items
    from streammsa.training.voice_reader import fit, window_rows

    items = [it for c in ("ravdess", "emodb") for it in list_items(shared, corpora=[c], modalities=["audio"])]
    rows = window_rows(items, cache, log=log)
    readers = {src: fit(rows.where((rows.corpus == src) & (rows.split != "test")), alpha) for src, _ in DIRECTIONS}
    return readers, rows


def without_voice(samples: list[Sample]) -> list[Sample]:
    """The windows with their voice removed (the model then reads the voice as absent)."""
    return [
        dataclasses.replace(s, features={m: (x[:0] if m == "audio" else x) for m, x in s.features.items()})
        for s in samples
    ]


def paired_change(score_a: np.ndarray, score_b: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """AUROC(b) - AUROC(a) on the same windows, with a 95 % paired bootstrap interval."""
    polar = np.abs(labels) >= BAND
    a, b, y = score_a[polar], score_b[polar], labels[polar] > 0
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, len(y), len(y))
        if y[i].all() or not y[i].any():
            continue
        diffs.append(_auc(b[i], y[i]) - _auc(a[i], y[i]))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {"change": _auc(b, y) - _auc(a, y), "ci95": [float(lo), float(hi)]}


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(positive, score))


def evaluate(checkpoint: str, data: Path, shared: Path, cache: Path, readers: dict[str, Any]) -> dict[str, Any]:
    """The arms' ROC AUC per direction and confidence, on all test windows with words and that corpus's voice and
    on the ``agree`` windows among them (every present modality labelled with the window's polarity)."""
    model, meta = load_cpu(checkpoint)
    overall = of_checkpoint(meta)
    shipped = readers["voice_reader"]
    w = load_windows(model, meta, data, "test", **readers)
    out = w.with_confidence(HEADLINE_RULE)
    samples, rows = composed_windows(data, "test", meta["spec"])
    present = np.asarray(out["present"], dtype=bool)
    label = np.asarray(out["label"], dtype=np.float64)
    corpus = np.asarray([rows[s.id]["audio_source"].split("/")[0] for s in samples])
    speakers = [rows[s.id]["audio_group"] for s in samples]
    kind = np.asarray(out["kind"])

    model_with = np.clip(np.asarray(out["intensity"], dtype=np.float64), -3.0, 3.0)
    model_without = np.clip(run_model(model, without_voice(samples))["intensity"].astype(np.float64), -3.0, 3.0)
    r, c = window_terms(np.asarray(out["modality"], dtype=np.float64), present, out.get("confidence"))
    typical_shipped = np.where(np.isfinite(w.voice_typicality), w.voice_typicality, 1.0)  # unread: as the monitor

    def read(voice: np.ndarray | None, conf: np.ndarray, model_voice: bool = True) -> np.ndarray:
        """The overall reading with the voice read as ``voice`` at confidence ``conf`` (None: no voice)."""
        rr, cc = r.copy(), c.copy()
        cc[:, AUDIO] = 0.0 if voice is None else np.where(present[:, AUDIO], conf, 0.0)
        rr[:, AUDIO] = 0.0 if voice is None else np.where(present[:, AUDIO], voice, 0.0)
        scale = cc[:, AUDIO] if model_voice else 0.0
        y_model = model_without + scale * (model_with - model_without)  # engine/confidence_fusion.py
        return overall.combine_all(y_model, rr, cc)

    cross, voice_windows = cross_corpus_readers(shared, cache, float(shipped.meta["alpha"]))
    head = np.asarray(out["voice_head"], dtype=np.float64)
    ones = np.ones(len(label))
    res: dict[str, Any] = {
        "checkpoint": str(checkpoint),
        "data": str(data),
        "overall_fit": overall.to_record(),
        "confidences": {
            "confidence_1": "1 (composed windows: no VAD track; familiarity left out): the most a voice can weigh",
            "typicality": "the reader's typicality of the speaker: its mean over the monitor's windows of their speech "
            "(models/typicality.py), where the monitor's running mean settles",
        },
        "directions": {},
    }
    for src, dst in DIRECTIONS:
        raw = voice_readings(cross[src], samples, rows, data, meta["spec"])
        of_speaker = speaker_typicality(cross[src], voice_windows.where(voice_windows.corpus == dst))
        typical_cross = np.asarray([of_speaker.get(s, 1.0) for s in speakers])
        shown = speaker_relative(np.where(np.isfinite(raw), raw, head), present[:, AUDIO], speakers)
        arms = {
            "confidence_1": {
                "without_voice": read(None, ones),
                "reader_only": read(shown, ones, model_voice=False),
                "with_voice": read(shown, ones),
                "shipped": read(r[:, AUDIO], ones),
            },
            "typicality": {
                "without_voice": read(None, ones),
                "reader_only": read(shown, typical_cross, model_voice=False),
                "with_voice": read(shown, typical_cross),
                "shipped": read(r[:, AUDIO], typical_shipped),
            },
        }
        base = (corpus == dst) & present[:, AUDIO] & present[:, MODALITIES.index("text")]
        subsets = {"with_words": base, "agree": base & (kind == "agree")}
        d: dict[str, Any] = {"fitted_on": f"{src} train + valid speakers", "read": f"{dst} test windows"}
        for name, sel in subsets.items():
            polar = sel & (np.abs(label) >= BAND)
            d[name] = {
                "windows": int(polar.sum()),
                "positive": int((polar & (label > 0)).sum()),
                # the cross-corpus reader against the voice's own label
                "voice_reader_alone": polarity_auroc(shown[sel], w.modality_labels[sel, AUDIO], BAND),
                "typicality_mean": {
                    "cross_corpus": float(typical_cross[sel].mean()),
                    "shipped": float(typical_shipped[sel].mean()),
                },
            }
            for conf_name, conf_arms in arms.items():
                d[name][conf_name] = {arm: polarity_auroc(v[sel], label[sel], BAND) for arm, v in conf_arms.items()}
                for arm in ("reader_only", "with_voice", "shipped"):
                    d[name][conf_name][f"change_{arm}"] = paired_change(
                        conf_arms["without_voice"][sel], conf_arms[arm][sel], label[sel]
                    )
        res["directions"][f"{src}->{dst}"] = d
    return res


def report_lines(res: dict[str, Any]) -> list[str]:
    """``evaluate``'s result as printed lines: per direction and subset, each arm's ROC AUC and its change."""
    f = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    lines = ["voice across corpora: overall reading's ROC AUC (positive vs negative windows), change against "
             "without_voice (95 % interval)"]  # fmt: skip
    for name, d in res["directions"].items():
        for subset in ("with_words", "agree"):
            s = d[subset]
            t = s["typicality_mean"]
            lines.append(
                f"  {name} {subset}: {s['windows']} windows ({s['positive']} positive), cross-corpus reader alone "
                f"{f(s['voice_reader_alone'])}, mean typicality {t['cross_corpus']:.2f} (shipped {t['shipped']:.2f})"
            )
            for conf in ("confidence_1", "typicality"):
                arms = s[conf]
                cells = [f"without_voice {f(arms['without_voice'])}"]
                for arm in ARMS[1:]:
                    ch = arms[f"change_{arm}"]
                    cells.append(
                        f"{arm} {f(arms[arm])} ({ch['change']:+.3f}, {ch['ci95'][0]:+.3f}..{ch['ci95'][1]:+.3f})"
                    )
                lines.append(f"    {conf:13s} " + "; ".join(cells))
    return lines
