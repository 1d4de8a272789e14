"""The one moviepy workaround (vfx.io.moviepy_pipe) relies on moviepy internals: pin them.

RawPipeWriter builds the ffmpeg command itself (moviepy 2.x ignores ``pixel_format`` for the
frames it pipes) and keeps moviepy's ``write_frame``/``close``/context manager. This test fails
as soon as a moviepy release makes those methods read an attribute RawPipeWriter does not set,
or drops one of them; then revisit the workaround (or drop it, if moviepy honours the format).
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter

from vfx.io.moviepy_pipe import RawPipeWriter


def _self_attributes(function: object) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }


def test_moviepy_methods_we_keep_read_only_what_we_set() -> None:
    init = _self_attributes(RawPipeWriter.__init__)
    methods = ("write_frame", "close", "__enter__", "__exit__")
    used = set().union(*(_self_attributes(getattr(FFMPEG_VideoWriter, m)) for m in methods))
    assert used - set(methods) <= init, sorted(used - set(methods) - init)
    assert all(m not in RawPipeWriter.__dict__ for m in methods)  # moviepy's own, unchanged
