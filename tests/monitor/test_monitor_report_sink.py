"""The report sink of a --fast run imports the chart's plotting library while the run goes on, so the report does
not wait for it after the last reading; paced and live runs leave it to the end (never beside their start-up)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import sys, time
from pathlib import Path
from streammsa.monitor.sinks import ReportSink
from streammsa.protocol import ModalityReading, Reading


def imported(within_s):
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if "matplotlib.pyplot" in sys.modules:
            return True
        time.sleep(0.02)
    return "matplotlib.pyplot" in sys.modules


assert "matplotlib" not in sys.modules, "importing the sink must not import matplotlib"
sink = ReportSink(Path(sys.argv[1]), dict, prepare=sys.argv[2] == "fast")
absent = ModalityReading(False, None, None, None)
mods = {"text": ModalityReading(True, 1.0, 0.8, 0.2), "audio": absent, "vision": absent}
sink.publish(Reading(stream="s", seq=0, t_start=0.0, t_end=4.0, intensity=1.0, modalities=mods,
                     transcript="", alerts=[], latency_ms=100.0, model="cacr", trained=True))
print("imported" if imported(60 if sys.argv[2] == "fast" else 1.0) else "not imported")
"""


def _imports(tmp_path, mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), mode], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_fast_runs_report_imports_its_plotting_library_while_the_run_goes_on(tmp_path):
    assert _imports(tmp_path, "fast") == "imported"


def test_a_paced_runs_report_leaves_the_import_to_the_end(tmp_path):
    assert _imports(tmp_path, "paced") == "not imported"
