"""The demo and the test-suite's media: synthetic scenes with exact masks (:mod:`.synthetic`)
and the ``vfx demo`` run over them (:mod:`.run`)."""
