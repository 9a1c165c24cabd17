"""Sanity checks of a built composed dataset (docs/composed-dataset.md, "Checks").

1. Signal: for each modality, a ridge regression (train split) from the window's mean and std of
   its raw monitor features to its own per-modality label, scored on the test split (held-out
   identities): Pearson r and MAE, against the MAE of predicting the train mean.
2. Audio emotion: a logistic regression from each RAVDESS clip's mean + std audio features (the
   cached pool) to its 8 emotion categories, train actors -> test actors 19-24.
3. Still-photo shortcut: a logistic regression (train split) that tells GRID talking-face windows
   from repeated-photo windows using only motion statistics (per-dimension std over time and mean
   absolute frame-to-frame change); test ROC AUC (0.5 = indistinguishable, 1 = a perfect shortcut).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.datasets.build import read_composition


def signal(train, test) -> dict:
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = {}
    for k, m in enumerate(MODALITIES):

        def xy(d):
            rows = [
                (np.concatenate([s.features[m].mean(0), s.features[m].std(0)]), s.modality_labels[k])
                for s in d.samples
                if len(s.features[m]) and not np.isnan(s.modality_labels[k])
            ]
            return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])

        xtr, ytr = xy(train)
        xte, yte = xy(test)
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 4, 12))).fit(xtr, ytr)
        pred = model.predict(xte)
        out[m] = {
            "train_windows": len(ytr),
            "test_windows": len(yte),
            "test_r": round(float(np.corrcoef(pred, yte)[0, 1]), 3),
            "test_mae": round(float(np.abs(pred - yte).mean()), 3),
            "test_mae_train_mean": round(float(np.abs(ytr.mean() - yte).mean()), 3),
        }
    return out


def audio_emotion(data_root: Path, cache: Path) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from streammsa.datasets.items import list_items
    from streammsa.datasets.pools import build_pools
    from streammsa.features.defaults import default_feature_spec

    items = list_items(data_root, corpora=["ravdess"], modalities=["audio"])
    pools, stats = build_pools(items, default_feature_spec(), cache, progress=False, statements=False)

    def xy(split):
        ents = pools.entries["audio"][split]
        x = np.array([np.concatenate([e.features.mean(0), e.features.std(0)]) for e in ents])
        return x, np.array([e.item.emotion for e in ents])

    xtr, ytr = xy("train")
    xte, yte = xy("test")
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000)).fit(xtr, ytr)
    majority = max(float(np.mean(yte == e)) for e in set(yte))
    return {
        "test_accuracy": round(float((clf.predict(xte) == yte).mean()), 3),
        "majority_class": round(majority, 3),
        "train_clips": len(ytr),
        "test_clips": len(yte),
        "extracted_now": sum(stats.computed.values()),
    }


def still_shortcut(data: Path, train, test) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    def xy(d, split):
        rows = read_composition(data / "composition" / f"{split}.csv")
        x, y = [], []
        for s, r in zip(d.samples, rows):
            v = s.features["vision"]
            if len(v) > 2:
                x.append(np.concatenate([v.std(0), np.abs(np.diff(v, axis=0)).mean(0)]))
                y.append(int(r["vision_source"].startswith("grid/")))
        return np.array(x), np.array(y)

    xtr, ytr = xy(train, "train")
    xte, yte = xy(test, "test")
    if len(set(ytr)) < 2 or len(set(yte)) < 2:
        return {"skipped": "needs both GRID and photo vision windows in train and test"}
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(xtr, ytr)
    return {
        "test_auc": round(float(roc_auc_score(yte, clf.predict_proba(xte)[:, 1])), 3),
        "grid_windows_test": int(yte.sum()),
        "photo_windows_test": int(len(yte) - yte.sum()),
    }
