"""Sidebar: language switch and the compute box (device, versions).

The compute box asks torch about the devices, so it waits for the warm-up (lessons.parts.warmup) instead of
importing torch itself: the overview paints before torch has loaded."""

from __future__ import annotations

import streamlit as st

from deeplab_core import i18n
from lessons.parts.ui import PROJECTOR, t
from lessons.parts.warmup import torch_ready
from lessons.parts.widgets import BOUND

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def choose_language() -> str:
    """?lang= in the URL wins, then this session's choice, then the browser's locale, then English."""
    if "lang" not in st.session_state:
        st.session_state.lang = (
            i18n.normalise_language(st.query_params.get("lang"))
            or i18n.normalise_language(getattr(st.context, "locale", None))
            or i18n.DEFAULT_LANGUAGE
        )
    st.sidebar.radio(
        "Language / 语言",
        i18n.LANGUAGES,
        key="lang",
        format_func=LANGUAGE_NAMES.get,
        horizontal=True,
    )
    if st.query_params.get("lang") != st.session_state.lang:  # keeps the choice across a refresh and in links
        # written only when it differs: each write sends the whole query string back to the browser
        st.query_params["lang"] = st.session_state.lang
    return st.session_state.lang


def projector_toggle() -> bool:
    """Projector mode for a class (also ?projector=true in a link): big dark chart text, thick lines, long prose
    folded (lessons.parts.ui.chart and section)."""
    return bool(st.sidebar.toggle(t("common.projector"), key=PROJECTOR, help=t("common.projector_help"), **BOUND))


def compute_box() -> str | None:
    """Device override and what it is; returns the chosen device kind (None while torch is still loading)."""
    box = st.sidebar.container(border=True)
    if not torch_ready():
        box.caption(t("serving.torch_loading"))
        return None
    from deeplab_core.nets.device import available_devices, describe_device  # loaded by the warm-up by now

    kinds = available_devices()
    labels = {k: t(f"common.device_{k}") for k in kinds}
    kind = box.selectbox(t("common.device"), kinds, key="device", format_func=labels.__getitem__)
    info = describe_device(kind)
    if info.kind == "cuda":
        box.caption(t("common.compute_cuda", name=info.name, memory=f"{info.memory_gib:.0f}"))
    elif info.kind == "mps":
        box.caption(t("common.compute_mps"))
    else:  # the server's thread policy (deeplab_core.config.thread_policy), as applied
        policy = info.policy
        photos = policy.engine if info.engine != "PyTorch" else policy.torch  # no engine: photos run in torch
        box.caption(
            t(
                "common.compute_cpu",
                cores=policy.cores,
                engine=info.engine,
                engine_threads=photos,
                torch_threads=policy.torch,
                crf_threads=policy.crf,
            )
        )
    box.caption(f"torch {info.torch_version} · torchvision {info.torchvision_version}")
    return kind
