"""Finding, reading and validating preset files.

Presets are YAML read with :func:`vfx.safe_yaml.load_yaml` (no aliases, bounded
size) and never evaluated; validating one never writes a file. Validation
collects every problem in a file (unknown keys, unknown effects, bad parameters,
bad regions, bad smoothing or refinement settings) and reports them together in
one :class:`VfxError`, each prefixed with where it is (``layer 1 (blur)``).
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

from vfx.errors import VfxError
from vfx.presets.preset import LayerSpec, MaskSpec, OutputSpec, Preset
from vfx.presets.shipped import shipped_dir
from vfx.safe_yaml import echo, load_yaml

PRESET_KEYS = ("name", "description", "masks", "layers", "output")
MASK_KEYS = ("objects", "smooth", "refine")
OUTPUT_KEYS = ("crf", "preset")


def _shipped_files() -> dict[str, Path]:
    """Shipped preset files by name (``background-blur`` -> its YAML file)."""
    return {
        entry.stem: entry
        for entry in sorted(shipped_dir().iterdir())
        if entry.suffix in (".yaml", ".yml")
    }


def list_presets() -> dict[str, str]:
    """Shipped presets as ``{name: description}``, sorted by name."""
    out = {}
    for name, entry in sorted(_shipped_files().items()):
        data = _parse_yaml(entry.read_text(encoding="utf-8"), entry.name)
        out[name] = str(data.get("description", "")) if isinstance(data, dict) else ""
    return out


def load_preset(name_or_path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Preset:
    """Load and validate a shipped preset by name, or a preset YAML file by path.

    Args:
        name_or_path: a shipped preset name (see :func:`list_presets`) or a path
            to a ``.yaml`` file.
        overrides: ``LAYER.PARAM=VALUE`` strings (``0.radius=31``, ``blur.radius=31``,
            ``output.crf=20``) applied before validation.

    Raises:
        VfxError: the preset is unknown, unreadable, not valid YAML, or invalid
            (every problem listed in the one message).
    """
    text, label, path = _read_preset_text(name_or_path)
    base_dir = path.parent if path is not None else shipped_dir()
    data = _parse_yaml(text, label)
    if not isinstance(data, dict):
        raise VfxError(
            f"preset {label} must be a YAML mapping with 'layers'; "
            "see `vfx presets show background-blur` for an example"
        )
    data.setdefault("name", Path(label).name.rsplit(".", 1)[0])
    if not overrides:
        return validate_preset(data, label, path, base_dir)
    # The file first, so that a problem the --set options bring is blamed on them.
    validate_preset(copy.deepcopy(data), label, path, base_dir)
    apply_overrides(data, overrides)
    given = " ".join(f"--set {echo(text)[1:-1]}" for text in overrides)
    return validate_preset(data, label, path, base_dir, blame=given)


def _read_preset_text(name_or_path: str | Path) -> tuple[str, str, Path | None]:
    """The YAML text, a label for messages and the file path (None for shipped presets)."""
    text_name = str(name_or_path)
    as_path = Path(text_name)
    looks_like_path = as_path.suffix in (".yaml", ".yml") or "/" in text_name or as_path.exists()
    if looks_like_path:
        if not as_path.is_file():
            raise VfxError(
                f"preset file {as_path} does not exist; "
                "check the path or pick one from `vfx presets list`"
            )
        try:
            return as_path.read_text(encoding="utf-8"), as_path.name, as_path
        except (OSError, UnicodeDecodeError) as exc:
            raise VfxError(
                f"cannot read preset file {as_path} ({exc}); give a UTF-8 YAML file"
            ) from None
    shipped = _shipped_files()
    if text_name not in shipped:
        close = difflib.get_close_matches(text_name, list(shipped), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise VfxError(
            f"unknown preset '{text_name}'; {hint}run `vfx presets list` to see them, "
            "or give the path to a .yaml file"
        )
    entry = shipped[text_name]
    return entry.read_text(encoding="utf-8"), entry.name, None


def _parse_yaml(text: str, label: str) -> Any:
    return load_yaml(text, f"preset {label}")


SET_SYNTAX = "LAYER.PARAM=VALUE, MASK.smooth[.KEY]=VALUE or output.KEY=VALUE"


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``A.B[.C]=VALUE`` into the dotted path and VALUE (read as a YAML scalar or list)."""
    key, sep, value = text.partition("=")
    path = key.strip().split(".")
    if not sep or len(path) < 2 or not all(path) or len(path) > 3:
        raise VfxError(f"--set expects {SET_SYNTAX} (e.g. --set 0.radius=31), got '{text}'")
    try:
        parsed = load_yaml(value, f"--set {echo(text)[1:-1]}") if value.strip() else ""
    except VfxError:
        parsed = value
    return path, parsed


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> None:
    """Apply ``--set`` overrides to the raw preset mapping, in place.

    Targets: a layer by index or by the name of the one effect it uses
    (``0.radius=31``, ``blur.radius=31``); a named mask's settings
    (``subject.smooth=false``, ``subject.smooth.window=7``, ``subject.refine.feather=3``);
    or ``output.crf=20``. Values are validated with the rest of the preset.
    """
    for text in overrides:
        path, value = parse_override(text)
        target = path[0]
        given = data.get("masks")
        masks: dict[str, Any] = given if isinstance(given, dict) else {}
        if target == "output" and len(path) == 2:
            section = data.setdefault("output", {})
        elif target in masks:
            section = _override_mask(masks, path, text)
        elif len(path) == 2:
            layers = data.get("layers")
            if not isinstance(layers, list):
                raise VfxError("preset has no 'layers' list to apply --set to; fix the preset file")
            section = _override_layer(layers, target, text).setdefault("params", {})
        else:
            raise VfxError(
                f"--set {text}: '{target}' is not a mask of this preset; use {SET_SYNTAX}"
            )
        if not isinstance(section, dict):
            raise VfxError(f"--set {text}: that part of the preset is not a mapping; fix the file")
        section[path[-1]] = value


def _override_mask(masks: dict[str, Any], path: list[str], text: str) -> Any:
    """The mapping inside mask ``path[0]`` that ``--set`` writes ``path[-1]`` into."""
    spec = masks[path[0]]
    if spec is None:
        spec = masks[path[0]] = {}
    if not isinstance(spec, dict):
        return spec
    if len(path) == 2:
        return spec
    if path[1] not in ("smooth", "refine"):
        raise VfxError(f"--set {text}: masks have 'smooth' and 'refine' settings, not '{path[1]}'")
    if not isinstance(spec.get(path[1]), dict):
        spec[path[1]] = {}
    return spec[path[1]]


def _override_layer(layers: list[Any], target: str, text: str) -> dict[str, Any]:
    names = [layer.get("effect") if isinstance(layer, dict) else None for layer in layers]
    listing = ", ".join(f"{i} ({name})" for i, name in enumerate(names))
    if target.isdigit():
        index = int(target)
        if index >= len(layers):
            raise VfxError(f"--set {text}: there is no layer {index}; layers are {listing}")
    else:
        matches = [i for i, name in enumerate(names) if name == target]
        if len(matches) != 1:
            why = "no layer uses" if not matches else "several layers use"
            raise VfxError(
                f"--set {text}: {why} effect '{target}'; name a layer by index: {listing}"
            )
        index = matches[0]
    if not isinstance(layers[index], dict):
        raise VfxError(f"layer {index} must be a mapping; fix the preset file")
    return layers[index]


def validate_preset(
    data: dict[str, Any],
    label: str,
    path: Path | None = None,
    base_dir: Path | None = None,
    *,
    blame: str | None = None,
) -> Preset:
    """Check a raw preset mapping and build the :class:`Preset`; list every problem at once.

    ``label`` names the preset in messages; ``base_dir`` is where relative asset
    paths in effect parameters resolve (the preset file's folder); ``blame`` names
    the ``--set`` options when the file itself was already found valid, so the
    message points at them instead of the file.
    """
    problems: list[str] = []
    _unknown_keys(data, PRESET_KEYS, "the preset", problems)
    masks = _validate_masks(data.get("masks", {}), problems)
    layers = _validate_layers(data.get("layers"), set(masks), base_dir, problems)
    output = _validate_output(data.get("output", {}), problems)
    name, description = data.get("name"), data.get("description", "")
    if not isinstance(name, str) or not name:
        problems.append("'name' must be a non-empty string")
        name = ""  # reported above; no preset is built
    if not isinstance(description, str):
        problems.append("'description' must be a string")
    if problems:
        count = f"{len(problems)} problems" if len(problems) > 1 else "a problem"
        if blame is not None:
            raise VfxError(
                f"{blame} gives preset {label} {count}: " + "; ".join(problems) + "; fix the option"
            )
        raise VfxError(
            f"preset {label} has {count}: " + "; ".join(problems) + "; fix the preset file"
        )
    return Preset(
        name=name,
        description=description,
        masks=masks,
        layers=tuple(layers),
        output=output,
        path=path,
        base_dir=base_dir,
    )


def _unknown_keys(
    mapping: dict[str, Any], allowed: tuple[str, ...], where: str, problems: list[str]
) -> None:
    for key in mapping:
        if key not in allowed:
            problems.append(f"{where}: unknown key '{key}' (allowed: {', '.join(allowed)})")


def _validate_masks(raw: Any, problems: list[str]) -> dict[str, MaskSpec]:
    from vfx.masks.settings import RefineSettings, SmoothSettings

    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("'masks' must be a mapping of mask names to {objects, smooth, refine}")
        return {}
    masks = {}
    for name, spec in raw.items():
        where = f"mask '{name}'"
        if not isinstance(name, str) or not name.isidentifier():
            problems.append(f"{where}: a mask name must be a word (letters, digits, _)")
            continue
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a mapping with keys {', '.join(MASK_KEYS)}")
            continue
        _unknown_keys(spec, MASK_KEYS, where, problems)
        objects = _validate_objects(spec.get("objects", "all"), where, problems)
        smooth = _validate_settings(spec.get("smooth"), SmoothSettings, f"{where} smooth", problems)
        refine = _validate_settings(spec.get("refine"), RefineSettings, f"{where} refine", problems)
        masks[name] = MaskSpec(name=name, objects=objects, smooth=smooth, refine=refine)
    return masks


def _validate_objects(raw: Any, where: str, problems: list[str]) -> tuple[int, ...] | None:
    if raw == "all":
        return None
    items = [raw] if isinstance(raw, int) else raw
    if (
        isinstance(items, list)
        and items
        and all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in items)
    ):
        return tuple(items)
    problems.append(
        f"{where}: 'objects' must be 'all' or a list of positive object ids, got {echo(raw)}"
    )
    return None


def _validate_settings(
    raw: Any, settings_cls: Any, where: str, problems: list[str]
) -> dict[str, Any] | None:
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping of settings, or false to turn it off")
        return None
    try:
        settings_cls.from_dict(dict(raw))
    except VfxError as exc:
        problems.append(f"{where}: {exc.message}")
    return dict(raw)


def _validate_layers(
    raw: Any, mask_names: set[str], base_dir: Path | None, problems: list[str]
) -> list[LayerSpec]:
    from vfx.graph import Layer

    if not isinstance(raw, list) or not raw:
        problems.append("'layers' must be a non-empty list of {effect, region, params, ...}")
        return []
    layers = []
    for index, layer in enumerate(raw):
        effect_name = layer.get("effect") if isinstance(layer, dict) else None
        where = f"layer {index} ({effect_name})" if effect_name else f"layer {index}"
        try:
            built = Layer.from_spec(layer, base_dir)
        except VfxError as exc:
            problems.append(f"{where}: {exc.message}")
            continue
        undefined = sorted(built.parsed_region.names - mask_names)
        if undefined:
            known = ", ".join(sorted(mask_names)) or "none defined"
            problems.append(
                f"{where}: region uses undefined mask {', '.join(undefined)} "
                f"(masks: {known}; obj:N and all are always available)"
            )
            continue
        layers.append(
            LayerSpec(
                effect=built.effect.name,
                params=dict(layer.get("params") or {}),
                region=str(layer.get("region", "all")),
                blend=built.blend,
                opacity=built.opacity,
            )
        )
    return layers


def _validate_output(raw: Any, problems: list[str]) -> OutputSpec:
    if raw is None:
        return OutputSpec()
    if not isinstance(raw, dict):
        problems.append("'output' must be a mapping with keys crf, preset")
        return OutputSpec()
    _unknown_keys(raw, OUTPUT_KEYS, "output", problems)
    crf = raw.get("crf", OutputSpec.crf)
    preset = raw.get("preset", OutputSpec.preset)
    if not isinstance(crf, int) or isinstance(crf, bool) or not 0 <= crf <= 51:
        problems.append(f"output: crf must be an integer from 0 to 51, got {echo(crf)}")
        crf = OutputSpec.crf
    from vfx.io.writer import X264_PRESETS

    if preset not in X264_PRESETS:
        problems.append(
            f"output: preset must be one of {', '.join(X264_PRESETS)}, got {echo(preset)}"
        )
        preset = OutputSpec.preset
    return OutputSpec(crf=crf, preset=preset)
