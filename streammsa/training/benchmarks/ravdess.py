"""RAVDESS tri-modal benchmark (``scripts/bench_ravdess.py``): features, splits and one training run.

Data (read-only, ../shared/data/ravdess): 1,380 speech clips of 23 actors (Actor 05 absent).

- text: MiniLM token features (streammsa.features.text, the monitor's encoder) of the spoken
  statement, 01 "Kids are talking by the door" / 02 "Dogs are sitting by the door". Both are
  emotionally neutral, so text carries no sentiment here: real text-vs-voice/face conflict.
- audio: the monitor's audio extractor (streammsa.features.audio, 44-d log-mel + prosody, 25 Hz)
  on the 16 kHz FLAC clip.
- vision: the 35 OpenFace action units of the clip (columns 0-34 of au_mfcc.npz), one step
  per clip (the clip's video is not available, so the monitor's face extractor cannot be used).
- label: sentiment intensity from streammsa.datasets.labels (emotion valence x level).
- emotion: 8-class accuracy of a linear probe on each trained model's fused representation
  (streammsa.training.probe); the models are trained on intensity only.

Splits (fixed across seeds, so seeds vary initialisation and batch order only):

- speaker: actors 1-16 train (15 actors, 05 absent), 17-19 valid, 20-24 test (speaker-independent);
- random: clips shuffled with numpy seed 0, 70 % train / 15 % valid / 15 % test;
- fold<i>of<k> (e.g. fold0of6): the 23 actors in k speaker-independent folds (actor order, round
  robin); fold i is test, fold i+1 (mod k) valid, the rest train.

Model selection (early stopping) uses the validation split only; test is scored once per run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec, ModalitySpec
from streammsa.training.dataset import MSADataset, Sample

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


def clip_key(stem: str) -> str:
    """Match audio-only (03-...) and audio-visual (01-...) names: everything after the modality field."""
    return stem.split("-", 1)[1]


def build_cache(data_root: Path, cache_dir: Path) -> Path:
    """Extract (or reuse) the per-clip features; returns the cache .npz path."""
    from streammsa.datasets.corpus_labels import RAVDESS_STATEMENTS
    from streammsa.features import audio as audio_mod
    from streammsa.features import text as text_mod

    rav = data_root / "ravdess"
    files = sorted((rav / "audio").glob("Actor_*/*.flac"))
    if not files:
        raise InputError(f"no RAVDESS clips under {rav / 'audio'}")
    # The key covers the extractors' specs and source code: any change to either re-extracts.
    h = hashlib.sha1()
    for mod in (text_mod, audio_mod):
        h.update(Path(mod.__file__).read_bytes())
    params = [text_mod.default_text_spec().params, audio_mod.default_audio_spec().params, [f.name for f in files]]
    h.update(json.dumps(params, sort_keys=True).encode())
    path = cache_dir / f"features-{h.hexdigest()[:12]}.npz"
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"extracting features of {len(files)} clips into {path}", flush=True)
    text_enc = text_mod.TextEncoder()
    audio_ext = audio_mod.AudioFeatureExtractor()
    au = np.load(rav / "au_mfcc.npz")
    au_by_key = {clip_key(str(i)): row[:AU_COLUMNS] for i, row in zip(au["ids"], au["features"])}
    statements = {k: text_enc.encode(v) for k, v in RAVDESS_STATEMENTS.items()}
    stems, audio, lengths, vision = [], [], [], []
    t0 = time.perf_counter()
    for n, f in enumerate(files):
        k = clip_key(f.stem)
        if k not in au_by_key:
            raise InputError(f"{f.name}: no action units in au_mfcc.npz for it")
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
    from streammsa.datasets.corpus_labels import RAVDESS_EMOTIONS, parse_ravdess
    from streammsa.datasets.labels import intensity_for

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
    spec = FeatureSpec(
        text=_modality_spec(json.loads(str(z["text_spec"]))),
        audio=_modality_spec(json.loads(str(z["audio_spec"]))),
        vision=vision,
    )
    return samples, spec


def actor_folds(samples: list[Sample], fold: int, folds: int) -> dict[str, list[Sample]]:
    """Speaker-independent fold ``fold`` of ``folds``: actors dealt round robin; test = fold, valid = the next."""
    if not (folds >= 3 and 0 <= fold < folds):
        raise InputError(f"need folds >= 3 and 0 <= fold < folds, got fold {fold} of {folds}")
    actors = sorted({int(s.speaker) for s in samples})
    group = {a: k % folds for k, a in enumerate(actors)}
    role = {fold: "test", (fold + 1) % folds: "valid"}
    splits: dict[str, list[Sample]] = {"train": [], "valid": [], "test": []}
    for s in samples:
        splits[role.get(group[int(s.speaker)], "train")].append(s)
    return splits


def fold_scheme(fold: int, folds: int) -> str:
    return f"fold{fold}of{folds}"


def make_splits(samples: list[Sample], scheme: str) -> dict[str, list[Sample]]:
    if scheme.startswith("fold"):
        fold, folds = scheme[len("fold") :].split("of")
        return actor_folds(samples, int(fold), int(folds))
    if scheme == "speaker":
        return {name: [s for s in samples if int(s.speaker) in actors] for name, actors in SPEAKER_SPLIT.items()}
    order = np.random.default_rng(0).permutation(len(samples))
    n_train = int(round(RANDOM_FRACTIONS[0] * len(samples)))
    n_valid = int(round(RANDOM_FRACTIONS[1] * len(samples)))
    parts = {"train": order[:n_train], "valid": order[n_train : n_train + n_valid], "test": order[n_train + n_valid :]}
    return {k: [samples[i] for i in idx] for k, idx in parts.items()}


def run_one(job: dict) -> dict:
    """Train one (split, row, seed) on the validation split; score test metrics and the emotion probe.

    Optional job keys: ``optimizer``, ``weight_decay``, ``schedule``, ``warmup_epochs`` (the trainer's
    defaults when absent); ``probe`` (default True); ``diagnose`` (default False: add the mechanism
    diagnostics of streammsa.training.diagnostics on the test split, and under ``train_split`` on the
    first 300 training clips).
    """
    import torch

    from streammsa.models import build_model
    from streammsa.models.checkpoint import load_model
    from streammsa.models.device import resolve_device
    from streammsa.training.dataset import normalised_spec
    from streammsa.training.probe import emotion_probe_accuracy
    from streammsa.training.trainer import Trainer, TrainOptions, evaluate, seed_everything

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
            model=job["model"],
            data="ravdess",
            out=str(Path(tmp) / "m.pt"),
            overrides=job["overrides"],
            seed=job["seed"],
            device=job["device"],
            epochs=job["epochs"],
            batch_size=job["batch_size"],
            lr=job["lr"],
            patience=job["patience"],
            metric="MAE",
            progress=False,
            **{k: job[k] for k in ("optimizer", "weight_decay", "schedule", "warmup_epochs") if k in job},
        )
        t0 = time.perf_counter()
        trainer = Trainer(model, ds["train"], ds["valid"], opts, spec)
        result = trainer.fit()
        best, _ = load_model(result.checkpoint, trainer.device)
        test, _ = evaluate(best, ds["test"], trainer.device)
        if job.get("probe", True):
            test["emotion_acc8"] = emotion_probe_accuracy(
                best, ds["train"], ds["test"], trainer.device, seed=job["seed"]
            )
        seconds = time.perf_counter() - t0
        diagnostics = None
        if job.get("diagnose"):
            from streammsa.training.diagnostics import diagnose

            diagnostics = diagnose(best, ds["test"], device=str(trainer.device))
            # the same on (the first 300 clips of) the training actors: does it work where it was fitted?
            seen = MSADataset(splits["train"][:300], spec, "ravdess", "train")
            diagnostics["train_split"] = diagnose(best, seen, device=str(trainer.device))
    return {
        **{k: job[k] for k in ("scheme", "row", "model", "overrides", "seed")},
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "valid_MAE": result.best_valid["MAE"],
        "test": test,
        "seconds": seconds,
        "sizes": {k: len(v) for k, v in ds.items()},
        **({"diagnostics": diagnostics} if diagnostics is not None else {}),
    }


def run_jobs(
    jobs: Sequence[dict], workers: int, record: Callable[[dict], None], run: Callable[[dict], dict] = run_one
) -> None:
    """``run`` over every job, in ``workers`` spawned processes when more than one; ``record`` gets each result as
    it finishes, in whatever order, so a benchmark stopped at a time limit keeps every run that finished (in job
    order, one long run held back all those after it). A run that fails does not lose the others: the first
    failure is raised once every other run has been recorded."""
    if workers <= 1:
        for job in jobs:
            record(run(job))
        return
    import multiprocessing as mp

    failure: BaseException | None = None
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        for done in as_completed([pool.submit(run, job) for job in jobs]):
            if (error := done.exception()) is not None:
                failure = failure or error
                continue
            record(done.result())
    if failure is not None:
        raise failure
