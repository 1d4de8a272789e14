"""Click options shared by the commands: input, output, force, quiet, preset overrides,
prompts, SAM 2 model and precision, mask sources, --start/--end (one definition each).

:func:`source_options` adds the options that say where masks come from (prompts, ``--auto``,
model options, ``--precision``, ``--masks``/``--chroma``) at once and hands the command one
:class:`SourceArgs` instead of a dozen parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sam2.precision import PRECISION_CHOICES
from vfx.cli.auto_option import auto_option

if TYPE_CHECKING:
    from vfx.prompts.model import ObjectPrompts

DEVICES = ("auto", "cpu", "cuda", "mps")
FC = TypeVar("FC", bound=Callable[..., Any])


def prompt_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--point``, ``--box``, ``--leave`` and ``--prompts`` to a command."""
    options = [
        click.option(
            "--point",
            "points",
            multiple=True,
            metavar="FRAME:X,Y[:OBJ][:neg]",
            help="A click on the object (repeatable); displayed-frame pixels; OBJ defaults to 1.",
        ),
        click.option(
            "--box",
            "boxes",
            multiple=True,
            metavar="FRAME:X0,Y0,X1,Y1[:OBJ]",
            help="A box around the object (repeatable).",
        ),
        click.option(
            "--leave",
            "leaves",
            multiple=True,
            metavar="FRAME[:OBJ]",
            help="The object leaves the video at FRAME: its mask is empty from there until its "
            "next point or box (repeatable).",
        ),
        file_option(
            "--prompts",
            "prompts_file",
            help="JSON or YAML file of prompts per object (points, boxes, masks).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def model_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--model``, ``--checkpoint`` and ``--device`` to a command."""
    options = [
        click.option(
            "--model",
            default=None,
            help="SAM 2 model name, e.g. sam2.1_hiera_tiny (default: the smallest one found).",
        ),
        file_option(
            "--checkpoint",
            help="Path to a SAM 2 checkpoint .pt file (default: look in the usual places).",
        ),
        click.option(
            "--device",
            type=click.Choice(DEVICES),
            default="auto",
            show_default=True,
            help="Where SAM 2 runs.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@dataclass(frozen=True)
class SourceArgs:
    """Where the masks come from, as the command line gave it: objects to track and the model
    that tracks them, or masks made elsewhere / a chroma key.

    ``points``/``boxes``/``leaves``/``prompts_file`` are the raw ``--point``/``--box``/``--leave``/
    ``--prompts`` values; ``auto`` is ``--auto``; ``model``/``checkpoint``/``device`` the model
    options; ``precision``, ``masks_path`` and ``chroma`` are ``--precision``, ``--masks`` and
    ``--chroma`` (None where the command has no such option).
    """

    points: tuple[str, ...]
    boxes: tuple[str, ...]
    leaves: tuple[str, ...]
    prompts_file: str | None
    auto: str | None
    model: str | None
    checkpoint: str | None
    device: str
    precision: str | None = None
    masks_path: str | None = None
    chroma: str | None = None
    has_mask_options: bool = False

    def prompts(self) -> list[ObjectPrompts]:
        """The parsed prompts (empty when none were given)."""
        from vfx.prompts.parsing import parse_prompts

        return parse_prompts(self.points, self.boxes, self.prompts_file, self.leaves)

    def api_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`vfx.render`, :func:`vfx.track` and :func:`vfx.preview`:
        ``prompts`` (None when there are none), ``auto``, ``model``, ``checkpoint``, ``device``
        and, where the command has those options, ``precision``, ``masks`` and ``chroma``."""
        kwargs = {
            "prompts": self.prompts() or None,
            "auto": self.auto,
            "model": self.model,
            "checkpoint": self.checkpoint,
            "device": self.device,
        }
        if self.precision is not None:
            kwargs["precision"] = self.precision
        if self.has_mask_options:
            kwargs["masks"], kwargs["chroma"] = self.masks_path, self.chroma
        return kwargs


_SOURCE_NAMES = tuple(field.name for field in fields(SourceArgs))


def source_options(
    *, precision: bool, masks: bool
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the prompt options, ``--auto``, the model options and, when asked, ``--precision``
    and ``--masks``/``--chroma``; the command receives them as one ``source:`` :class:`SourceArgs`.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def command(**params: Any) -> Any:
            given = {name: params.pop(name) for name in _SOURCE_NAMES if name in params}
            return fn(source=SourceArgs(**given, has_mask_options=masks), **params)

        decorated = precision_option(command) if precision else command
        decorated = model_options(decorated)
        decorated = mask_source_options(decorated) if masks else decorated
        return prompt_options(auto_option(decorated))

    return decorate


def precision_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--precision`` (SAM 2 arithmetic) to a command."""
    return click.option(
        "--precision",
        type=click.Choice(PRECISION_CHOICES),
        default="auto",
        show_default=True,
        help="SAM 2 arithmetic on the CPU: fp32 matches the official model exactly; bf16 is "
        "faster on CPUs with avx512_bf16/AMX (slower without), masks agree with fp32 to IoU "
        "~0.999; auto picks bf16 where the CPU has it natively, else fp32.",
    )(fn)


def mask_source_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--masks`` and ``--chroma`` to a command."""
    options = [
        click.option(
            "--masks",
            "masks_path",
            type=click.Path(path_type=str),
            help="Use masks made elsewhere: PNG folder(s), a grayscale mask video, a vfx .npz "
            "or a masklet folder from `vfx track`.",
        ),
        click.option(
            "--chroma",
            metavar="COLOR",
            help="Key out a screen colour instead of tracking: green, blue or #RRGGBB.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def file_option(*names: str, help: str, path_type: type = str) -> Callable[[FC], FC]:
    """An option naming one file (not a folder), e.g. ``--json``, ``--report``, ``--prompts``."""
    file_path = click.Path(dir_okay=False, path_type=path_type)
    return click.option(*names, type=file_path, help=help)


# The automatic mask generator's options, one row each: (name, default, help). The defaults are
# SAM2AutomaticMaskGenerator's (tests/vfx/cli/test_generator_options.py keeps them so).
GENERATOR_OPTIONS: tuple[tuple[str, int | float | bool, str], ...] = (
    ("points_per_side", 32, "Grid of point prompts per image side."),
    ("points_per_batch", 64, "Point prompts decoded at once."),
    ("pred_iou_thresh", 0.8, "Drop masks the model rates below this (0 keeps all)."),
    ("stability_score_thresh", 0.95, "Drop masks less stable than this (0 keeps all)."),
    ("box_nms_thresh", 0.7, "Box IoU above which the weaker of two masks is dropped."),
    ("crop_n_layers", 0, "Also segment 2x2, 4x4, ... crops (finds small objects; slower)."),
    ("min_mask_region_area", 0, "Fill holes and remove specks up to this area (low-res pixels)."),
    ("use_m2m", False, "Refine each mask with a second decoder pass."),
)


def generator_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add an option per :data:`GENERATOR_OPTIONS` row (``--points-per-side``, ...); the command
    receives them as one ``generator_options`` dict of SAM2AutomaticMaskGenerator arguments."""

    @functools.wraps(fn)
    def command(**params: Any) -> Any:
        chosen = {name: params.pop(name) for name, _, _ in GENERATOR_OPTIONS}
        return fn(generator_options=chosen, **params)

    for name, default, help in reversed(GENERATOR_OPTIONS):
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            command = click.option(flag, is_flag=True, default=default, help=help)(command)
        else:
            command = click.option(
                flag, type=type(default), default=default, show_default=True, help=help
            )(command)
    return command


input_argument = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=str))
"""The ``INPUT`` video argument."""

quiet_option = click.option("--quiet", is_flag=True, help="No progress bars.")

overrides_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="LAYER.PARAM=VALUE",
    help="Override a preset setting (repeatable): 0.radius=31, subject.smooth=false, output.crf=20",
)


def output_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-o/--output`` (required) with the command's own ``help``."""
    return click.option("-o", "--output", required=True, type=click.Path(path_type=str), help=help)


def force_option(help: str = "Overwrite OUTPUT if it exists.") -> Callable[..., Any]:
    """``--force``."""
    return click.option("--force", is_flag=True, help=help)


def range_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--start`` and ``--end``: work on a segment first (see :mod:`vfx.frame_range`)."""
    fn = click.option(
        "--end",
        metavar="FRAME|SECONDSs",
        help="Stop before this frame or time (exclusive), e.g. --end 72 or --end 3s.",
    )(fn)
    return click.option(
        "--start",
        metavar="FRAME|SECONDSs",
        help="Begin at this frame or time, e.g. --start 48 or --start 2s (default: the start).",
    )(fn)
