"""Click → mask: the SAM 2 image predictor with one cached embedding per frame.

The first click on a frame (or :meth:`ClickSegmenter.embed`, which the page asks for as soon as
the user stops on a frame) costs one image-encoder pass; every later click on that frame runs
only the prompt encoder and mask decoder. Embeddings live in a bounded LRU, so memory stays flat.
The model loads on the first use; without a checkpoint the error says how to get one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vfx.prompts.model import FramePrompt

if TYPE_CHECKING:
    from vfx.sources.auto_objects import Candidate

EMBEDDING_CACHE_FRAMES = 8
# "Segment everything": a 16 x 16 grid of point prompts (the official 32 x 32 costs four times
# the decoder work on a CPU); the official quality thresholds.
SEGMENT_POINTS_PER_SIDE = 16


class ClickSegmenter:
    """Masks for one frame's prompts, sharing one model; calls are serialised.

    Args:
        frame: returns frame ``index`` as ``[H, W, 3]`` uint8.
        model, checkpoint, device: which SAM 2 (as for ``vfx render``).
        capacity: embeddings kept (each about 6 MB for a 1024 model).
    """

    def __init__(
        self,
        frame: Callable[[int], np.ndarray],
        model: str | None = None,
        checkpoint: str | Path | None = None,
        device: str = "auto",
        capacity: int = EMBEDDING_CACHE_FRAMES,
    ) -> None:
        self._frame = frame
        self.model = model
        self.checkpoint = checkpoint
        self.device = device
        self.capacity = capacity
        self._predictor: Any = None
        self._embeddings: OrderedDict[int, Any] = OrderedDict()
        self._lock = threading.Lock()

    def check_model(self) -> None:
        """Raise :class:`VfxError` (saying how to download one) when no checkpoint is found."""
        from vfx.sources.tracking import choose_model

        choose_model(self.model, self.checkpoint)

    def _load(self) -> Any:
        if self._predictor is None:
            from vfx.sources.tracking import choose_model, image_predictor

            choice = choose_model(self.model, self.checkpoint)
            self._predictor = image_predictor(choice, self.device)
        return self._predictor

    def is_embedded(self, index: int) -> bool:
        """Whether frame ``index``'s embedding is cached."""
        return index in self._embeddings

    def embed(self, index: int) -> None:
        """Compute and cache frame ``index``'s embedding (no-op when cached)."""
        with self._lock:
            self._select(index)

    def _select(self, index: int) -> Any:
        """Make frame ``index`` current in the predictor (embedding it if not cached)."""
        import torch

        predictor = self._load()
        cached = self._embeddings.get(index)
        with torch.inference_mode():
            if cached is None:
                predictor.set_image(self._frame(index))
                self._embeddings[index] = predictor.image_state()
                while len(self._embeddings) > self.capacity:
                    self._embeddings.popitem(last=False)
            else:
                predictor.restore_image_state(cached)
        self._embeddings.move_to_end(index)
        return predictor

    def mask(self, prompt: FramePrompt) -> tuple[np.ndarray, float]:
        """The object's mask on ``prompt.frame`` from its clicks and box: ``([H, W] bool,
        predicted IoU)``. A single click asks for three candidates and keeps the best; a mask
        alone (a chosen automatic candidate) is its own mask."""
        import torch

        if prompt.mask is not None and not prompt.points and prompt.box is None:
            return np.asarray(prompt.mask, dtype=bool), 1.0

        points = None if not prompt.points else np.asarray(prompt.points, np.float32)
        labels = None if not prompt.points else np.asarray(prompt.labels, np.int32)
        box = None if prompt.box is None else np.asarray(prompt.box, np.float32)
        single = points is not None and len(points) == 1 and box is None
        with self._lock:
            predictor = self._select(prompt.frame)
            with torch.inference_mode():
                # only the kept candidate is resized to the frame
                mask, iou, _ = predictor.predict_best(point_coords=points, point_labels=labels,
                                                      box=box, multimask_output=single)  # fmt: skip
        return mask, iou

    def candidates(
        self, index: int, points_per_side: int = SEGMENT_POINTS_PER_SIDE
    ) -> list[Candidate]:
        """Automatic masks of frame ``index`` (the loaded model's
        :class:`~sam2.automatic_mask_generator.SAM2AutomaticMaskGenerator`), numbered by area
        as ``vfx segment`` shows them; costs one encoder pass and the decoder on every point."""
        import torch

        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
        from vfx.sources.auto_candidates import number_candidates

        with self._lock:
            predictor = self._load()
            generator = SAM2AutomaticMaskGenerator(predictor.model, points_per_side=points_per_side,
                                                   output_mode="binary_mask")  # fmt: skip
            with torch.inference_mode():
                return number_candidates(generator.generate(self._frame(index)))
