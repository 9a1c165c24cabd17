#!/usr/bin/env python
"""Build the composed dataset (the monitor's training set) from real labelled media through its own extractors.

    .venv/bin/python scripts/build_composed_dataset.py                      # full build (docs/composed-dataset.md)
    .venv/bin/python scripts/build_composed_dataset.py --limit 40 --sizes train=500,valid=100,test=100 --out /tmp/ld
    .venv/bin/python scripts/build_composed_dataset.py --pools audio,vision --corpora ravdess,faces,grid
    .venv/bin/streammsa train --model cacr --data ~/.cache/streammsa/live_dataset/v1

Unimodal features are cached under --cache (keyed by file + FeatureSpec hash): a rebuild with new
composition settings only re-composes. Data is read from ../shared/data ($STREAMMSA_SHARED_DATA);
nothing is written inside the repository unless --out/--cache point there (don't: never commit data).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from streammsa import MODALITIES
from streammsa.datasets.build import DEFAULT_CACHE, DEFAULT_OUT, DEFAULT_SIZES, BuildConfig, build_composed_dataset
from streammsa.datasets.compose import DEFAULT_PROPORTIONS, KINDS, ComposeConfig
from streammsa.datasets.items import CORPORA, SPLITS
from streammsa.errors import StreamMSAError, UsageError
from streammsa.paths import shared_data


def _names(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise UsageError(f"--{what} {text!r}: use a comma list of {', '.join(allowed)}")
    return names


def _pairs(text: str, allowed: tuple[str, ...], what: str, kind: type) -> dict:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        if key not in allowed or not value:
            raise UsageError(f"--{what} {part!r}: use NAME=VALUE with NAME one of {', '.join(allowed)}")
        try:
            out[key] = kind(value)
        except ValueError:
            raise UsageError(f"--{what} {part!r}: {value!r} is not a {kind.__name__}") from None
        if out[key] < 0:
            raise UsageError(f"--{what} {part!r}: must not be negative")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data", type=Path, default=shared_data(), help="the shared data folder (default: %(default)s)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="dataset directory to write (default: %(default)s)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="unimodal feature cache (default: %(default)s)")
    p.add_argument(
        "--pools", default=",".join(MODALITIES), help="modalities to build: text,audio,vision (default: all)"
    )
    p.add_argument("--corpora", default=",".join(CORPORA), help=f"corpora to read (default: {','.join(CORPORA)})")
    p.add_argument("--limit", type=int, default=None, help="at most N items per corpus and modality (quick runs)")
    p.add_argument(
        "--sizes",
        default=",".join(f"{k}={v}" for k, v in DEFAULT_SIZES.items()),
        help="composed windows per split (default: %(default)s)",
    )
    p.add_argument(
        "--mix",
        default=",".join(f"{k}={v}" for k, v in DEFAULT_PROPORTIONS.items()),
        help="window kind proportions (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--still-jitter",
        type=float,
        default=1.0,
        help="scale of the real GRID face motion added to photos (0 = exact repeats)",
    )
    p.add_argument("--grid-share", type=float, default=0.2, help="share of neutral audio/vision draws from GRID clips")
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads for the extractors (default 1: the CPU is shared)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # MediaPipe / TFLite log through glog on stderr; warnings-and-up only, so the progress bars stay readable.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        a = parse_args(argv)
        if a.limit is not None and a.limit < 1:
            raise UsageError("--limit must be at least 1")
        if a.threads < 1:
            raise UsageError("--threads must be at least 1")
        sizes = _pairs(a.sizes, SPLITS, "sizes", int)
        mix = _pairs(a.mix, KINDS, "mix", float)
        if not 0.0 <= a.grid_share <= 1.0 or a.still_jitter < 0:
            raise UsageError("--grid-share must be in [0, 1] and --still-jitter non-negative")
        try:
            compose = ComposeConfig(proportions=mix, seed=a.seed, still_jitter=a.still_jitter, grid_share=a.grid_share)
        except ValueError as exc:
            raise UsageError(f"--mix: {exc}") from None
        cfg = BuildConfig(
            data=a.data, out=a.out, cache=a.cache, modalities=_names(a.pools, MODALITIES, "pools"),
            corpora=_names(a.corpora, CORPORA, "corpora"), limit=a.limit, sizes={s: sizes.get(s, 0) for s in SPLITS},
            compose=compose, threads=a.threads, progress=not a.no_progress,
        )  # fmt: skip
        manifest = build_composed_dataset(cfg)
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    out = Path(cfg.out).expanduser()
    summary = {s: {k: manifest["splits"][s][k] for k in ("windows", "by_kind", "conflict")} for s in SPLITS}
    report = {"out": str(out), "extraction": manifest["extraction"], "seconds": manifest["seconds"], "splits": summary}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
