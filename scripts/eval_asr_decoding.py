"""Word error rate and CPU seconds of the ``--fast`` recogniser (``asr/fast.py``: Whisper tiny.en on long blocks)
at several beam sizes (``BatchASRConfig.beam_size``; 5 in a replay), on real speech with known words:

- RAVDESS: per actor, ten of their clips (every sixth file: both statements, several emotions) back to back with
  0.5 s of silence, about 42 s a stream (23 streams; the statements are "Kids are talking by the door" and "Dogs
  are sitting by the door", from the file names);
- GRID: the eleven clips of ../shared/data/grid back to back (the pipeline bench clip's speech; the words from
  the file names: "bbaf2n" is "bin blue at f two now");
- the demo clip (espeak-ng reading ``scripts/make_demo_media.py``'s script).

Each stream goes through ``BatchASRProcessor`` as in a ``--fast`` replay (its audio in, then ``finish()``); CPU
seconds are the process's over the decodes (two decoder threads). Words are compared lower-cased, digits spelled
out, a letter-digit pair ("F2") as two words.

A replay keeps beam 5 although the greedy decoder was as accurate here and cheaper on most of this speech: its
punctuation ends more sentences ("frustrating." where beam 5 wrote "frustrating,"), and the text reading, which
reads each window's words by sentence, then read the demo's negative second half about half as negative
(docs/benchmarks.md, "Session 18").

Usage: python scripts/eval_asr_decoding.py [--beams 5,2,1] [--shared ../shared/data] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import time
from pathlib import Path

import numpy as np

from streammsa.paths import demo_clip, shared_data

DIGITS = "zero one two three four five six seven eight nine".split()
GRID_WORDS = (
    {"b": "bin", "l": "lay", "p": "place", "s": "set"},
    {"b": "blue", "g": "green", "r": "red", "w": "white"},
    {"a": "at", "b": "by", "i": "in", "w": "with"},
    None,  # the letter itself
    {"z": "zero", **{str(d): w for d, w in enumerate(DIGITS)}},
    {"a": "again", "n": "now", "p": "please", "s": "soon"},
)
RAVDESS_STATEMENTS = {"01": "kids are talking by the door", "02": "dogs are sitting by the door"}


def words_of(text: str) -> list[str]:
    out: list[str] = []
    for w in re.findall(r"[a-z0-9']+", text.lower()):
        if m := re.fullmatch(r"([a-z])(\d)", w):
            out += [m.group(1), DIGITS[int(m.group(2))]]
        elif w.isdigit():
            out += [DIGITS[int(c)] for c in w]
        else:
            out.append(w)
    return out


def grid_words(path: Path) -> list[str]:
    code = path.stem.split("_")[-1][:6]
    return [c if table is None else table[c] for c, table in zip(code, GRID_WORDS)]


def errors(ref: list[str], hyp: list[str]) -> int:
    """Word-level edit distance (substitutions + deletions + insertions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def streams(data: Path) -> dict[str, list[tuple[np.ndarray, list[str]]]]:
    from streammsa.capture.media_file import read_audio

    gap = np.zeros(8000, np.float32)
    ravdess = []
    for actor in sorted((data / "ravdess" / "audio").glob("Actor_*")):
        files = sorted(actor.glob("*.flac"))[::6][:10]
        audio = np.concatenate([x for f in files for x in (read_audio(f), gap)])
        ravdess.append((audio, [w for f in files for w in RAVDESS_STATEMENTS[f.name.split("-")[4]].split()]))
    clips = sorted((data / "grid").glob("*.mpg"))
    grid = [(np.concatenate([read_audio(c) for c in clips]), [w for c in clips for w in grid_words(c)])]
    spec = importlib.util.spec_from_file_location("make_demo_media", Path(__file__).with_name("make_demo_media.py"))
    demo_media = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo_media)  # type: ignore[union-attr]
    demo = [(read_audio(demo_clip()), words_of(demo_media.SCRIPT))]
    return {"ravdess": ravdess, "grid": grid, "demo": demo}


def main(argv: list[str] | None = None) -> int:
    from streammsa.asr.fast import BatchASRConfig, BatchASRProcessor
    from streammsa.asr.whisper_backend import WhisperBackend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beams", default="5,2,1")
    parser.add_argument("--shared", type=Path, default=shared_data())
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sets = streams(args.shared)
    backend = WhisperBackend()
    backend.transcribe(sets["demo"][0][0][: 3 * 16000])  # the first decode's one-time costs are not timed
    rows = []
    for beam in (int(b) for b in args.beams.split(",")):
        row = {"beam": beam}
        for name, items in sets.items():
            errs = n = 0
            cpu = 0.0
            for audio, ref in items:
                asr = BatchASRProcessor(backend, BatchASRConfig(beam_size=beam))
                c0 = time.process_time()
                asr.insert_audio_chunk(audio)
                words = asr.finish()
                cpu += time.process_time() - c0
                errs += errors(ref, words_of("".join(w.text for w in words)))
                n += len(ref)
            row[name] = {"wer": round(errs / n, 4), "errors": errs, "words": n, "cpu_s": round(cpu, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    names = list(sets)
    print()
    print("| beam | " + " | ".join(f"{s}: WER (errors / words), CPU s" for s in names) + " |")
    print("|---:|" + "---:|" * len(names))
    for r in rows:
        cells = [f"{r[s]['wer']:.3f} ({r[s]['errors']} / {r[s]['words']}), {r[s]['cpu_s']:.1f}" for s in names]
        print(f"| {r['beam']} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({"streams": {s: len(v) for s, v in sets.items()}, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
