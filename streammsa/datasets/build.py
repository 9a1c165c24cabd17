"""Build the composed dataset: pools (pools.py) -> composed windows (compose.py) -> feature format.

Writes ``OUT/{train,valid,test}.npz`` + ``OUT/spec.json`` in the project's feature format
(feature_data.py; what ``streammsa train --data OUT`` reads), a per-window sidecar
``OUT/composition/SPLIT.csv`` (kind, conflict flag and magnitude, sources, identity groups) that
the feature format has no fields for, and ``OUT/manifest.json`` with every count.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from streammsa import MODALITIES
from streammsa.datasets.compose import BINS, ComposeConfig, ComposedWindow, Composer, polarity_bin
from streammsa.datasets.extractors import MonitorExtractors
from streammsa.datasets.fusion_rule import FusionRule
from streammsa.datasets.items import CORPORA, SPLITS, list_items
from streammsa.datasets.pools import BuildStats, Pools, build_pools, pool_counts
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec
from streammsa.training.dataset import Sample
from streammsa.training.feature_data import write_feature_split

DEFAULT_CACHE = Path("~/.cache/streammsa/live_dataset/cache")
DEFAULT_OUT = Path("~/.cache/streammsa/live_dataset/v1")
DEFAULT_SIZES: dict[str, int] = {"train": 20000, "valid": 3000, "test": 3000}
MANIFEST = "manifest.json"


@dataclass
class BuildConfig:
    data: Path
    out: Path = DEFAULT_OUT
    cache: Path = DEFAULT_CACHE
    modalities: Sequence[str] = MODALITIES
    corpora: Sequence[str] = CORPORA
    limit: int | None = None
    sizes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SIZES))
    compose: ComposeConfig = field(default_factory=ComposeConfig)
    threads: int = 1
    progress: bool = True


def check_identity_holdout(pools: Pools) -> None:
    """Raise if any identity group (video, actor, speaker, person) feeds two splits of one modality."""
    for m in MODALITIES:
        owner: dict[str, str] = {}
        for s in SPLITS:
            for e in pools.entries[m][s]:
                prev = owner.setdefault(e.item.group, s)
                if prev != s:
                    raise InputError(
                        f"{m}: identity {e.item.group} is in both {prev} and {s}; "
                        "fix the split tables in datasets/items.py"
                    )


def window_sample(w: ComposedWindow) -> Sample:
    speaker = "|".join(f"{m[0].upper()}={w.groups[m]}" for m in MODALITIES if m in w.groups)
    return Sample(
        id=w.id,
        features=w.features,
        label=w.label,
        modality_labels=w.modality_labels,
        emotion=w.emotion,
        speaker=speaker,
        modality_weights=w.weights,
    )


def write_composition(path: Path, windows: Sequence[ComposedWindow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "kind", "label", "label_T", "label_A", "label_V", "conflict", "conflict_magnitude",
                      "text_source", "audio_source", "vision_source", "text_group", "audio_group", "vision_group",
                      "text_steps", "audio_steps", "vision_steps", "replay"])  # fmt: skip
        for w in windows:
            out.writerow([
                w.id, w.kind, f"{w.label:.6f}", *("" if math.isnan(v) else f"{v:.6f}" for v in w.modality_labels),
                int(w.conflict), f"{w.conflict_magnitude:.6f}",
                *(w.sources.get(m, "") for m in MODALITIES), *(w.groups.get(m, "") for m in MODALITIES),
                *(len(w.features[m]) for m in MODALITIES), w.replay,
            ])  # fmt: skip


def read_composition(path: str | Path) -> list[dict[str, str]]:
    """Rows of a ``composition/SPLIT.csv`` sidecar (e.g. the conflict flag for ROC AUC)."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def composition_counts(windows: Sequence[ComposedWindow], band: float) -> dict:
    kinds: dict[str, int] = {}
    present: dict[str, int] = {}
    for w in windows:
        kinds[w.kind] = kinds.get(w.kind, 0) + 1
        key = "+".join(m for m in MODALITIES if len(w.features[m])) or "none"
        present[key] = present.get(key, 0) + 1
    labels = np.asarray([w.label for w in windows], dtype=np.float64)
    mods = np.stack([w.modality_labels for w in windows]) if windows else np.zeros((0, 3))
    overall_bins = {b: 0 for b in BINS}
    for y in labels:
        overall_bins[polarity_bin(float(y), band)] += 1
    steps = {m: [len(w.features[m]) for w in windows if len(w.features[m])] for m in MODALITIES}
    return {
        "windows": len(windows),
        "by_kind": dict(sorted(kinds.items())),
        "by_present": dict(sorted(present.items())),
        "conflict": int(sum(w.conflict for w in windows)),
        "overall_label_bins": overall_bins,
        "overall_label_mean": round(float(labels.mean()), 4) if len(labels) else None,
        "overall_label_std": round(float(labels.std()), 4) if len(labels) else None,
        "modality_label_present": {m: int((~np.isnan(mods[:, k])).sum()) for k, m in enumerate(MODALITIES)},
        "mean_steps": {m: round(float(np.mean(v)), 2) if v else 0.0 for m, v in steps.items()},
    }


def build_composed_dataset(
    cfg: BuildConfig,
    spec: FeatureSpec | None = None,
    rule: FusionRule | None = None,
    extractors: MonitorExtractors | None = None,
) -> dict:
    """Run the whole build; returns the manifest (also written to ``OUT/manifest.json``)."""
    from streammsa.features.defaults import default_feature_spec

    t_start = time.perf_counter()
    spec = spec or default_feature_spec()
    rule = rule or FusionRule.load()
    unknown = [m for m in cfg.modalities if m not in MODALITIES]
    if unknown:
        raise InputError(f"unknown pool {unknown[0]!r}: use any of {', '.join(MODALITIES)}")
    items = list_items(cfg.data, cfg.corpora, cfg.modalities, cfg.limit)
    if not items:
        raise InputError(f"no labelled items for pools {list(cfg.modalities)} in corpora {list(cfg.corpora)}")
    pools, stats = build_pools(
        items,
        spec,
        cfg.cache,
        num_threads=cfg.threads,
        progress=cfg.progress,
        extractors=extractors,
        statements="text" in cfg.modalities,
    )
    check_identity_holdout(pools)
    t_pools = time.perf_counter()
    composer = Composer(pools, spec, rule, cfg.compose)
    out = Path(cfg.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    splits: dict[str, dict] = {}
    for split in SPLITS:
        windows = composer.compose(split, int(cfg.sizes.get(split, 0)))
        write_feature_split(out, split, [window_sample(w) for w in windows], spec)
        write_composition(out / "composition" / f"{split}.csv", windows)
        splits[split] = composition_counts(windows, cfg.compose.neutral_band)
    manifest = {
        "format": "streammsa feature directory (docs/feature-format.md); composition sidecar in composition/SPLIT.csv",
        "built_with": "scripts/build_composed_dataset.py (docs/composed-dataset.md)",
        "data": str(cfg.data),
        "cache": str(Path(cfg.cache).expanduser()),
        "limit": cfg.limit,
        "pools_selected": list(cfg.modalities),
        "corpora_selected": list(cfg.corpora),
        "compose": {**asdict(cfg.compose), "proportions": dict(cfg.compose.proportions)},
        "still_motion_clips": len(composer.motions),
        "fusion_rule": rule.to_dict(),
        "feature_spec": spec.to_dict(),
        "pools": pool_counts(pools),
        "extraction": _stats_dict(stats),
        "splits": splits,
        "seconds": {"pools": round(t_pools - t_start, 2), "compose_and_write": round(time.perf_counter() - t_pools, 2)},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, default=_jsonable))
    return manifest


def _stats_dict(stats: BuildStats) -> dict:
    return {
        "computed": dict(sorted(stats.computed.items())),
        "cached": dict(sorted(stats.cached.items())),
        "seconds": stats.seconds,
        "extractors_created": stats.extractors_created,
    }


def _jsonable(o: object) -> object:
    if isinstance(o, (np.integer, np.floating)):
        return o.item()
    if isinstance(o, (Path, tuple)):
        return str(o) if isinstance(o, Path) else list(o)
    raise TypeError(f"not JSON-able: {type(o).__name__}")
