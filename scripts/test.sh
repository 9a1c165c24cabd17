#!/usr/bin/env bash
# The whole test suite, slow end-to-end tests included (plain `pytest` runs only the fast ones).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k dashboard`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${STREAMMSA_VENV:-.venv}"
started=$(date +%s)
# the linter first (configured in pyproject.toml: line length 120, so a `# noqa` means something)
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check --quiet . || { echo "error: run '$VENV/bin/ruff format .'" >&2; exit 1; }
set +e
"$VENV/bin/python" -m pytest -m "slow or not slow" "$@"
rc=$?
set -e
echo "test suite finished in $(( $(date +%s) - started ))s (pytest exit $rc)"
# pytest exit 5 = no tests collected: that is a failure, never a silent pass
if [[ $rc -eq 5 ]]; then echo "error: no tests ran" >&2; exit 1; fi
exit $rc
