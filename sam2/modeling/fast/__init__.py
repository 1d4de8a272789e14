"""CPU fast paths for the modeling boxes: folded (online-softmax) attention, the memory
attention's fused step, and fused linear+activation. Each falls back to the plain
PyTorch path of its box where it does not apply; the boxes in :mod:`sam2.modeling`
stand alone without them."""
