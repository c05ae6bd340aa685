"""Inputs the network lessons share: a photo (sample, upload or camera) and a model whose weights may be missing.

Strings come from the calling lesson's catalogue (`<ns>.photo.*`, `<ns>.weights.*`), widget keys from its prefix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
from PIL import Image

from deeplab_core.budget import InputPlan
from deeplab_core.config import BUDGET_ASPECT, MAX_ASPECT, UPLOAD_MAX_MB
from deeplab_core.errors import LabError
from deeplab_core.images import ImageLoadError, load_image
from deeplab_core.nets.device import default_device
from deeplab_core.samples import SAMPLES, load_sample
from lessons.parts.ui import language, show_error, t
from lessons.parts.weights_choice import choose_weights
from lessons.parts.widgets import choice, selectbox

SOURCES = ["sample", "upload", "camera"]
MB = 2**20
# Streamlit's uploader states its own limit and refuses a larger file in English, whatever the page's language; so
# its limit (.streamlit/config.toml) sits above ours, its line is hidden and the page states ours, translated, and
# refuses a file over it with a translated message before reading it.
_UPLOADER_CSS = "<style>[data-testid=stFileUploaderDropzoneInstructions] { display: none; }</style>"


@st.cache_resource(max_entries=8, show_spinner=False)
def _sample(name: str) -> Image.Image:
    return load_sample(name)


def pick_photo(prefix: str, ns: str) -> tuple[Image.Image, str] | None:
    """The chosen photo and a key that identifies it (sample name or the upload's digest); None until there is one."""
    source = choice(f"{prefix}_src", f"{ns}.photo.source", SOURCES, format_key=f"{ns}.photo.source_name")
    if source == "sample":  # the link holds ?<prefix>_src=… and ?<prefix>_photo=…; uploads stay in the browser
        name = selectbox(
            f"{prefix}_photo", f"{ns}.photo.sample", list(SAMPLES), label=lambda n: SAMPLES[n].label(language())
        )
        return _sample(name), f"sample:{name}"
    if source == "upload":
        st.html(_UPLOADER_CSS)  # style only: Streamlit puts it in the page's event container, not among the elements
        file = st.file_uploader(
            t(f"{ns}.photo.upload"),
            type=["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"],
            key=f"{prefix}_photo_upload",
        )
        st.caption(t("serving.upload_limit", limit=UPLOAD_MAX_MB))
    else:
        file = st.camera_input(t(f"{ns}.photo.camera"), key=f"{prefix}_photo_camera")
    if file is None:
        st.info(t(f"{ns}.photo.waiting"))
        return None
    if file.size > UPLOAD_MAX_MB * MB:  # before a byte of it is copied or decoded
        show_error(ImageLoadError("too_big", "File too big", size=f"{file.size / MB:.1f}", limit=UPLOAD_MAX_MB))
        return None
    data = file.getvalue()
    try:
        image = load_image(data, max_aspect=MAX_ASPECT)
    except LabError as exc:  # not an image, too many pixels, or too elongated for the networks (1:16)
        show_error(exc)
        return None
    return image, f"{source}:{hashlib.sha256(data).hexdigest()[:16]}"


def budget_note(plan: InputPlan) -> None:
    """Say so when the pixel budget (deeplab_core.budget), not the chosen resolution, sized the network input."""
    if plan.scaled:
        h, w = plan.size
        values = {"short": plan.short_side, "requested": plan.requested, "aspect": BUDGET_ASPECT}
        st.info(t("serving.scaled", width=w, height=h, **values), icon=":material/photo_size_select_large:")


@dataclass(frozen=True)
class ModelChoice:
    name: str
    weights: str  # what get_model(weights=...) receives
    device: str

    @property
    def trained(self) -> bool:
        return self.weights != "random"


def network(name: str, prefix: str, ns: str) -> ModelChoice | None:
    """The model's weights as this server provides them (lessons.parts.weights_choice); None until there are some."""
    weights = choose_weights(name, prefix)
    if weights is None:
        return None
    if weights == "random":
        st.info(t(f"{ns}.weights.untrained_note"))
    return ModelChoice(name, weights, st.session_state.get("device", default_device()))
