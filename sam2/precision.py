"""The arithmetic choices of the image encoder and the memory attention (a module of its own so
that command lines can offer them without loading the model code)."""

PRECISIONS = ("fp32", "bf16")
"""``fp32`` matches the official model; ``bf16`` runs the matmuls in bfloat16 (fp32 softmax and
accumulation)."""
