#!/usr/bin/env python
"""RAVDESS tri-modal benchmark: baselines, CACR, every CACR ablation and DBR, mean +- std over seeds.

One command reproduces a table in docs/results.md:

    .venv/bin/python scripts/bench_ravdess.py --seeds 5 --epochs 30

Data (read-only, ../shared/data/ravdess): 1,380 speech clips of 23 actors (Actor 05 absent).
- text: MiniLM token features (streammsa.features.text, the live encoder) of the spoken
  statement, 01 "Kids are talking by the door" / 02 "Dogs are sitting by the door". Both are
  emotionally neutral, so text carries no sentiment here: real text-vs-voice/face conflict.
- audio: the live audio extractor (streammsa.features.audio, 44-d log-mel + prosody, 25 Hz)
  on the 16 kHz FLAC clip.
- vision: the 35 OpenFace action units of the clip (columns 0-34 of au_mfcc.npz), one step
  per clip (the clip's video is not available, so the live face extractor cannot be used).
- label: sentiment intensity from streammsa.training.labels (emotion valence x level).
- emotion: 8-class accuracy of a linear probe on each trained model's fused representation
  (streammsa.training.probe); the models are trained on intensity only.

Splits (fixed across seeds, so seeds vary initialisation and batch order only):
- speaker: actors 1-16 train (15 actors, 05 absent), 17-19 valid, 20-24 test (speaker-independent);
- random: clips shuffled with numpy seed 0, 70 % train / 15 % valid / 15 % test.
Model selection (early stopping) uses the validation split only; test is scored once per run.

Extracted features are cached in --cache-dir (default ~/.cache/streammsa/ravdess).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streammsa.features.spec import FeatureSpec, ModalitySpec  # noqa: E402
from streammsa.training.dataset import MSADataset, Sample  # noqa: E402

AU_COLUMNS = 35
SPEAKER_SPLIT = {"train": range(1, 17), "valid": range(17, 20), "test": range(20, 25)}
RANDOM_FRACTIONS = (0.70, 0.15)

# (row label, model name, config overrides). Ablation switches as defined in docs (cacr.md reading).
ROWS: list[tuple[str, str, dict]] = [
    ("text-only", "text_only", {}),
    ("audio-only", "audio_only", {}),
    ("vision-only", "vision_only", {}),
    ("late fusion", "late_fusion", {}),
    ("CACR (full)", "cacr", {}),
    ("CACR w/o CRM (crm=False)", "cacr", {"crm": False}),
    ("CACR w/o CAW (caw=False)", "cacr", {"caw": False}),
    ("CACR gating (gating=True)", "cacr", {"gating": True}),
    ("CACR w/o FSR (fsr=False)", "cacr", {"fsr": False}),
    ("CACR w/o L_o (lambda_o=0)", "cacr", {"lambda_o": 0.0}),
    ("CACR w/o L_p (lambda_p=0)", "cacr", {"lambda_p": 0.0}),
    ("DBR", "dbr", {}),
]
REPORT_KEYS = ("Non0_acc_2", "Non0_F1_score", "Has0_acc_2", "Mult_acc_7", "MAE", "Corr", "emotion_acc8")


# ---------------------------------------------------------------------------------------- features


def _clip_key(stem: str) -> str:
    """Match audio-only (03-...) and audio-visual (01-...) names: everything after the modality field."""
    return stem.split("-", 1)[1]


def build_cache(data_root: Path, cache_dir: Path) -> Path:
    """Extract (or reuse) the per-clip features; returns the cache .npz path."""
    from streammsa.features import audio as audio_mod
    from streammsa.features import text as text_mod
    from streammsa.training.labels import RAVDESS_STATEMENTS

    rav = data_root / "ravdess"
    files = sorted((rav / "audio").glob("Actor_*/*.flac"))
    if not files:
        raise SystemExit(f"no RAVDESS clips under {rav / 'audio'}")
    # The key covers the extractors' specs and source code: any change to either re-extracts.
    h = hashlib.sha1()
    for mod in (text_mod, audio_mod):
        h.update(Path(mod.__file__).read_bytes())
    h.update(json.dumps([text_mod.default_text_spec().params, audio_mod.default_audio_spec().params, [f.name for f in files]], sort_keys=True).encode())
    path = cache_dir / f"features-{h.hexdigest()[:12]}.npz"
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"extracting features of {len(files)} clips into {path}", flush=True)
    text_enc = text_mod.TextEncoder()
    audio_ext = audio_mod.AudioFeatureExtractor()
    au = np.load(rav / "au_mfcc.npz")
    au_by_key = {_clip_key(str(i)): row[:AU_COLUMNS] for i, row in zip(au["ids"], au["features"])}
    statements = {k: text_enc.encode(v) for k, v in RAVDESS_STATEMENTS.items()}
    stems, audio, lengths, vision = [], [], [], []
    t0 = time.perf_counter()
    for n, f in enumerate(files):
        k = _clip_key(f.stem)
        if k not in au_by_key:
            raise SystemExit(f"{f.name}: no action units in au_mfcc.npz for it")
        feats = audio_ext.extract(audio_mod.decode_audio_file(f))
        stems.append(f.stem)
        audio.append(feats)
        lengths.append(len(feats))
        vision.append(au_by_key[k])
        if (n + 1) % 200 == 0:
            print(f"  audio features: {n + 1}/{len(files)} clips ({time.perf_counter() - t0:.0f} s)", flush=True)
    np.savez(
        path,
        stems=np.asarray(stems),
        audio=np.concatenate(audio).astype(np.float32),
        audio_lengths=np.asarray(lengths, np.int64),
        vision=np.stack(vision).astype(np.float32),
        text_1=statements[1],
        text_2=statements[2],
        text_spec=json.dumps(dataclasses.asdict(text_enc.spec)),
        audio_spec=json.dumps(dataclasses.asdict(audio_ext.spec)),
    )
    return path


def _modality_spec(d: dict) -> ModalitySpec:
    d = dict(d)
    for k in ("feature_names", "mean", "std"):
        if d.get(k) is not None:
            d[k] = tuple(d[k])
    return ModalitySpec(**d)


def load_samples(cache: Path) -> tuple[list[Sample], FeatureSpec]:
    from streammsa.training.labels import RAVDESS_EMOTIONS, intensity_for, parse_ravdess

    with np.load(cache) as npz:
        z = {k: npz[k] for k in npz.files}  # NpzFile re-reads an array on every access
    emotion_ids = {name: int(code) - 1 for code, name in RAVDESS_EMOTIONS.items()}
    offsets = np.concatenate([[0], np.cumsum(z["audio_lengths"])])
    texts = {1: z["text_1"], 2: z["text_2"]}
    samples = []
    for i, stem in enumerate(z["stems"]):
        info = parse_ravdess(str(stem))
        feats = {
            "text": texts[info["statement"]],
            "audio": z["audio"][offsets[i] : offsets[i + 1]],
            "vision": z["vision"][i : i + 1],
        }
        samples.append(
            Sample(
                id=str(stem),
                features=feats,
                label=intensity_for(info["emotion"], info["intensity_level"]),
                emotion=emotion_ids[info["emotion"]],
                speaker=f"{info['actor']:02d}",
            )
        )
    vision = ModalitySpec(
        name="vision",
        extractor="openface_au_precomputed",
        dim=AU_COLUMNS,
        rate_hz=0.0,
        feature_names=tuple(f"au_{i:02d}" for i in range(AU_COLUMNS)),
        params={"source": "ravdess/au_mfcc.npz columns 0-34", "steps": "one per clip"},
    )
    spec = FeatureSpec(text=_modality_spec(json.loads(str(z["text_spec"]))), audio=_modality_spec(json.loads(str(z["audio_spec"]))), vision=vision)
    return samples, spec


def make_splits(samples: list[Sample], scheme: str) -> dict[str, list[Sample]]:
    if scheme == "speaker":
        return {name: [s for s in samples if int(s.speaker) in actors] for name, actors in SPEAKER_SPLIT.items()}
    order = np.random.default_rng(0).permutation(len(samples))
    n_train = int(round(RANDOM_FRACTIONS[0] * len(samples)))
    n_valid = int(round(RANDOM_FRACTIONS[1] * len(samples)))
    parts = {"train": order[:n_train], "valid": order[n_train : n_train + n_valid], "test": order[n_train + n_valid :]}
    return {k: [samples[i] for i in idx] for k, idx in parts.items()}


# ---------------------------------------------------------------------------------------- runs


def run_one(job: dict) -> dict:
    """Train one (split, row, seed) on the validation split; score test metrics and the emotion probe."""
    import torch

    from streammsa.models import build_model
    from streammsa.training.checkpoint import load_model
    from streammsa.training.dataset import normalised_spec
    from streammsa.training.probe import emotion_probe_accuracy
    from streammsa.training.trainer import TrainOptions, Trainer, evaluate, resolve_device, seed_everything

    torch.set_num_threads(job["threads"])
    samples, spec = load_samples(Path(job["cache"]))
    splits = make_splits(samples, job["scheme"])
    train = MSADataset(splits["train"], spec, "ravdess", "train")
    spec = normalised_spec(train)
    ds = {k: MSADataset(v, spec, "ravdess", k) for k, v in splits.items()}
    seed_everything(job["seed"])
    if resolve_device(job["device"]).type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    model = build_model(job["model"], spec.dims, job["overrides"])
    with tempfile.TemporaryDirectory() as tmp:
        opts = TrainOptions(
            model=job["model"], data="ravdess", out=str(Path(tmp) / "m.pt"), overrides=job["overrides"], seed=job["seed"],
            device=job["device"], epochs=job["epochs"], batch_size=job["batch_size"], lr=job["lr"], patience=job["patience"],
            metric="MAE", progress=False,
        )
        t0 = time.perf_counter()
        trainer = Trainer(model, ds["train"], ds["valid"], opts, spec)
        result = trainer.fit()
        best, _ = load_model(result.checkpoint, trainer.device)
        test, _ = evaluate(best, ds["test"], trainer.device)
        test["emotion_acc8"] = emotion_probe_accuracy(best, ds["train"], ds["test"], trainer.device, seed=job["seed"])
        seconds = time.perf_counter() - t0
    return {**{k: job[k] for k in ("scheme", "row", "model", "overrides", "seed")}, "best_epoch": result.best_epoch,
            "epochs_run": len(result.history), "valid_MAE": result.best_valid["MAE"], "test": test, "seconds": seconds,
            "sizes": {k: len(v) for k, v in ds.items()}}


# ---------------------------------------------------------------------------------------- report


def aggregate(results: list[dict]) -> dict:
    table: dict = {}
    for r in results:
        table.setdefault(r["scheme"], {}).setdefault(r["row"], []).append(r)
    out = {}
    for scheme, rows in table.items():
        out[scheme] = {}
        for row, runs in rows.items():
            out[scheme][row] = {
                k: (float(np.nanmean([x["test"][k] for x in runs])), float(np.nanstd([x["test"][k] for x in runs])))
                for k in REPORT_KEYS
            }
            out[scheme][row]["n"] = len(runs)
            out[scheme][row]["best_epoch"] = float(np.mean([x["best_epoch"] for x in runs]))
    return out


def markdown(agg: dict, args: argparse.Namespace, sizes: dict, device: str, minutes: float) -> str:
    pct = {"Non0_acc_2", "Non0_F1_score", "Has0_acc_2", "Mult_acc_7", "emotion_acc8"}
    lines = [
        f"Command: `.venv/bin/python scripts/bench_ravdess.py --seeds {args.seeds} --epochs {args.epochs} --patience {args.patience} "
        f"--batch-size {args.batch_size} --lr {args.lr} --device {args.device} --jobs {args.jobs}` ({device}, {minutes:.1f} min in all). Test split, mean +- std over "
        f"{args.seeds} seeds; accuracies/F1 in %, MAE/Corr on the [-3, 3] intensity scale; emotion = 8-class linear probe.",
        "",
    ]
    for scheme, rows in agg.items():
        s = sizes[scheme]
        lines.append(f"**{scheme} split** (train {s['train']} / valid {s['valid']} / test {s['test']} clips)")
        lines.append("")
        lines.append("| model | Acc2 (Non0) | F1 (Non0) | Acc2 (Has0) | Acc7 | MAE | Corr | emotion acc (8) | best epoch |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for row, m in rows.items():
            cells = []
            for k in REPORT_KEYS:
                mean, std = m[k]
                cells.append(f"{100 * mean:.2f} +- {100 * std:.2f}" if k in pct else f"{mean:.3f} +- {std:.3f}")
            lines.append(f"| {row} | " + " | ".join(cells) + f" | {m['best_epoch']:.1f} |")
        lines.append("")
    return "\n".join(lines)


def write_section(md_path: Path, marker: str, body: str) -> None:
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    text = md_path.read_text() if md_path.is_file() else "# Results\n"
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    md_path.write_text(text)


def report_from_json(args: argparse.Namespace) -> int:
    """Rebuild the markdown from runs saved with --json-out (e.g. one file per split run on a GPU host)."""
    results, devices, minutes = [], set(), 0.0
    for f in args.from_json:
        doc = json.loads(f.read_text())
        results.extend(doc["runs"])
        devices.add(doc.get("device", "unknown device"))
        minutes += float(doc.get("minutes", 0.0))
        saved = doc["args"]
        for k in ("seeds", "epochs", "patience", "batch_size", "lr", "device", "jobs"):
            setattr(args, k, saved[k])
    body = markdown(aggregate(results), args, {r["scheme"]: r["sizes"] for r in results}, "; ".join(sorted(devices)), minutes)
    print(body)
    if args.md:
        write_section(Path(args.md), "ravdess", body)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--splits", default="speaker,random", help="comma list of speaker, random")
    p.add_argument("--rows", default="", help="comma list of row indexes to run (default all)")
    p.add_argument("--device", default="auto")
    p.add_argument("--jobs", type=int, default=1, help="parallel training processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--data", type=Path, default=Path(os.environ.get("STREAMMSA_SHARED_DATA", REPO.parent / "shared" / "data")))
    p.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "streammsa" / "ravdess")
    p.add_argument("--cache-file", type=Path, help="use this feature cache .npz (skips extraction)")
    p.add_argument("--json-out", type=Path, default=None, help="write every run's metrics here")
    p.add_argument("--md", default=str(REPO / "docs" / "results.md"), help="results file to update ('' = don't)")
    p.add_argument("--extract-only", action="store_true")
    p.add_argument("--from-json", type=Path, nargs="+", help="only rebuild the report from earlier --json-out files")
    args = p.parse_args(argv)
    if args.from_json:
        return report_from_json(args)

    cache = args.cache_file or build_cache(args.data, args.cache_dir)
    print(f"features: {cache}", flush=True)
    if args.extract_only:
        return 0
    rows = [ROWS[int(i)] for i in args.rows.split(",")] if args.rows else ROWS
    schemes = [s.strip() for s in args.splits.split(",") if s.strip()]
    jobs = [
        {"cache": str(cache), "scheme": sc, "row": label, "model": name, "overrides": ov, "seed": seed,
         "device": args.device, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
         "patience": args.patience, "threads": args.threads}
        for sc in schemes for label, name, ov in rows for seed in range(1, args.seeds + 1)
    ]
    t0 = time.perf_counter()
    results = []
    def record(r: dict) -> None:
        results.append(r)
        t = r["test"]
        print(f"{r['scheme']:8s} {r['row']:28s} seed {r['seed']}: MAE {t['MAE']:.3f} Acc2 {t['Non0_acc_2']:.3f} "
              f"emo {t['emotion_acc8']:.3f} (best epoch {r['best_epoch']}, {r['seconds']:.0f} s)", flush=True)
        if args.json_out:  # after every run, so an interrupted benchmark keeps what it measured
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "runs": results}, indent=1))

    if args.jobs > 1:
        import multiprocessing as mp

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
            for r in pool.map(run_one, jobs):
                record(r)
    else:
        for job in jobs:
            record(run_one(job))
    minutes = (time.perf_counter() - t0) / 60
    import torch

    from streammsa.training.trainer import resolve_device

    dev = resolve_device(args.device)
    device = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    device += f", {args.jobs} process(es) x {args.threads} thread(s)"
    if args.json_out:
        doc = json.loads(args.json_out.read_text())
        doc.update({"device": device, "minutes": minutes})
        args.json_out.write_text(json.dumps(doc, indent=1))
    body = markdown(aggregate(results), args, {r["scheme"]: r["sizes"] for r in results}, device, minutes)
    print(body)
    if args.md:
        write_section(Path(args.md), "ravdess", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
