"""``vfx cache list|show|clear``: see and manage the tracked masks that renders reuse."""

from __future__ import annotations

import time

import click

from vfx.errors import VfxError


@click.group()
def cache() -> None:
    """The masklet cache: tracking results that later renders reuse.

    Entries live under $VFX_CACHE_DIR, else $XDG_CACHE_HOME/vfx/masklets, else
    ~/.cache/vfx/masklets; each is a masklet store usable with `vfx render --masks`
    and `vfx masks export`.
    """


@cache.command("list")
def list_cmd() -> None:
    """One entry per line: key, size, age, model, frames, video."""
    from vfx.masks import default_cache_root
    from vfx.masks.cache_inventory import human_age, human_size, list_entries, partial_stores

    root = default_cache_root()
    entries = list_entries(root)
    now = time.time()
    click.echo(f"cache {root}: {_entries(len(entries))}, "
               f"{human_size(sum(e.size for e in entries))}")
    for entry in entries:
        click.echo(
            f"{entry.key}  {human_size(entry.size):>8}  {human_age(now - entry.created):>7} "
            f"ago  {entry.model}  {entry.frames()}  {entry.video}  [{entry.prompts()}]"
        )
    partials = partial_stores(root)
    if partials:
        click.echo(f"({len(partials)} unfinished: a tracker running now, or one that was killed)")


@cache.command("show")
@click.argument("key")
def show_cmd(key: str) -> None:
    """Everything about one entry (KEY: its key or the start of it)."""
    from vfx.masks.cache_inventory import describe_entry, find_entry

    for name, value in describe_entry(find_entry(key)):
        click.echo(f"{name:<9} {value}")


@cache.command("clear")
@click.argument("keys", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Remove every entry.")
def clear_cmd(keys: tuple[str, ...], everything: bool) -> None:
    """Remove the entries KEYS (or --all); later renders track again."""
    from vfx.masks import default_cache_root
    from vfx.masks.cache_inventory import (
        clear_entries,
        derived_folders,
        find_entry,
        human_size,
        list_entries,
        partial_stores,
    )

    if bool(keys) == everything:
        raise VfxError("give the keys to remove (see `vfx cache list`) or --all")
    root = default_cache_root()
    if everything:
        entries = list_entries(root)
        stale = [p for p in partial_stores(root) if time.time() - p.stat().st_mtime > 3600]
        stale += derived_folders(root)
    else:
        chosen = {entry.key: entry for entry in (find_entry(key, root) for key in keys)}
        entries = list(chosen.values())
        stale = []
    freed = clear_entries(entries, stale)
    click.echo(f"removed {_entries(len(entries))}, {human_size(freed)} freed")


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"
