"""The SAM 2 network, one file per box of the paper (trunk, neck, prompt encoder, mask decoder,
memory attention, memory encoder) and ``SAM2Base`` which assembles them."""
