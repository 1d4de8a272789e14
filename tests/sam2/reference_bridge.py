"""Ask the official SAM 2 (``sam2==1.1.0`` in ``.venv-reference``) for outputs, from our tests.

The reference's package is also called ``sam2``, so it runs in its own interpreter: requests
(plain dicts of tensors, lists, strings, numbers) go to ``reference_worker.py`` through a
``torch.save`` file in a temporary directory, and responses come back the same way. Batch every
request of a test module into one :func:`run_reference` call: starting the interpreter and
building models dominates.

Request kinds (see ``reference_worker.py``):

- ``image_predictor``: ``{"kind", "config_file", "overrides": ["++model.x=v"], "state_dict",
  "predictor_kwargs": {}, "calls": [{"method": "set_image", "args": [image]}, {"method":
  "predict", "kwargs": {...}}, {"method": "features"}]}`` -> one result per call.
- ``sam_heads``: ``{"kind", "config_file", "overrides", "state_dict", "image" [1, 3, S, S],
  "calls": [{"method": "_forward_sam_heads" | "_use_mask_as_output", "point_inputs",
  "mask_inputs", "multimask_output"}]}`` -> one 7-tuple (as a list) per call, computed on the
  first-frame features (``no_mem_embed`` added).
- ``image_encoder_timing``: ``{"kind", "config_file", "overrides", "state_dict", "image",
  "repeats", "warmup", "threads"}`` -> ``{"times", "backbone_fpn", "torch"}``.
- ``signatures``: ``{"kind", "targets": ["module:Name", ...]}`` -> the official signatures
  (``describe_signatures`` in the worker).
- ``versions``: ``{"kind"}`` -> ``{"torch", "sam2"}`` of the reference env.
- ``automatic_masks``: ``{"kind", "config_file", "overrides", "state_dict", "generator_kwargs",
  "images": [[H, W, 3] uint8], "opencv_dir": str}`` -> one list of mask records per image
  (``opencv_dir``, a folder holding only a ``cv2`` package, gives the worker OpenCV connected
  components in place of the CUDA extension that the official hole filling needs).
- ``automatic_masks_timing``: ``{"kind", "config_file", "overrides", "state_dict",
  "generator_kwargs", "image", "repeats", "warmup", "threads"}`` -> ``{"times", "masks",
  "peak_rss_kib", "torch"}``.

To add a kind (e.g. the video predictor), write ``handle_<kind>(request)`` in
``reference_worker.py``; it can reuse ``build_model(request, "build_sam2_video_predictor")``,
``to_numpy`` and ``to_tensors``. Tests call :func:`require_reference` first: it skips with a
reason when ``.venv-reference`` is missing, unless ``VFX_REQUIRE_REFERENCE`` is set (then the
test fails, as in CI).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

# The parity tests compare across two torch builds: ours (the project venv) and the reference's
# (pinned by scripts/make_reference_env.sh). Their tolerances cover the kernels of both;
# test_image_parity.py::test_stated_torch_versions fails when either changes.
OUR_TORCH = "2.13."
REFERENCE_TORCH = "2.14.1"

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_PYTHON = REPO_ROOT / ".venv-reference" / "bin" / "python"
WORKER = Path(__file__).with_name("reference_worker.py")


def reference_available() -> bool:
    """Whether the reference interpreter exists."""
    return REFERENCE_PYTHON.is_file()


def require_reference() -> None:
    """Skip the calling test without the reference env, or fail if ``VFX_REQUIRE_REFERENCE``."""
    if reference_available():
        return
    message = (
        f"reference env missing ({REFERENCE_PYTHON}); build it with scripts/make_reference_env.sh"
    )
    if os.environ.get("VFX_REQUIRE_REFERENCE"):
        pytest.fail(message)
    pytest.skip(message)


def _as_tensors(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, (list, tuple)):
        return [_as_tensors(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_tensors(v) for k, v in value.items()}
    return value


def run_reference(requests: list[dict], timeout: float = 900.0) -> list[Any]:
    """Run ``requests`` in the reference interpreter; returns one response per request."""
    with tempfile.TemporaryDirectory(prefix="sam2-reference-") as folder:
        source = Path(folder) / "requests.pt"
        target = Path(folder) / "responses.pt"
        torch.save({"requests": _as_tensors(requests)}, source)
        # -P and a cwd outside the repo keep our own ``sam2`` package off the reference's path.
        completed = subprocess.run(
            [str(REFERENCE_PYTHON), "-P", str(WORKER), str(source), str(target)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": ""},
        )
        if completed.returncode != 0:
            raise RuntimeError(f"reference worker failed:\n{completed.stderr[-4000:]}")
        return torch.load(target, weights_only=True)["responses"]
