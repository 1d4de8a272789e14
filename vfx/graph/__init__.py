"""Effect graphs: layers of effects over mask-expression regions, composited per frame.

Build a graph from effect objects and region expressions, then render frames
with named masks (str keys) and object masks (int keys):

>>> import numpy as np
>>> from effects import Blur, Cutout
>>> from vfx.graph import Graph, Layer
>>> frame = np.zeros((4, 6, 3), np.uint8)
>>> frame[:, 3:] = 200                      # a bright right half
>>> subject = np.zeros((4, 6), np.float32)
>>> subject[:, :2] = 1.0                    # the subject covers the left third
>>> graph = Graph([Layer(Blur(radius=4), region="~subject")])
>>> out = graph.render_frame(frame, {"subject": subject})
>>> out.shape, out.dtype.name
((4, 6, 3), 'uint8')
>>> bool((out[:, :2] == frame[:, :2]).all())    # the subject is untouched
True
>>> bool(out[0, 2, 0] > 0 and out[0, 5, 0] < 200)  # the rest is blurred
True
>>> cut = Graph([Layer(Cutout(), region="obj:1")])
>>> cut.makes_alpha
True
>>> rgba = cut.render_frame(frame, {1: subject})
>>> rgba.shape, int(rgba[0, 0, 3]), int(rgba[0, 5, 3])
((4, 6, 4), 255, 0)
"""

from __future__ import annotations

from effects.core.blending import BLEND_MODES, blend_pixels, mix
from vfx.graph.compositor import Graph, Layer
from vfx.graph.region_expressions import Region, parse_region

__all__ = ["BLEND_MODES", "Graph", "Layer", "Region", "blend_pixels", "mix", "parse_region"]
