"""Which files a batch processes (a folder, a glob pattern or one file) and the output folder of each.

A folder is searched recursively for media files (by extension; hidden folders and the batch's own
output folder are skipped); a glob takes every regular file it matches, whatever its extension (a
pattern names exactly what the user meant). Each file's output folder is its path relative to the
folder (or to the glob's fixed part) with separators turned into ``__``: stable across reruns, so a
rerun finds what is done.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from streammsa.errors import InputError

MEDIA_SUFFIXES = frozenset(
    ".mp4 .m4v .mov .mkv .webm .mpg .mpeg .avi .ts .flv .wmv .wav .flac .mp3 .m4a .aac .ogg .oga .opus .wma".split()
)
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class BatchJob:
    path: Path  # the media file, absolute
    name: str  # its output folder under the batch's --out
    size: int  # bytes, with mtime_ns: a file changed since it was processed is processed again
    mtime_ns: int


def _is_hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts[:-1])


def _scan_folder(root: Path, exclude: Path | None) -> list[Path]:
    found = []
    for p in root.rglob("*"):
        if p.suffix.lower() not in MEDIA_SUFFIXES or not p.is_file() or _is_hidden(p.relative_to(root)):
            continue
        if exclude is not None and p.resolve().is_relative_to(exclude):
            continue
        found.append(p.resolve())
    return found


def _glob_base(pattern: str) -> Path:
    """The fixed part of a glob pattern (the folders before its first wildcard)."""
    fixed: list[str] = []
    for part in Path(os.path.expanduser(pattern)).parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        fixed.append(part)
    return Path(*fixed).resolve() if fixed else Path.cwd()


def job_name(path: Path, base: Path) -> str:
    rel = path.relative_to(base) if path.is_relative_to(base) else Path(path.name)
    name = "__".join(_UNSAFE.sub("_", part) for part in rel.parts)
    return name.lstrip(".") or "file"


def find_jobs(spec: str | os.PathLike[str], exclude: Path | None = None) -> list[BatchJob]:
    """The jobs for ``spec`` (a folder, a glob pattern or one file), sorted by path; one clear line when none."""
    text = str(spec)
    exclude = Path(exclude).resolve() if exclude is not None else None
    path = Path(text).expanduser()
    if path.is_dir():
        base = path.resolve()
        files = _scan_folder(base, exclude)
        where = f"{path} (looked for {', '.join(sorted(MEDIA_SUFFIXES))})"
    elif path.is_file():
        base = path.resolve().parent
        files = [path.resolve()]
        where = str(path)
    elif _GLOB_CHARS.search(text):
        base = _glob_base(text)
        files = [Path(p).resolve() for p in glob.glob(os.path.expanduser(text), recursive=True) if Path(p).is_file()]
        if exclude is not None:
            files = [f for f in files if not f.is_relative_to(exclude)]
        where = f"the pattern {text!r}"
    else:
        raise InputError(f"{text} does not exist; pass a folder, a glob pattern (quoted: 'calls/*.wav') or a file")
    if not files:
        raise InputError(f"no media files found in {where}; check the path or pattern")
    jobs: list[BatchJob] = []
    used: set[str] = set()
    for f in sorted(set(files)):
        name = job_name(f, base)
        unique, n = name, 2
        while unique in used:  # two paths that sanitise alike ("a b.wav", "a_b.wav") stay apart
            unique, n = f"{name}-{n}", n + 1
        used.add(unique)
        st = f.stat()
        jobs.append(BatchJob(path=f, name=unique, size=st.st_size, mtime_ns=st.st_mtime_ns))
    return jobs
