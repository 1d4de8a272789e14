"""``vfx presets list|show``: what looks ship with vfx and what each one can tune."""

from __future__ import annotations

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
    from vfx.presets import load_preset
    from vfx.presets.hints import set_examples

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
    click.echo("layers (tunable parameters; * = set by the preset):")
    for index, (layer_spec, layer) in enumerate(
        zip(preset.layers, preset.build_graph().layers, strict=True)
    ):
        extras = "" if layer_spec.blend == "normal" else f", blend {layer_spec.blend}"
        extras += "" if layer_spec.opacity == 1.0 else f", opacity {layer_spec.opacity:g}"
        click.echo(f"  {index}. {layer_spec.effect} on region {layer_spec.region!r}{extras}")
        values = layer.effect.params()
        for param, param_spec in type(layer.effect).param_specs().items():
            marker = "*" if param in layer_spec.params else " "
            click.echo(f"     {marker} {index}.{param} = {values[param]}  {param_spec.doc}")
    click.echo(f"output: crf {preset.output.crf}, x264 preset {preset.output.preset}")
    examples = ", ".join(f"--set {text}" for text in set_examples(preset))
    click.echo(f"Change any parameter with --set LAYER.PARAM=VALUE, e.g. {examples}.")


def _settings(settings: dict | None) -> str:
    if settings is None:
        return "off"
    if not settings:
        return "defaults"
    return ", ".join(f"{k}={v}" for k, v in settings.items())
