"""``python -m vfx``: the same as the ``vfx`` command."""

from vfx.cli import main

main()
