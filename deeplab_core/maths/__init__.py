"""Convolution arithmetic and receptive fields: closed forms and small numpy/torch oracles, no networks."""
