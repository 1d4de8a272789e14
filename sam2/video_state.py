"""Typed inference state of the video predictor, and on-demand frame loading.

Frames are never preloaded: a :class:`FrameProvider` decodes a frame when the tracker asks for
it, and :class:`InferenceState` keeps the backbone features of a few recent frames in an LRU.
Per-object results live in :class:`ObjectTrack` and hold only what later frames can still read
(see ``SAM2VideoPredictor`` for the pruning rule), so memory stays flat on long videos.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, Union, overload

import numpy as np
import torch

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".gif")


# ---------------------------------------------------------------------------- frames


def preprocess_frame(rgb: np.ndarray, image_size: int) -> torch.Tensor:
    """``[H, W, 3]`` uint8 -> ``[3, S, S]`` float32, squashed to ``S = image_size`` and normalised.

    Like the reference's frame-folder loader: Pillow's bicubic resize (skipped when the frame is
    already ``S x S``), ``/ 255`` in float64, then ImageNet mean/std in float32.
    """
    from PIL import Image

    if rgb.shape[:2] != (image_size, image_size):
        rgb = np.asarray(Image.fromarray(rgb).resize((image_size, image_size), Image.BICUBIC))
    scaled = torch.from_numpy(rgb / 255.0).permute(2, 0, 1).float()  # [S, S, 3] -> [3, S, S]
    mean = torch.tensor(IMAGE_MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(IMAGE_STD, dtype=torch.float32)[:, None, None]
    return (scaled - mean) / std


class FrameProvider:
    """Random access to the RGB frames of a video, decoded on demand.

    ``num_frames`` is ``None`` for a stream whose length is not known yet; ``get`` raises
    ``IndexError`` past the end. Subclasses keep at most a small window of decoded frames.
    """

    num_frames: int | None
    height: int
    width: int

    def get(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W, 3]`` uint8."""
        raise NotImplementedError

    def has(self, index: int) -> bool:
        """Whether frame ``index`` exists (for streams this may pull frames from the iterator)."""
        return index >= 0 and (self.num_frames is None or index < self.num_frames)

    def close(self) -> None:
        """Release files held open (no-op by default)."""


class ArrayFrames(FrameProvider):
    """Frames held by the caller: an ``[T, H, W, 3]`` uint8 array or a list of ``[H, W, 3]``."""

    num_frames: int  # always known

    def __init__(self, frames: np.ndarray | list[np.ndarray]) -> None:
        if len(frames) == 0:
            raise ValueError("the video has no frames")
        self._frames = frames
        self.num_frames = len(frames)
        self.height, self.width = _check_rgb(np.asarray(frames[0]), "frame 0").shape[:2]

    def get(self, index: int) -> np.ndarray:
        if not self.has(index):
            raise IndexError(f"frame {index} is outside 0..{self.num_frames - 1}")
        return _check_rgb(np.asarray(self._frames[index]), f"frame {index}")


class FolderFrames(FrameProvider):
    """A folder of JPEG/PNG frames ordered by the number in their names, decoded with Pillow
    (which decodes JPEG exactly like the reference)."""

    num_frames: int  # always known

    def __init__(self, folder: Path) -> None:
        names = [p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES]
        if not names:
            raise ValueError(f"no JPEG or PNG frames in {folder}")
        self._paths = sorted(names, key=_frame_number_key)
        self.num_frames = len(self._paths)
        self.height, self.width = self.get(0).shape[:2]

    def get(self, index: int) -> np.ndarray:
        from PIL import Image

        if not self.has(index):
            raise IndexError(f"frame {index} is outside 0..{self.num_frames - 1}")
        with Image.open(self._paths[index]) as image:
            return np.asarray(image.convert("RGB"))


class FrameReader(Protocol):
    """A video opened for random access: what :class:`VideoFileFrames` decodes from.

    :class:`~sam2.video_file.PyAVFileReader` is sam2's own; an application with its own
    reader (vfx) plugs it in by passing ``VideoFileFrames(its_reader)`` to ``init_state``.
    """

    frame_count: int
    height: int
    width: int

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``[H, W, 3]`` uint8 RGB."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class VideoFileFrames(FrameProvider):
    """A video file's frames from a :class:`FrameReader` (sam2's own PyAV reader by default).
    Sequential reads decode each frame once; a read going backwards decodes the ``chunk``
    frames that end at it in one pass and keeps them."""

    num_frames: int  # always known

    def __init__(self, reader: FrameReader, chunk: int = 8) -> None:
        self._reader = reader
        self.num_frames, self.height, self.width = reader.frame_count, reader.height, reader.width
        self._chunk = chunk
        self._window: OrderedDict[int, np.ndarray] = OrderedDict()

    def get(self, index: int) -> np.ndarray:
        if not self.has(index):
            raise IndexError(f"frame {index} is outside 0..{self.num_frames - 1}")
        if index in self._window:
            return self._window[index]
        first = max(0, index - self._chunk + 1) if index + 1 not in self._window else index
        for position in range(first, index + 1):
            self._remember(position, self._reader.read(position))
        return self._window[index]

    def _remember(self, index: int, rgb: np.ndarray) -> None:
        self._window[index] = rgb
        self._window.move_to_end(index)
        while len(self._window) > 2 * self._chunk:
            self._window.popitem(last=False)

    def close(self) -> None:
        self._reader.close()


class StreamFrames(FrameProvider):
    """Frames pulled from an iterator as tracking reaches them (live or very long sources).

    Only the last ``window`` frames stay available; the length is known once the iterator ends
    (or up front when it has ``len``).
    """

    def __init__(self, frames: Iterable[np.ndarray], window: int = 16) -> None:
        self._iterator: Iterator[np.ndarray] | None = iter(frames)
        self.num_frames = len(frames) if hasattr(frames, "__len__") else None  # type: ignore[arg-type]
        self._window: OrderedDict[int, np.ndarray] = OrderedDict()
        self._size = window
        self._next = 0
        if not self.has(0):
            raise ValueError("the frame iterator yielded no frames")
        self.height, self.width = self._window[0].shape[:2]

    def has(self, index: int) -> bool:
        while self._iterator is not None and self._next <= index:
            rgb = next(self._iterator, None)
            if rgb is None:
                self._iterator = None
                self.num_frames = self._next
                break
            self._window[self._next] = _check_rgb(np.asarray(rgb), f"frame {self._next}")
            self._next += 1
            while len(self._window) > self._size:
                self._window.popitem(last=False)
        return 0 <= index < self._next

    def get(self, index: int) -> np.ndarray:
        if not self.has(index):
            raise IndexError(f"frame {index} is past the end of the stream ({self._next} frames)")
        if index not in self._window:
            raise IndexError(
                f"frame {index} has left the stream's window of {self._size} frames; "
                "pass a list, array, file or folder for random access"
            )
        return self._window[index]


VideoSource = Union[
    str, "os.PathLike[str]", np.ndarray, Sequence[np.ndarray], Iterable[np.ndarray], "FrameProvider"
]
"""What ``init_state`` reads: a video file or frame folder path, a ``[T, H, W, 3]`` uint8 array,
a list of ``[H, W, 3]`` uint8 frames, an iterator of them (a stream), or a :class:`FrameProvider`
(an application's own reader, see :class:`FrameReader`)."""


def open_frames(video: VideoSource) -> FrameProvider:
    """A :class:`FrameProvider` for a video file, frame folder, array/list or iterator
    (a :class:`FrameProvider` is used as it is)."""
    if isinstance(video, FrameProvider):
        return video
    if isinstance(video, (str, os.PathLike)):
        path = Path(video)
        if path.is_dir():
            return FolderFrames(path)
        if not path.is_file():
            raise FileNotFoundError(f"no video file or frame folder at {path}")
        if path.suffix.lower() in _IMAGE_SUFFIXES:
            raise ValueError(f"{path} is a single image; pass a folder of frames or a video")
        from sam2.video_file import PyAVFileReader

        return VideoFileFrames(PyAVFileReader(path))
    if isinstance(video, np.ndarray):
        if video.ndim != 4:
            raise ValueError(f"a frame array must be [T, H, W, 3] uint8, got shape {video.shape}")
        return ArrayFrames(video)
    if isinstance(video, (list, tuple)):
        return ArrayFrames(list(video))
    if isinstance(video, Iterable):
        return StreamFrames(video)
    raise TypeError(f"cannot read frames from {type(video).__name__}")


def _check_rgb(rgb: np.ndarray, what: str) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"{what} must be [H, W, 3] uint8 RGB, got {rgb.dtype} {rgb.shape}")
    return rgb


def _frame_number_key(path: Path) -> tuple[int, str]:
    numbers = re.findall(r"\d+", path.stem)
    return (int(numbers[-1]) if numbers else -1, path.name)


# ---------------------------------------------------------------------------- features


@dataclass
class FrameFeatures:
    """Backbone features of one frame, flattened for the tracker (batch size 1).

    ``vision_feats[i]`` ``[H_i * W_i, 1, C_i]`` from the highest to the lowest resolution;
    ``vision_pos`` ``[H * W, 1, C]`` the position encoding of the lowest-resolution level (the
    only one the tracker reads); ``feat_sizes[i]`` ``(H_i, W_i)``.
    """

    vision_feats: list[torch.Tensor]
    vision_pos: torch.Tensor
    feat_sizes: list[tuple[int, int]]

    def high_res_features(self, batch: int) -> list[torch.Tensor]:
        """The stride-4 and stride-8 maps as ``[batch, C, H, W]`` views for the mask decoder."""
        maps = []
        for feat, (h, w) in zip(self.vision_feats[:-1], self.feat_sizes[:-1], strict=True):
            # [HW, 1, C] -> [1, C, HW] -> [1, C, H, W]
            maps.append(feat.permute(1, 2, 0).unflatten(2, (h, w)).expand(batch, -1, -1, -1))
        return maps

    def top_map(self) -> torch.Tensor:
        """The lowest-resolution map as ``[1, C, H, W]``."""
        h, w = self.feat_sizes[-1]
        return self.vision_feats[-1].permute(1, 2, 0).unflatten(2, (h, w))  # [HW,1,C] -> [1,C,H,W]


# ---------------------------------------------------------------------------- per-object state


@dataclass
class PointPrompt:
    """Clicks on one frame in model pixels: ``coords [1, P, 2]`` (x, y), ``labels [1, P]`` int32
    (1 positive, 0 negative, 2/3 box corners)."""

    coords: torch.Tensor
    labels: torch.Tensor

    def as_inputs(self) -> dict[str, torch.Tensor]:
        return {"point_coords": self.coords, "point_labels": self.labels}


@dataclass
class FrameOutput:
    """What one object's result on one frame leaves for later frames.

    ``pred_masks [1, 1, S/4, S/4]`` low-res logits; ``obj_ptr [1, C]``; ``object_score_logits
    [1, 1]``; ``maskmem_features [1, mem_dim, S/16, S/16]`` bf16 (``None`` until encoded, or once
    pruned out of the memory's reach); ``iou [1, 1]`` the decoder's predicted IoU of the mask
    (``None`` when not known).
    """

    pred_masks: torch.Tensor | None
    obj_ptr: torch.Tensor
    object_score_logits: torch.Tensor
    maskmem_features: torch.Tensor | None = None
    iou: torch.Tensor | None = None

    def masks(self) -> torch.Tensor:
        """``pred_masks [1, 1, S/4, S/4]``; an error once they were pruned."""
        if self.pred_masks is None:
            raise ValueError("this frame's masks were pruned")
        return self.pred_masks


@dataclass
class ObjectTrack:
    """Inputs and outputs of one object. Frame-indexed dicts keep insertion order, which is the
    order memories are attended to (as in the reference)."""

    obj_id: int
    points: dict[int, PointPrompt] = field(default_factory=dict)
    masks: dict[int, torch.Tensor] = field(default_factory=dict)  # [1, 1, S, S] float
    cond: dict[int, FrameOutput] = field(default_factory=dict)
    non_cond: dict[int, FrameOutput] = field(default_factory=dict)
    temp_cond: dict[int, FrameOutput] = field(default_factory=dict)
    temp_non_cond: dict[int, FrameOutput] = field(default_factory=dict)
    frames_tracked: dict[int, bool] = field(default_factory=dict)  # frame -> tracked in reverse

    def latest_output(self, frame_idx: int, is_cond: bool) -> FrameOutput | None:
        """The newest output on ``frame_idx``: the pending interaction of its kind (``is_cond``:
        a conditioning frame), then the stored conditioning, then the non-conditioning result."""
        pending = self.temp_cond if is_cond else self.temp_non_cond
        for outputs in (pending, self.cond, self.non_cond):
            if frame_idx in outputs:
                return outputs[frame_idx]
        return None


# ---------------------------------------------------------------------------- the state


@dataclass
class InferenceState:
    """Everything the predictor knows about one video session.

    Attributes:
        frames: on-demand frame decoder.
        video_height, video_width: original frame size (outputs are returned at this size).
        image_size: the model's square input size ``S``.
        device: where the model runs; ``storage_device`` where per-frame results are kept.
        objects: tracked objects in model order (index = position in every batch).
        feature_cache_size: how many frames' backbone features the LRU keeps.
    """

    frames: FrameProvider
    video_height: int
    video_width: int
    image_size: int
    device: torch.device
    storage_device: torch.device
    offload_video_to_cpu: bool = False
    offload_state_to_cpu: bool = False
    async_loading_frames: bool = False
    objects: list[ObjectTrack] = field(default_factory=list)
    feature_cache_size: int = 4
    maskmem_pos_enc: torch.Tensor | None = None  # [1, mem_dim, h, w], the same on every frame
    frontier: int | None = None  # last frame propagation visited
    _features: OrderedDict[int, FrameFeatures] = field(default_factory=OrderedDict)
    _prefetch: tuple[int, Future] | None = None
    _loader: ThreadPoolExecutor | None = None
    _decode_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def num_frames(self) -> int | None:
        """Frame count, or ``None`` while a stream's length is unknown."""
        return self.frames.num_frames

    @property
    def obj_ids(self) -> list[int]:
        return [track.obj_id for track in self.objects]

    @overload
    def obj_idx(self, obj_id: int, create: Literal[True] = True) -> int: ...

    @overload
    def obj_idx(self, obj_id: int, create: bool) -> int | None: ...

    def obj_idx(self, obj_id: int, create: bool = True) -> int | None:
        """Model-side index of ``obj_id``; a new object is appended when ``create``."""
        for index, track in enumerate(self.objects):
            if track.obj_id == obj_id:
                return index
        if not create:
            return None
        self.objects.append(ObjectTrack(obj_id=obj_id))
        return len(self.objects) - 1

    def cached_features(self, frame_idx: int) -> FrameFeatures | None:
        features = self._features.get(frame_idx)
        if features is not None:
            self._features.move_to_end(frame_idx)
        return features

    def cache_features(self, frame_idx: int, features: FrameFeatures) -> None:
        self._features[frame_idx] = features
        self._features.move_to_end(frame_idx)
        while len(self._features) > self.feature_cache_size:
            self._features.popitem(last=False)

    def image(self, frame_idx: int, next_idx: int | None = None) -> torch.Tensor:
        """Frame ``frame_idx`` preprocessed for the model: ``[1, 3, S, S]`` on ``device``.

        With ``async_loading_frames``, ``next_idx`` (the frame tracking will want next) is
        decoded in a background thread meanwhile.
        """
        if self._prefetch is not None and self._prefetch[0] == frame_idx:
            image = self._prefetch[1].result()
        else:
            image = self._load(frame_idx)
        self._prefetch = None
        if self.async_loading_frames and next_idx is not None and self.frames.has(next_idx):
            if self._loader is None:
                self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sam2-frames")
            self._prefetch = (next_idx, self._loader.submit(self._load, next_idx))
        return image.unsqueeze(0).to(self.device)

    def _load(self, frame_idx: int) -> torch.Tensor:
        with self._decode_lock:
            rgb = self.frames.get(frame_idx)
        return preprocess_frame(rgb, self.image_size)
