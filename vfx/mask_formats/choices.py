"""The names the mask export takes, importable without numpy (the CLI builds its options from
them before any work starts)."""

FORMATS = ("png", "ffv1", "npz", "coco-rle", "vace", "comfy")
"""Format names, as ``--format`` takes them."""
COMBINES = ("separate", "union", "labels")
"""One mask per object, their union, or label maps."""
FRAME_MODES = ("pad", "trim", "none")
"""How vace/comfy reach 4n+1 frames."""
SIDE_MODES = ("pad", "resize", "none")
"""How vace/comfy reach sides divisible by 16."""
