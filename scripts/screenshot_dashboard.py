"""Take the README's dashboard picture from a real run: replay a clip, then photograph the page.

The clip (default: the embedded demo) is replayed through the real monitor with the dashboard on a
free loopback port; once the replay has ended, headless Chromium opens the page, which receives
the run's history (every reading, alert and transcript) and shows the finished state.

Usage: python scripts/screenshot_dashboard.py [--clip demo_media/demo.mp4] [--out docs/dashboard.png]
           [--replay-args "--participants 2"]

``--replay-args`` takes any ``streammsa replay`` options (model, ASR, thresholds, ``--participants``, ``--speed``),
parsed by the replay command's own parser into the same ``MonitorConfig``; the run folder (a temporary one), the
dashboard (on, any free port) and the pacing (``--fast`` unless ``--speed`` is given) stay the script's. With
participants on the page, the first person's row is selected so the cards show someone's readings.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from streammsa.paths import demo_clip, docs_dir

if TYPE_CHECKING:
    from streammsa.monitor import MonitorConfig

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def replay_config(clip: Path, extra: list[str], out_dir: Path) -> MonitorConfig:
    """The MonitorConfig `streammsa replay CLIP EXTRA...` would use, with the script's output, dashboard and pacing."""
    from streammsa.commands import replay
    from streammsa.commands.monitor_options import config_from_args

    rp = argparse.ArgumentParser(prog="streammsa replay (--replay-args)")
    replay.add_arguments(rp)
    rargs = rp.parse_args([str(clip), *extra])
    paced = any(a == "--speed" or a.startswith("--speed=") for a in extra)
    cfg = config_from_args(rargs, source_name=clip.name, speed=rargs.speed if paced else None, live=False)
    dashboard = dataclasses.replace(cfg.dashboard, enabled=True, host="127.0.0.1", port=0, open_browser=False)
    return dataclasses.replace(cfg, out_dir=out_dir, progress=False, keep_dashboard_open=True, dashboard=dashboard)


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from streammsa.capture.media_file import MediaFileSource
    from streammsa.monitor import Components, Monitor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=demo_clip())
    parser.add_argument("--out", type=Path, default=(docs_dir() or Path("docs")) / "dashboard.png")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=1100)
    parser.add_argument(
        "--replay-args",
        default="",
        metavar='"OPTIONS"',
        help='extra `streammsa replay` options as one string, e.g. "--participants 2" or "--model dbr --untrained"',
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        cfg = replay_config(args.clip, shlex.split(args.replay_args), Path(tmp))
        components = Components.build(cfg)
        monitor = Monitor(cfg, [MediaFileSource(args.clip)], components=components, source_name=args.clip.name)
        monitor.open()
        result = monitor.run()
        url = monitor.dashboard_url
        print(f"replayed {args.clip.name}: {result.readings} readings; dashboard {url}")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                page.goto(url)
                page.wait_for_timeout(2500)  # history arrives and the chart settles
                first = page.locator('[data-testid="participant-row"]').first
                if first.count():  # a meeting: the room stream has no readings of its own, a person has
                    first.click()
                    page.wait_for_timeout(500)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            monitor.close()
    print(f"screenshot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
