"""`streammsa doctor` on this checkout: every check answers, problems come with what to do, exit 0 when usable."""

from __future__ import annotations

import json
import socket

from streammsa.cli import main


def doctor(capsys, *args: str) -> tuple[int, dict]:
    code = main(["doctor", "--quick", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_doctor_reports_every_check_and_this_checkout_is_usable(capsys):
    code, report = doctor(capsys, "--port", "0")
    names = [c["name"] for c in report["checks"]]
    for expected in (
        "streammsa",
        "packages",
        "face_landmarker.task",
        "checkpoint cacr",
        "text reader",
        "voice reader",
        "face reader",
        "dashboard page",
        "gpu",
    ):
        assert expected in names
    assert code == 0 and report["usable"] is True
    assert all(c["status"] in ("ok", "info", "warn") for c in report["checks"])
    assert all(c["fix"] for c in report["checks"] if c["status"] == "warn")  # a warning always says what to do


def test_a_taken_dashboard_port_is_a_warning_with_what_to_do(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, report = doctor(capsys, "--port", str(busy.getsockname()[1]))
    port = next(c for c in report["checks"] if c["name"] == "dashboard port")
    assert port["status"] == "warn" and "--port" in port["fix"]
    assert code == 0  # the monitor still runs: on another port


def test_the_text_report_ends_with_the_verdict(capsys):
    assert main(["doctor", "--quick", "--port", "0"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("streammsa is usable")
    assert any(line.strip().startswith("ok    checkpoint cacr:") for line in lines)
