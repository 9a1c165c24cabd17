"""Readings on plainly labelled inputs, in one table: plain sentences (text alone, and spoken end to end),
nobody speaking (silence, tone, noise), neutral speech from each source as the monitor shows it, still faces of
held-out people end to end, the demo clip's text reading over time, and (``--held-out``) each modality alone on
held-out identities: polarity AUROC, MAE and neutral calibration, beside VADER and the expression classifier's
happy probability, and (``--cross-corpus``) whether a voice from a corpus the voice reader never heard lowers the
overall reading (training/evaluation/cross_corpus_voice.py).

Usage: .venv/bin/python scripts/eval_readings.py [--checkpoint PATH] [--json OUT] [--voices en-us,en-gb]
                                                 [--held-out] [--cross-corpus] [--faces-per-class 3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.datasets.build import DEFAULT_CACHE
from streammsa.engine.inference import EngineConfig, resolve_checkpoint
from streammsa.errors import StreamMSAError, UsageError
from streammsa.monitor import Components
from streammsa.paths import demo_clip, shared_data
from streammsa.training.evaluation import plain_inputs as P
from streammsa.training.evaluation.readers import add_reader_options, monitor_config

SENTENCES = P.sentences_file()


def fmt(summary: dict | None) -> str:
    if not summary:
        return "n/a"
    means = " ".join(
        f"{name[:3]} {summary[name]['mean']:+.2f}" for name in ("positive", "neutral", "negative") if summary.get(name)
    )
    extra = f" acc {summary['polarity_acc']:.3f}" if summary.get("polarity_acc") is not None else ""
    extra += f" AUROC {summary['auroc']:.3f}" if "auroc" in summary else ""
    return f"{means}{extra} (n={summary['n']}/{summary['of']})"


def held_out_line(name: str, row: dict) -> str:
    """One set of the held-out evaluation: the model's head for that modality, and the set's baseline."""
    parts = [f"held-out {name:14s} n={row['n']:5d}"]
    for key, val in row.items():
        if isinstance(val, dict) and "modality_head" in val:
            h = val["modality_head"]
            neu = h.get("neutral")
            calib = f" neutral {neu['mean']:+.2f}+-{neu['std']:.2f} (n={neu['n']})" if neu else ""
            auroc = "n/a" if h.get("AUROC") is None else f"{h['AUROC']:.3f}"
            parts.append(f"{key} head AUROC {auroc} MAE {h['MAE']:.3f}{calib}")
        elif isinstance(val, dict) and val.get("AUROC") is not None:
            neu = val.get("neutral")
            calib = f" neutral {neu['mean']:+.2f}+-{neu['std']:.2f}" if neu else ""
            mae = f" MAE {val['MAE']:.3f}" if "MAE" in val else ""
            parts.append(f"{key} AUROC {val['AUROC']:.3f}{mae}{calib}")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped monitor checkpoint")
    ap.add_argument("--sentences", type=Path, default=SENTENCES)
    ap.add_argument("--voices", default=",".join(P.ESPEAK_VOICES), help="espeak-ng voices, comma-separated")
    ap.add_argument("--skip-spoken", action="store_true", help="skip the end-to-end spoken sentences (slowest part)")
    ap.add_argument("--skip-neutral-voices", action="store_true", help="skip neutral speech from each source")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure and item here")
    ap.add_argument("--faces-per-class", type=int, default=8, help="held-out photos per expression (0: none)")
    ap.add_argument("--held-out", action="store_true", help="also each modality alone on held-out identities")
    ap.add_argument(
        "--cross-corpus",
        action="store_true",
        help="also the voice across corpora in the overall reading (scripts/eval_cross_corpus_voice.py; needs the "
        "composed dataset)",
    )
    add_reader_options(ap)
    ap.add_argument("--shared", type=Path, default=shared_data(), help="the corpora (default ../shared/data)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE.expanduser(), help="feature cache (held-out)")
    args = ap.parse_args(argv)
    try:
        sentences = P.load_sentences(args.sentences)
        components = Components.build(monitor_config(args, args.checkpoint))
        res: dict = {"checkpoint": str(args.checkpoint or "default"), "text_alone": P.text_alone(components, sentences)}
        voices = [v for v in args.voices.split(",") if v]
        if not args.skip_spoken:
            res["spoken"] = P.spoken(components, sentences, voices)
        res["nobody_speaking"] = P.nobody_speaking(components)
        if not args.skip_neutral_voices:
            res["neutral_voices"] = P.neutral_voices(components, args.shared, voices)
        if args.faces_per_class > 0:
            res["faces"] = P.still_faces(components, args.shared, args.faces_per_class)
        if args.held_out:
            from streammsa.training.evaluation.unimodal import eval_unimodal

            ckpt = str(resolve_checkpoint(EngineConfig(checkpoint=args.checkpoint)))
            res["held_out"] = eval_unimodal(
                [ckpt],
                args.shared,
                args.cache,
                "test",
                components.text_reader,
                components.face_reader,
                components.voice_reader,
            )
        if args.cross_corpus:
            from streammsa.datasets.build import DEFAULT_OUT
            from streammsa.training.evaluation.cross_corpus_voice import evaluate

            if components.voice_reader is None:
                raise UsageError("--cross-corpus refits the voice reader: it needs one (not --voice-reader head)")
            readers = {
                "text_reader": components.text_reader,
                "voice_reader": components.voice_reader,
                "face_reader": components.face_reader,
                "face_shown": components.face_shown,
            }
            ckpt = str(resolve_checkpoint(EngineConfig(checkpoint=args.checkpoint)))
            from streammsa.training.voice_reader import reader_cache_dir, window_cache_path

            cache = window_cache_path(reader_cache_dir(DEFAULT_CACHE.expanduser()))
            res["cross_corpus_voice"] = evaluate(ckpt, DEFAULT_OUT.expanduser(), args.shared, cache, readers)
        res["demo"] = P.demo_text_over_time(components, demo_clip())
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    ta = res["text_alone"]
    print(f"plain sentences, text alone: text reading        {fmt(ta['text_reading'])}")
    print(f"                             model overall       {fmt(ta['overall'])}")
    print(f"                             VADER x3            {fmt(ta['vader'])}")
    if "spoken" in res:
        sp = res["spoken"]
        for k in ("overall", "text", "audio"):
            print(f"plain sentences, spoken end to end ({args.voices}): {k:7s} {fmt(sp[k])}")
        print(f"                             windows with a voice reading in {sp['audio_present']:.0%} of clips")
    for name, r in res["nobody_speaking"].items():
        print(f"{name:12s}: {r['voice_windows']}/{r['windows']} windows read a voice, overall mean "
              f"{r['overall_mean']}, {r['alerts']} alerts")  # fmt: skip
    for name, r in (res.get("neutral_voices") or {}).items():
        if r["windows"]:
            print(f"neutral voice, {name}: shown {r['mean']:+.2f}+-{r['std']:.2f}, {r['within_0.4']:.0%} of "
                  f"{r['windows']} windows within +-0.4, confidence {r['confidence_mean']:.2f} "
                  f"({r['streams']} streams)")  # fmt: skip
    if "faces" in res:
        for c in P.FACE_CLASSES:
            f = res["faces"][c]
            face = "n/a" if f["face_mean"] is None else f"{f['face_mean']:+.2f}"
            overall = "n/a" if f["overall_mean"] is None else f"{f['overall_mean']:+.2f}"
            median = "n/a" if f["face_median"] is None else f"{f['face_median']:+.2f}"
            print(f"still face, held-out people, {c:9s}: face {face} (median {median}) overall {overall} (n={f['n']})")
    for name, row in (res.get("held_out") or {}).get("sets", {}).items():
        print(held_out_line(name, row))
    if "cross_corpus_voice" in res:
        from streammsa.training.evaluation.cross_corpus_voice import report_lines

        print("\n".join(report_lines(res["cross_corpus_voice"])))
    print("demo clip (t_end, text, voice, overall, transcript):")
    for r in res["demo"]:
        text = "  -  " if r["text"] is None else f"{r['text']:+.2f}"
        voice = "  -  " if r["audio"] is None else f"{r['audio']:+.2f}"
        print(f"  {r['t_end']:5.1f} {text} {voice} {r['overall']:+.2f}  {r['transcript'][:70]}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
