#!/usr/bin/env bash
# Create the Keras-3 environment (.venv-keras3): TensorFlow 2.21, Keras 3, HGQ2, QKeras-v3, hls4ml, alkaid and
# trigger itself (editable, without its Keras-2 pins).  trigger-compile runs a Keras-3 model's compile here
# (trigger/environments.py); see README "Two environments" for why there are two.  Safe to re-run.
set -euo pipefail
VENV=${1:-.venv-keras3}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
QKERAS_V3=qkeras-v3==1.2.1  # its own directory: it and hgq2's compatibility package both install `qkeras`

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
echo "setup: installing the Keras-3 stack into $VENV (about a minute the first time)"
"$VENV/bin/python" -m pip install -q -c constraints-keras3.txt -r requirements-keras3.txt
"$VENV/bin/python" -m pip install -q --no-deps -e .
rm -rf "$VENV/qkeras-v3"
"$VENV/bin/python" -m pip install -q --no-deps --target "$VENV/qkeras-v3" "$QKERAS_V3"
