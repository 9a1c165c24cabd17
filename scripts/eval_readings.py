"""Readings on plainly labelled inputs, in one table: plain sentences (text alone, and spoken end to end),
nobody speaking (silence, tone, noise), and the demo clip's text reading over time.

Usage: .venv/bin/python scripts/eval_readings.py [--checkpoint PATH] [--json OUT] [--voices en-us,en-gb]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from streammsa.engine.inference import EngineConfig
from streammsa.errors import StreamMSAError
from streammsa.monitor import Components, MonitorConfig
from streammsa.paths import REPO_ROOT, demo_clip
from streammsa.training.evaluation import plain_inputs as P

SENTENCES = (REPO_ROOT or Path.cwd()) / "scripts" / "data" / "plain_sentences.tsv"


def fmt(summary: dict | None) -> str:
    if not summary:
        return "n/a"
    means = " ".join(
        f"{name[:3]} {summary[name]['mean']:+.2f}" for name in ("positive", "neutral", "negative") if summary.get(name)
    )
    extra = f" acc {summary['polarity_acc']:.3f}" if summary.get("polarity_acc") is not None else ""
    extra += f" AUROC {summary['auroc']:.3f}" if "auroc" in summary else ""
    return f"{means}{extra} (n={summary['n']}/{summary['of']})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped monitor checkpoint")
    ap.add_argument("--sentences", type=Path, default=SENTENCES)
    ap.add_argument("--voices", default=",".join(P.ESPEAK_VOICES), help="espeak-ng voices, comma-separated")
    ap.add_argument("--skip-spoken", action="store_true", help="skip the end-to-end spoken sentences (slowest part)")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure and item here")
    args = ap.parse_args(argv)
    try:
        sentences = P.load_sentences(args.sentences)
        components = Components.build(MonitorConfig(engine=EngineConfig(checkpoint=args.checkpoint, device="cpu")))
        res: dict = {"checkpoint": str(args.checkpoint or "default"), "text_alone": P.text_alone(components, sentences)}
        if not args.skip_spoken:
            res["spoken"] = P.spoken(components, sentences, [v for v in args.voices.split(",") if v])
        res["nobody_speaking"] = P.nobody_speaking(components)
        res["demo"] = P.demo_text_over_time(components, demo_clip())
    except StreamMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    ta = res["text_alone"]
    print(f"plain sentences, text alone: model text reading  {fmt(ta['text_reading'])}")
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
