#!/usr/bin/env bash
# Builds the isolated virtual environment that holds the official SAM 2 package
# (sam2==1.1.0), used only as a numerical oracle by the parity tests and the
# benchmarks. Its package name clashes with ours, so it never shares a venv with
# vfx; tests drive it through tests/sam2/reference_bridge.py in a subprocess.
#
# Usage: scripts/make_reference_env.sh [VENV_DIR]   (default: .venv-reference)
set -euo pipefail
venv="${1:-.venv-reference}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -P -c "import sam2, hydra, iopath, torch" 2>/dev/null; then
  echo "reference env ready: $venv"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip wheel setuptools
"$venv/bin/pip" install --quiet "torch==2.14.1" "torchvision==0.29.1" hydra-core iopath numpy pillow tqdm
# The CUDA extension is optional in the reference and cannot build here.
SAM2_BUILD_CUDA=0 SAM2_BUILD_ALLOW_ERRORS=1 "$venv/bin/pip" install --quiet --no-build-isolation --no-deps "sam2==1.1.0"
"$venv/bin/python" -P -c "import sam2, torch; print('reference env ready:', sam2.__file__, torch.__version__)"
