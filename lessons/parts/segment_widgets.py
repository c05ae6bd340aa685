"""Widgets of the segment lesson: the controls, and the cached fast copy of the chosen model."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from deeplab_core.config import MODEL_NAMES, MULTI_GRID, RESOLUTIONS
from deeplab_core.nets.fast_inference import inference_copy
from lessons.parts.models import get_model
from lessons.parts.ui import t


@dataclass(frozen=True)
class Settings:
    name: str
    short_side: int
    output_stride: int | None  # None for MobileNetV3 (its own wiring)
    multi_grid: tuple[int, ...]
    opacity: float


def controls(device: str) -> Settings:
    cols = st.columns([2, 2, 1, 1])
    default = MODEL_NAMES.index("resnet101" if device == "cuda" else "mobilenet_v3_large")
    names = {n: t(f"segment.model_name.{n}") for n in MODEL_NAMES}  # bound now: AppTest formats outside a run
    name = cols[0].selectbox(
        t("segment.model"),
        MODEL_NAMES,
        index=default,
        key="segment_model",
        format_func=names.get,
        help=t("segment.model_help"),
    )
    short_side = cols[1].radio(
        t("segment.resolution"),
        RESOLUTIONS,
        index=RESOLUTIONS.index(520),
        key="segment_resolution",
        horizontal=True,
        help=t("segment.resolution_help"),
    )
    output_stride, multi_grid = None, (1, 1, 1)
    if name != "mobilenet_v3_large":
        output_stride = cols[2].radio(
            t("segment.output_stride"), (8, 16), key="segment_os", horizontal=True, help=t("segment.output_stride_help")
        )
        if cols[3].toggle(t("segment.multi_grid"), key="segment_mg", help=t("segment.multi_grid_help")):
            multi_grid = MULTI_GRID
    opacity = st.slider(t("segment.opacity"), 0.0, 1.0, 0.6, 0.05, key="segment_opacity")
    return Settings(name, int(short_side), output_stride, multi_grid, float(opacity))


@st.cache_resource(max_entries=2, show_spinner=False)
def fast_model(name: str, weights: str, device: str, output_stride: int | None, multi_grid: tuple[int, ...]):
    """The shared model's inference copy (BatchNorm folded, channels_last); the shared one stays untouched."""
    return inference_copy(get_model(name, weights, device, output_stride, multi_grid), device)
