"""What the effects share: the effect contract (:mod:`.base`), typed parameters (:mod:`.params`),
the registry (:mod:`.registry`), colours, image kernels, .cube LUTs, background sources and
per-object regions. One effect per module lives in :mod:`effects` itself."""
