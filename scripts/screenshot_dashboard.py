"""Take the README's dashboard picture from a real run: replay a clip, then photograph the page.

The clip (default: the embedded demo) is replayed through the real monitor with the dashboard on a
free loopback port; once the replay has ended, headless Chromium opens the page, which receives
the run's history (every reading, alert and transcript) and shows the finished state.

Usage: python scripts/screenshot_dashboard.py [--clip demo_media/demo.mp4] [--out docs/dashboard.png]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from streammsa.paths import demo_clip, docs_dir

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from streammsa.capture.media_file import MediaFileSource
    from streammsa.monitor import Components, DashboardConfig, Monitor, MonitorConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=demo_clip())
    parser.add_argument("--out", type=Path, default=(docs_dir() or Path("docs")) / "dashboard.png")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=1100)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        cfg = MonitorConfig(
            out_dir=Path(tmp),
            speed=None,
            progress=False,
            keep_dashboard_open=True,
            dashboard=DashboardConfig(enabled=True, port=0),
        )
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
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            monitor.close()
    print(f"screenshot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
