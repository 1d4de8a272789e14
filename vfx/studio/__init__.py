"""``vfx studio``: the interactive web editor (DESIGN.md §8).

A Starlette app served by uvicorn on loopback: the page (plain HTML/JS/CSS shipped in
``static/``) clicks objects, tracks them, previews a preset and renders, all through the same
engine as the CLI. State lives in the workspace (``<workspace>/.studio/``), so a reload or a
restart comes back where it was.

Modules: :mod:`~vfx.studio.security` (token, Host check, safe paths),
:mod:`~vfx.studio.session` (the persisted objects and prompts),
:mod:`~vfx.studio.frames` (decoded frames and overlays), :mod:`~vfx.studio.clicks` (click →
mask with cached embeddings), :mod:`~vfx.studio.studio_masks` (masks shown and rendered),
:mod:`~vfx.studio.jobs` (background work with progress and cancel),
:mod:`~vfx.studio.work` (track, render, export), :mod:`~vfx.studio.server` (routes).
"""
