"""`streammsa doctor`: check an installation and say what to do about each problem.

Each check is one function in ``CHECKS`` returning ``Check`` lines: ``ok``, ``info``, ``warn``
(a feature is unavailable, the monitor still runs) or ``fail`` (a run cannot work). Exit 0
when nothing failed, 1 otherwise. ``--quick`` skips loading the models (the slow part).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from streammsa import __version__, paths
from streammsa.errors import StreamMSAError

HELP = "Check this installation (models, dashboard, devices, ports, GPU) and say what to fix"
DESCRIPTION = (
    "Check that streammsa can run here: packages, offline model files, checkpoints (loaded), the dashboard page, "
    "the demo clip, cameras and microphones, the dashboard port, the GPU, network-stream support and the training "
    "extras. Each problem comes with what to do. Exit 0 when the monitor is usable, 1 otherwise."
)

Status = Literal["ok", "info", "warn", "fail"]
# what a run imports (torch first: the others are quicker once it is loaded)
RUNTIME_MODULES = (
    "torch",
    "torchaudio",
    "numpy",
    "av",
    "cv2",
    "mediapipe",
    "faster_whisper",
    "tokenizers",
    "safetensors",
    "ai_edge_litert",
    "websockets",
    "matplotlib",
    "tqdm",
)
TRAIN_MODULES = ("yaml", "vaderSentiment")  # the `train` extra (pyproject.toml)
TRAIN_INSTALL = "pip install 'streammsa[train]'"


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def _reinstall_hint() -> str:
    if paths.REPO_ROOT is not None:
        return f"run `bash scripts/setup.sh` in {paths.REPO_ROOT}"
    return "reinstall streammsa with its dependencies: pip install --force-reinstall streammsa"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ---- the checks, in the order they are printed ---------------------------------------------------


def check_installation(args: argparse.Namespace) -> list[Check]:
    where = f"source checkout {paths.REPO_ROOT}" if paths.REPO_ROOT else f"installed package {paths.PACKAGE_DIR}"
    py = sys.version_info
    checks = [Check("streammsa", "ok", f"{__version__} from {where}")]
    if py < (3, 10):
        checks.append(Check("python", "fail", f"{py.major}.{py.minor} is too old", "use Python 3.10 or newer"))
    else:
        checks.append(Check("python", "ok", f"{py.major}.{py.minor}.{py.micro} ({sys.executable})"))
    return checks


def check_packages(args: argparse.Namespace) -> list[Check]:
    versions, missing = [], []
    for name in RUNTIME_MODULES:
        try:
            module = importlib.import_module("streammsa.capture.opencv_quiet" if name == "cv2" else name)
            module = getattr(module, "cv2", module)
            versions.append(f"{name} {getattr(module, '__version__', '?')}")
        except Exception as exc:  # noqa: BLE001 - a broken binary raises anything; report it, check the rest
            missing.append(f"{name} ({_one_line(exc)})")
    if missing:
        return [Check("packages", "fail", "cannot import " + "; ".join(missing), _reinstall_hint())]
    return [Check("packages", "ok", ", ".join(versions))]


def check_model_files(args: argparse.Namespace) -> list[Check]:
    from streammsa import assets
    from streammsa.errors import InputError

    out = []
    for what, find in assets.checks().items():
        try:
            out.append(Check(what, "ok", str(find())))
        except InputError as exc:
            detail, _, fix = str(exc).partition("; ")
            needed = what in assets.RUN_MODELS
            status: Status = "fail" if needed else "warn"
            out.append(Check(what, status, detail + ("" if needed else " (optional feature)"), fix))
    return out


def check_checkpoints(args: argparse.Namespace) -> list[Check]:
    from streammsa.engine.inference import EngineConfig, resolve_checkpoint
    from streammsa.models.checkpoint import load_model

    out = []
    for model, required in (("cacr", True), ("dbr", False)):
        name = f"checkpoint {model}"
        try:
            path = resolve_checkpoint(EngineConfig(model=model))
            _, meta = load_model(path, "cpu")
        except Exception as exc:  # noqa: BLE001 - unreadable files raise torch/pickle errors of every kind
            fix = "pass --checkpoint PATH to live/replay, or train one with `streammsa train`"
            out.append(Check(name, "fail" if required else "warn", _one_line(exc), fix))
            continue
        default = " (the default)" if required else " (--model dbr)"
        out.append(Check(name, "ok", f"{path} loads: {meta.get('model_name', model)}{default}"))
    out.extend(check_readers())
    return out


def check_readers() -> list[Check]:
    """Each modality's own reader loads over the model it was fitted on (models/text_reader.py, voice_, face_reader)."""
    from streammsa.models import face_reader, text_reader, voice_reader

    readers = (  # (modality, what it reads, load, its file, what the loaded reader is)
        ("text", "words", text_reader.load_reader, text_reader.default_path,
         lambda r: f"top {r.top_layers} MiniLM layers fine-tuned"),
        ("voice", "voice", voice_reader.load_voice_reader, voice_reader.default_path,
         lambda r: r.describe()),
        ("face", "face", face_reader.load_face_reader, face_reader.default_path,
         lambda r: r.describe()),
    )  # fmt: skip
    out = []
    for modality, what, load, path, describe in readers:
        try:
            reader = load()
        except Exception as exc:  # noqa: BLE001 - a missing, foreign or unreadable file: this check's answer
            fix = f"run the set-up again, or pass --{modality}-reader head to read the {what} by the model's own head"
            out.append(Check(f"{modality} reader", "fail", _one_line(exc), fix))
            continue
        out.append(Check(f"{modality} reader", "ok", f"{path()} loads: {describe(reader)}"))
    return out


def check_pipeline(args: argparse.Namespace) -> list[Check]:
    if args.quick:
        return [Check("pipeline", "info", "not loaded (--quick)")]
    from streammsa.engine.inference import EngineConfig
    from streammsa.monitor import Components, MonitorConfig

    t0 = time.monotonic()
    try:
        # every part, not just the model: the others load in the background (monitor/components.py)
        components = Components.build(MonitorConfig(engine=EngineConfig(device="cpu"))).wait()
    except Exception as exc:  # noqa: BLE001 - whatever stops a run from starting is this check's answer
        fix = exc_fix(exc)
        return [Check("pipeline", "fail", f"the models do not load: {_one_line(exc)}", fix)]
    engine = components.engine
    trained = "trained" if engine.trained else "UNTRAINED"
    took = time.monotonic() - t0
    detail = f"recogniser, text/voice/face extractors and {engine.name} ({trained}) load in {took:.1f} s"
    return [Check("pipeline", "ok", detail)]


def exc_fix(exc: BaseException) -> str:
    # our own errors already end with what to do
    return "" if isinstance(exc, StreamMSAError) else _reinstall_hint()


def check_dashboard(args: argparse.Namespace) -> list[Check]:
    web = paths.web_dir()
    missing = [f for f in ("index.html", "app.js") if not (web / f).is_file()]
    if missing:
        return [Check("dashboard page", "fail", f"{', '.join(missing)} missing in {web}", _reinstall_hint())]
    checks = [Check("dashboard page", "ok", str(web))]
    port = args.port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
            checks.append(Check("dashboard port", "ok", f"{port} is free"))
        except OSError as exc:
            fix = "pass --port N (or --port 0 for any free port) to live/replay/demo, or --no-dashboard"
            checks.append(Check("dashboard port", "warn", f"{port} is not available ({exc.strerror})", fix))
    return checks


def check_demo(args: argparse.Namespace) -> list[Check]:
    clip = paths.demo_clip()
    if clip.is_file():
        return [Check("demo clip", "ok", str(clip))]
    if paths.REPO_ROOT is not None:
        fix = f"cd {paths.REPO_ROOT} && .venv/bin/python scripts/make_demo_media.py (needs espeak-ng)"
    else:
        fix = "this wheel was built without it; use `streammsa replay FILE` on any recording"
    return [Check("demo clip", "warn", f"{clip} is missing: `streammsa demo` cannot run", fix)]


def check_devices(args: argparse.Namespace) -> list[Check]:
    from streammsa.capture.camera import camera_device_nodes
    from streammsa.capture.devices import list_audio_inputs
    from streammsa.errors import DeviceError

    out = []
    nodes = camera_device_nodes()
    if nodes:
        out.append(Check("cameras", "ok", ", ".join(f"/dev/video{i}" for i in nodes) + " (see `streammsa devices`)"))
    elif sys.platform.startswith("linux"):
        fix = "plug one in, use `streammsa live --url URL` for a network camera, or `streammsa replay FILE`"
        out.append(Check("cameras", "warn", "none found: `streammsa live` needs --no-camera or --url URL", fix))
    else:
        out.append(Check("cameras", "info", "run `streammsa devices` to probe them"))
    try:
        mics = list_audio_inputs()
    except DeviceError as exc:
        out.append(Check("microphones", "warn", _one_line(exc).split("; ")[0], "install libportaudio2 for live audio"))
        return out
    if mics:
        out.append(Check("microphones", "ok", ", ".join(f"{m.index}: {m.name}" for m in mics)))
    else:
        fix = "plug one in, or see README 'Meeting audio' for loopback devices; replay works without"
        out.append(Check("microphones", "warn", "no audio input device", fix))
    return out


def check_gpu(args: argparse.Namespace) -> list[Check]:
    import torch

    if not torch.cuda.is_available():
        return [Check("gpu", "info", "no CUDA GPU: the monitor runs on CPU (the model is small)")]
    try:
        x = torch.randn(256, 256, device="cuda")
        float((x @ x).sum())  # a real kernel: a driver mismatch fails here, not in a run
    except Exception as exc:  # noqa: BLE001 - CUDA errors come in many types
        return [Check("gpu", "warn", f"CUDA is present but unusable ({_one_line(exc)})", "pass --device cpu")]
    props = torch.cuda.get_device_properties(0)
    detail = f"{props.name}, {props.total_memory / 2**30:.0f} GiB: --device auto runs the model there"
    return [Check("gpu", "ok", detail)]


def check_network_streams(args: argparse.Namespace) -> list[Check]:
    import av

    wanted = {"rtsp": "RTSP", "flv": "RTMP", "hls": "HLS"}
    missing = [label for fmt, label in wanted.items() if fmt not in av.formats_available]
    if missing:
        return [Check("network streams", "warn", f"this FFmpeg build lacks {', '.join(missing)}", _reinstall_hint())]
    return [Check("network streams", "ok", "RTSP, RTMP, HTTP(S) and HLS through PyAV (`streammsa live --url URL`)")]


def check_training_extras(args: argparse.Namespace) -> list[Check]:
    import importlib.util

    missing = [m for m in TRAIN_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        detail = f"not installed ({', '.join(missing)}): `streammsa train` and `eval` are unavailable"
        return [Check("training extras", "info", detail, TRAIN_INSTALL)]
    return [Check("training extras", "ok", "streammsa train / eval available")]


def check_run_folder(args: argparse.Namespace) -> list[Check]:
    cwd = os.getcwd()
    if os.access(cwd, os.W_OK):
        return [Check("run folder", "ok", f"runs are written under {os.path.join(cwd, 'runs')} unless --out DIR")]
    return [Check("run folder", "warn", f"{cwd} is not writable", "pass --out DIR to live/replay/demo")]


CHECKS: list[Callable[[argparse.Namespace], list[Check]]] = [
    check_installation,
    check_packages,
    check_model_files,
    check_checkpoints,
    check_pipeline,
    check_dashboard,
    check_demo,
    check_devices,
    check_gpu,
    check_network_streams,
    check_training_extras,
    check_run_folder,
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="skip loading the models (the slow check)")
    parser.add_argument("--port", type=int, default=8765, help="dashboard port to check (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run_checks(args: argparse.Namespace, on_check: Callable[[Check], None] | None = None) -> list[Check]:
    results: list[Check] = []
    for check in CHECKS:
        try:
            found = check(args)
        except Exception as exc:  # noqa: BLE001 - a crashing check is a failed check, the others still run
            found = [Check(check.__name__.removeprefix("check_").replace("_", " "), "fail", _one_line(exc))]
        for c in found:
            results.append(c)
            if on_check is not None:
                on_check(c)
    return results


def _print(check: Check) -> None:
    tag = {"ok": "ok", "info": "info", "warn": "warn", "fail": "FAIL"}[check.status]
    print(f"  {tag:<5} {check.name}: {check.detail}", flush=True)
    if check.fix and check.status != "ok":
        print(f"        -> {check.fix}", flush=True)


def run(args: argparse.Namespace) -> int:
    results = run_checks(args, on_check=None if args.json else _print)
    failed = [c for c in results if c.status == "fail"]
    warned = [c for c in results if c.status == "warn"]
    if args.json:
        print(json.dumps({"usable": not failed, "checks": [asdict(c) for c in results]}))
    elif failed:
        print(f"streammsa is NOT usable here: fix the {len(failed)} FAIL line(s) above", flush=True)
    else:
        note = f" ({len(warned)} warning(s): features above are unavailable)" if warned else ""
        print(f"streammsa is usable{note}", flush=True)
    return 1 if failed else 0
