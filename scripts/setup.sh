#!/usr/bin/env bash
# streammsa set-up: Debian packages, a Python virtual environment with every dependency,
# a check of the offline model files, and the embedded demo clip. Idempotent: rerun any time.
# Env: STREAMMSA_VENV (default .venv), PYTHON (default python3), STREAMMSA_SKIP_APT=1 to skip apt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${STREAMMSA_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
APT_PACKAGES=(libportaudio2 chromium espeak-ng sox fonts-dejavu-core ca-certificates)
step() { printf '\n==> [%s/5] %s\n' "$1" "$2"; }
started=$(date +%s)

step 1 "Debian packages: ${APT_PACKAGES[*]}"
if [[ "${STREAMMSA_SKIP_APT:-0}" == "1" ]]; then
  echo "skipped (STREAMMSA_SKIP_APT=1)"
else
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ! "$PYTHON" -m venv --help >/dev/null 2>&1; then missing+=(python3-venv); fi
  if ((${#missing[@]})); then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    echo "installing: ${missing[*]}"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "all present"
  fi
fi

step 2 "Python virtual environment in $VENV"
if [[ ! -x "$VENV/bin/python" ]]; then "$PYTHON" -m venv "$VENV"; echo "created $VENV"; else echo "reusing $VENV"; fi
"$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 10), "streammsa needs Python >= 3.10"'

step 3 "Python packages (requirements.lock; the first run downloads about 3 GB: torch's PyPI wheel is a CUDA build)"
"$VENV/bin/python" -m pip install --progress-bar on -r requirements.lock
"$VENV/bin/python" -m pip install --progress-bar on --no-deps -r requirements-nodeps.txt
# the build backend is the pinned setuptools just installed (no isolated build env to download)
"$VENV/bin/python" -m pip install --no-deps --no-build-isolation -e . -q

step 4 "offline model files (inside the installed packages; nothing is downloaded at run time)"
# Moonshine base-en (the live recogniser): the wheel's files checked by sha256, optimised once for onnxruntime
"$VENV/bin/python" -m streammsa.asr.moonshine_model
"$VENV/bin/python" -m streammsa.assets

step 5 "embedded demo clip (espeak-ng voice + a public-domain portrait; see README)"
"$VENV/bin/python" scripts/make_demo_media.py

printf '\nset-up finished in %ss. Next: bash scripts/test.sh   or   %s/bin/streammsa demo\n' "$(( $(date +%s) - started ))" "$VENV"
