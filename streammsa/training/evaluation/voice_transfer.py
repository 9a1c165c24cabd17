"""Does a voice feature carry valence beyond the corpus it was learned on? (issue #10, item 2)

Each clip becomes one pooled vector (mean and standard deviation over its frames); a logistic
regression learns positive vs negative emotion on one set of speakers and is scored (ROC AUC) on
speakers, or a whole corpus, it never saw. Its regularisation is chosen by cross-validation over the
training speakers only (``GroupKFold``), so the test side is never tuned on.

Speaker normalisation ("speaker"): each clip's pooled vector minus the mean and over the standard
deviation of that speaker's clips, the offline counterpart of the monitor's running voice baseline
(engine/voice_baseline.py), which reads a voice against what that speaker sounded like so far.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from streammsa.features.voice_states import pooled

__all__ = [
    "NORMALISATIONS",
    "VoiceClips",
    "joined",
    "pooled",
    "speaker_normalised",
    "polar",
    "probe_auroc",
    "transfer_table",
]

NORMALISATIONS = ("global", "speaker")


@dataclass
class VoiceClips:
    """Pooled features of labelled clips: one row each."""

    corpus: str
    x: np.ndarray  # (N, D)
    label: np.ndarray  # (N,) sentiment intensity in [-3, 3]
    speaker: np.ndarray  # (N,) identity; never split across train and test
    split: np.ndarray  # (N,) the corpus' speaker-independent split: train / valid / test

    def subset(self, keep: np.ndarray) -> VoiceClips:
        return VoiceClips(self.corpus, self.x[keep], self.label[keep], self.speaker[keep], self.split[keep])


def joined(parts: list[VoiceClips]) -> VoiceClips:
    """Several corpora as one set (speaker identities are corpus-qualified already)."""
    return VoiceClips(
        corpus="+".join(p.corpus for p in parts),
        x=np.vstack([p.x for p in parts]),
        label=np.concatenate([p.label for p in parts]),
        speaker=np.concatenate([p.speaker for p in parts]),
        split=np.concatenate([p.split for p in parts]),
    )


def speaker_normalised(x: np.ndarray, speaker: np.ndarray) -> np.ndarray:
    """Each row relative to its speaker's mean and spread over all of that speaker's rows."""
    out = np.empty_like(x, dtype=np.float64)
    for s in np.unique(speaker):
        sel = speaker == s
        mu, sd = x[sel].mean(axis=0), x[sel].std(axis=0)
        out[sel] = (x[sel] - mu) / np.where(sd > 1e-8, sd, 1.0)
    return out


def polar(clips: VoiceClips) -> VoiceClips:
    """Only clips with a sign: positive vs negative emotion (neutral and surprise carry none)."""
    return clips.subset(clips.label != 0)


def probe_auroc(train: VoiceClips, test: VoiceClips, normalisation: str, seed: int = 0) -> dict:
    """Fit on ``train``'s polar clips, score ``test``'s: ROC AUC of positive vs negative."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}")
    # Normalise per speaker over all of a speaker's clips (neutral included), then keep the polar ones.
    xs = {}
    for name, c in (("train", train), ("test", test)):
        xs[name] = speaker_normalised(c.x, c.speaker) if normalisation == "speaker" else c.x
    tr_keep, te_keep = train.label != 0, test.label != 0
    x_tr, y_tr, g_tr = xs["train"][tr_keep], train.label[tr_keep] > 0, train.speaker[tr_keep]
    x_te, y_te = xs["test"][te_keep], test.label[te_keep] > 0
    folds = min(5, len(np.unique(g_tr)))
    clf = make_pipeline(
        StandardScaler(),
        LogisticRegressionCV(
            Cs=np.logspace(-4, 2, 13),
            cv=list(GroupKFold(n_splits=folds).split(x_tr, y_tr, g_tr)),
            class_weight="balanced",
            scoring="roc_auc",
            max_iter=5000,
            random_state=seed,
        ),
    )
    with warnings.catch_warnings():  # scikit-learn 1.9 announces attribute renames we do not use
        warnings.simplefilter("ignore", FutureWarning)
        clf.fit(x_tr, y_tr)
    score = clf.decision_function(x_te)
    return {
        "auroc": float(roc_auc_score(y_te, score)),
        "C": float(clf[-1].C_[0]),
        "train_clips": int(tr_keep.sum()),
        "test_clips": int(te_keep.sum()),
        "test_positive": int(y_te.sum()),
    }


def transfer_table(corpora: dict[str, VoiceClips], normalisations=NORMALISATIONS) -> list[dict]:
    """Leave-speakers-out within each corpus (its own test speakers) and leave-one-corpus-out each way."""
    rows = []
    names = sorted(corpora)
    for norm in normalisations:
        for name in names:
            c = corpora[name]
            held_out = probe_auroc(c.subset(c.split != "test"), c.subset(c.split == "test"), norm)
            rows.append({
                "protocol": "leave speakers out", "train": f"{name} train+valid speakers",
                "test": f"{name} test speakers", "normalisation": norm, **held_out,
            })  # fmt: skip
        both = joined([corpora[n] for n in names])
        rows.append({
            "protocol": "leave speakers out", "train": "train+valid speakers of " + " and ".join(names),
            "test": "their test speakers", "normalisation": norm,
            **probe_auroc(both.subset(both.split != "test"), both.subset(both.split == "test"), norm),
        })  # fmt: skip
        for a in names:
            for b in names:
                if a != b:
                    rows.append({
                        "protocol": "leave one corpus out", "train": f"all of {a}", "test": f"all of {b}",
                        "normalisation": norm, **probe_auroc(corpora[a], corpora[b], norm),
                    })  # fmt: skip
    return rows
