#!/usr/bin/env bash
# Download official SAM 2 checkpoints into this folder, the familiar way:
#
#   cd checkpoints && ./download_ckpts.sh          # the four SAM 2.1 models, like the official script
#   ./checkpoints/download_ckpts.sh sam2.1-tiny    # just the models named (sam2-large, sam2.1-small...)
#
# The work is done by `vfx checkpoints download`: every file is checked (size, then keys and
# shapes) before it appears under its official name, and a broken connection leaves a .part
# file that running the script again resumes. Set VFX_CHECKPOINT_URL_BASE to use a mirror.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -eq 0 ]; then
    set -- sam2.1-tiny sam2.1-small sam2.1-base_plus sam2.1-large
fi

if command -v vfx >/dev/null 2>&1; then
    exec vfx checkpoints download --dir "$here" "$@"
fi
# vfx is not installed as a command: run it from this checkout.
export PYTHONPATH="$(dirname "$here")${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" -c 'import sys; from vfx.cli import main; main(sys.argv[1:])' \
    checkpoints download --dir "$here" "$@"
