#!/usr/bin/env bash
# A stand-in for a Colab runtime, for tests/test_colab.py: a fresh environment whose
# PyTorch is NOT the one the course pins (torch 2.13.0, CPU build), ipywidgets 7 as on
# Colab, and what Colab ships besides (numpy, matplotlib, IPython, tqdm, Pillow) - but
# no labkit and none of a chapter's extras. Beside it, a folder of wheels from which the
# setup cells install those extras, so the test itself needs no network.
#
#   scripts/colab_env.sh build/colab [python]
#
# torchvision is left out: PyPI's torchvision for 2.13 is built for its CUDA build and
# does not import beside the CPU wheel ("operator torchvision::nms does not exist").
set -euo pipefail
dest=${1:?usage: colab_env.sh FOLDER [PYTHON]}
python=${2:-python3}
torch_pin=${COLAB_TORCH:-torch==2.13.0}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dest"
"$python" -m venv "$dest/env"
pip="$dest/env/bin/python -m pip --disable-pip-version-check"
$pip install --quiet "$torch_pin" numpy matplotlib "ipywidgets>=7,<8" ipython tqdm pillow \
    nbformat packaging setuptools wheel 2>&1 | grep -v "is ignored: it is neither" || true
$dest/env/bin/python -c "import torch, numpy, ipywidgets, IPython; assert ipywidgets.__version__.startswith('7.')"
$dest/env/bin/python -m pip freeze --all > "$dest/preinstalled.txt"  # what "Colab" had
# The extras the setup cells install (constraints.txt's pins), with the stand-in's own
# numpy and torch held, and setuptools for building labkit from a checkout.
held=$(mktemp)
$dest/env/bin/python -m pip freeze | grep -iE '^(numpy|torch)==' > "$held"
extras=$(grep -vE '^\s*(#|$)' "$root/constraints.txt" | grep -viE '^(torch|torchvision)==')
$pip download --quiet -d "$dest/wheels" -c "$held" setuptools wheel $extras 2>&1 \
    | grep -v "is ignored: it is neither" || true
rm -f "$held"
touch "$dest/.ready"
echo "Colab stand-in ready in $dest: $($dest/env/bin/python -c 'import sys, torch, ipywidgets; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, ipywidgets {ipywidgets.__version__}")')"
