"""``vfx presets list|show``: what looks ship with vfx and what each one can tune."""

from __future__ import annotations

import dataclasses

import click


@click.group()
def presets() -> None:
    """List the shipped presets or show one in detail."""


@presets.command("list")
def list_cmd() -> None:
    """One preset per line: its name, then its description."""
    from vfx.presets import list_presets

    entries = list_presets()
    width = max(len(name) for name in entries)
    for name, description in entries.items():
        click.echo(f"{name:<{width}}  {description}")


@presets.command("show")
@click.argument("name")
def show_cmd(name: str) -> None:
    """Print NAME's description, masks, layers and tunable parameters.

    NAME is a shipped preset or a path to a preset .yaml file.
    """
    from effects.registry import get_effect
    from vfx.presets import load_preset

    preset = load_preset(name)
    click.echo(f"{preset.name}: {preset.description}")
    if preset.masks:
        click.echo("masks:")
        for spec in preset.masks.values():
            objects = "all" if spec.objects is None else ",".join(map(str, spec.objects))
            click.echo(
                f"  {spec.name}: objects {objects}; smooth {_settings(spec.smooth)}; "
                f"refine {_settings(spec.refine)}"
            )
    click.echo("layers:")
    for index, layer in enumerate(preset.layers):
        extras = "" if layer.blend == "normal" else f", blend {layer.blend}"
        extras += "" if layer.opacity == 1.0 else f", opacity {layer.opacity:g}"
        click.echo(f"  {index}. {layer.effect} on region {layer.region!r}{extras}")
        effect = get_effect(layer.effect).from_params(dict(layer.params))
        for f in dataclasses.fields(effect):
            marker = "*" if f.name in layer.params else " "
            click.echo(f"     {marker} {index}.{f.name} = {getattr(effect, f.name)!r}")
    click.echo(f"output: crf {preset.output.crf}, x264 preset {preset.output.preset}")
    click.echo(
        "Parameters marked * are set by the preset; change any with --set LAYER.PARAM=VALUE "
        "(e.g. --set 0.radius=31)."
    )


def _settings(settings: dict | None) -> str:
    if settings is None:
        return "off"
    if not settings:
        return "defaults"
    return ", ".join(f"{k}={v}" for k, v in settings.items())
