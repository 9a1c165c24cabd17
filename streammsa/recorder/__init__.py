"""streammsa.recorder: ``timeline.jsonl`` (every message, flushed per line), ``timeline.csv`` and
the end-of-run report (summary.json, report.png, report.html), all rebuilt from the timeline."""
