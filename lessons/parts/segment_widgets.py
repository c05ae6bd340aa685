"""Widgets of the segment lesson: the controls, and the cached fast copy of the chosen model."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from deeplab_core.config import (
    DEEPLAB_OUTPUT_STRIDES,
    MODEL_NAMES,
    MULTI_GRID,
    NO_MULTI_GRID,
    RESOLUTIONS,
    TORCHVISION_OUTPUT_STRIDE,
)
from deeplab_core.nets.checkpoints import TORCHVISION_RESIZE
from deeplab_core.nets.engine import Engine
from deeplab_core.nets.engine import fast_model as page_model
from deeplab_core.nets.model import DeepLab
from lessons.parts.models import get_model
from lessons.parts.widgets import choice, float_slider, selectbox, toggle


@dataclass(frozen=True)
class Settings:
    name: str
    short_side: int
    output_stride: int | None  # None for MobileNetV3 (its own wiring)
    multi_grid: tuple[int, ...]
    opacity: float


def controls(device: str) -> Settings:
    cols = st.columns([2, 2, 1])
    default = MODEL_NAMES.index("resnet101" if device == "cuda" else "mobilenet_v3_large")
    name = selectbox(
        "model",
        "segment.model",
        MODEL_NAMES,
        format_key="segment.model_name",
        default=default,
        help_key="segment.model_help",
        container=cols[0],
    )
    short_side = choice(
        "res",
        "segment.resolution",
        RESOLUTIONS,
        default=RESOLUTIONS.index(TORCHVISION_RESIZE),
        help_key="segment.resolution_help",
        container=cols[1],
    )
    output_stride, multi_grid = None, NO_MULTI_GRID
    if name != "mobilenet_v3_large":
        strides = sorted(DEEPLAB_OUTPUT_STRIDES)  # starting where torchvision builds the network
        output_stride = choice(
            "stride",
            "segment.output_stride",
            strides,
            default=strides.index(TORCHVISION_OUTPUT_STRIDE[name]),
            help_key="segment.output_stride_help",
            container=cols[2],
        )
        # on its own row: in a narrow column the switch's label was cut off
        if toggle("mg", "segment.multi_grid", help_key="segment.multi_grid_help"):
            multi_grid = MULTI_GRID
    opacity = float_slider("opacity", "segment.opacity", 0.0, 1.0, 0.6, 0.05)
    return Settings(name, int(short_side), output_stride, multi_grid, float(opacity))


@st.cache_resource(max_entries=2, show_spinner=False)
def fast_model(
    name: str, weights: str, device: str, output_stride: int | None, multi_grid: tuple[int, ...]
) -> DeepLab | Engine:
    """What the page runs for the shared model (`deeplab_core.fast_model`): ONNX Runtime on a CPU, exported once
    into the cache beside torch's hub cache; the torch inference copy on a GPU. The shared model stays untouched."""
    return page_model(get_model(name, weights, device, output_stride, multi_grid), device)
