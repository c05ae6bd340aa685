"""Widgets of the segment lesson: the controls, and weights that may have to be downloaded or be missing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from deeplab_core.fast_inference import inference_copy
from deeplab_core.model import MODEL_NAMES
from deeplab_core.segmentation import RESOLUTIONS
from deeplab_core.weights import WeightsUnavailableError, cached_path, download, fetch_command, file_size, is_cached
from lessons.models import get_model, weights_source
from lessons.ui import t

MIB = 2**20
MULTI_GRID = (1, 2, 4)
FAILED = "segment_download_failed"  # session state: model name -> (file, folder, cause) of a failed download


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
    name = cols[0].selectbox(t("segment.model"), MODEL_NAMES, index=default, key="segment_model",
                             format_func=names.get, help=t("segment.model_help"))
    short_side = cols[1].radio(t("segment.resolution"), RESOLUTIONS, index=RESOLUTIONS.index(520),
                               key="segment_resolution", horizontal=True, help=t("segment.resolution_help"))
    output_stride, multi_grid = None, (1, 1, 1)
    if name != "mobilenet_v3_large":
        output_stride = cols[2].radio(t("segment.output_stride"), (8, 16), key="segment_os", horizontal=True,
                                      help=t("segment.output_stride_help"))
        if cols[3].toggle(t("segment.multi_grid"), key="segment_mg", help=t("segment.multi_grid_help")):
            multi_grid = MULTI_GRID
    opacity = st.slider(t("segment.opacity"), 0.0, 1.0, 0.6, 0.05, key="segment_opacity")
    return Settings(name, int(short_side), output_stride, multi_grid, float(opacity))


def _download_with_progress(name: str) -> None:
    """Fetch the checkpoint, feeding a progress bar with the bytes really received."""
    file = cached_path(name).name
    bar = st.progress(0.0, text=t("segment.weights.loading", name=file))

    def report(done: int, total: int | None) -> None:
        total = total or file_size(name)
        if total:
            bar.progress(min(done / total, 1.0), text=t("segment.weights.downloading", file=file,
                                                        done=f"{done / MIB:.1f}", total=f"{total / MIB:.1f}"))
        else:
            bar.progress(0.0, text=t("segment.weights.downloading_unknown", file=file, done=f"{done / MIB:.1f}"))

    try:
        download(name, report)
    finally:
        bar.empty()


def _offer_untrained(name: str) -> str | None:
    use = st.toggle(t("segment.weights.use_untrained"), key=f"segment_untrained_{name}",
                    help=t("segment.weights.use_untrained_help"))
    return "random" if use else None


def choose_weights(name: str) -> str | None:
    """What get_model(weights=...) gets: the server's source, or "random" once the reader accepts untrained
    weights because the pretrained ones are missing; None while there is nothing to run."""
    source = weights_source(name)
    if source == "random":
        return source
    if source != "pretrained":  # a folder of <name>.pth files (ATROUS_LAB_WEIGHTS)
        if Path(source).is_file():
            return source
        st.error(t("segment.weights.missing_folder", path=source, file=cached_path(name).name))
        return _offer_untrained(name)
    failed: dict[str, tuple[str, str, str]] = st.session_state.setdefault(FAILED, {})
    if not is_cached(name) and name not in failed:
        try:
            _download_with_progress(name)
        except WeightsUnavailableError as exc:
            failed[name] = (exc.path.name, str(exc.path.parent), exc.cause)
    if is_cached(name):
        return "pretrained"
    file, folder, cause = failed[name]
    st.warning(t("segment.weights.missing", file=file, folder=folder, cause=cause, command=fetch_command(name)))
    if st.button(t("segment.weights.retry"), key=f"segment_retry_{name}"):
        failed.pop(name, None)
        st.rerun()
    return _offer_untrained(name)


@st.cache_resource(max_entries=2, show_spinner=False)
def fast_model(name: str, weights: str, device: str, output_stride: int | None, multi_grid: tuple[int, ...]):
    """The shared model's inference copy (BatchNorm folded, channels_last); the shared one stays untouched."""
    return inference_copy(get_model(name, weights, device, output_stride, multi_grid), device)
