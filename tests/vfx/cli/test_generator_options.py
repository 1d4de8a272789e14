"""`vfx segment`'s generator options: one table, with the generator's own defaults."""

from __future__ import annotations

import inspect

import click
from click.testing import CliRunner

from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
from vfx.cli.options import GENERATOR_OPTIONS, generator_options


def test_the_table_defaults_are_the_generators() -> None:
    parameters = inspect.signature(SAM2AutomaticMaskGenerator.__init__).parameters
    for name, default, _ in GENERATOR_OPTIONS:
        assert parameters[name].default == default, name
        assert type(parameters[name].default) is type(default), name


def test_the_command_receives_one_dict_of_generator_arguments() -> None:
    received = {}

    @click.command()
    @click.option("--frame", type=int, default=0)
    @generator_options
    def command(frame: int, generator_options: dict) -> None:
        received.update(generator_options, frame=frame)

    result = CliRunner().invoke(
        command, ["--frame", "3", "--points-per-side", "8", "--pred-iou-thresh", "0.5", "--use-m2m"]
    )
    assert result.exit_code == 0, result.output
    defaults = {name: default for name, default, _ in GENERATOR_OPTIONS}
    assert received == {
        **defaults, "frame": 3, "points_per_side": 8, "pred_iou_thresh": 0.5, "use_m2m": True
    }
    bad = CliRunner().invoke(command, ["--points-per-side", "many"])
    assert bad.exit_code != 0 and "--points-per-side" in bad.output
