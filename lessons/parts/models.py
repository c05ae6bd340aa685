"""Models shared by every page: one per (name, weights, device, output stride, multi-grid), built once.

A classroom server has one process and many sessions; models are built once with `st.cache_resource` (shared by
every session) and run through lessons.parts.runner, one job at a time.
"""

from __future__ import annotations

import os

import streamlit as st

from deeplab_core import config
from deeplab_core.config import NO_MULTI_GRID
from deeplab_core.nets.model import DeepLab, load_model, set_output_stride


def weights_source(name: str) -> str:
    """What `load_model(weights=...)` gets for this model on this server (config.WEIGHTS_ENV)."""
    return config.weights_source(name, os.environ.get(config.WEIGHTS_ENV, "pretrained"))


@st.cache_resource(max_entries=6, show_spinner=False)
def get_model(
    name: str,
    weights: str,
    device: str,
    output_stride: int | None = None,
    multi_grid: tuple[int, ...] = NO_MULTI_GRID,
) -> DeepLab:
    """A cached model; output_stride None keeps torchvision's own wiring (OS 8 for ResNets)."""
    model = load_model(name, weights=weights, device=device)
    if output_stride is not None:
        set_output_stride(model, output_stride, multi_grid)
    return model
