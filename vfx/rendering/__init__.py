"""Rendering: the render pipeline (:mod:`.pipeline`), its threaded read/composite/write
stages (:mod:`.stages`) and preview contact sheets (:mod:`.preview`).

The package is ``rendering``, not ``render``: a sub-package named ``render`` would
replace the function ``vfx.render(...)`` as soon as it is imported (Python sets a
loaded sub-module as an attribute of its parent package).
"""
