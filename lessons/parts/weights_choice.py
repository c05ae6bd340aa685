"""Which weights a model page runs: the server's source, downloaded with real progress when missing, or, once
the reader accepts it, untrained weights because the pretrained file cannot be had. Shared by every model page,
so a failed download is remembered for the session instead of being retried on every rerun of every page.

One download per model for the whole server (deeplab_core.nets.checkpoints.download): a second session that asks
for the same model watches the first one's progress in its own bar. A student sees which file is missing and the
command that fetches it; the full path and the raw error go to the server log."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from deeplab_core.nets import checkpoints as weights
from lessons.parts.models import weights_source
from lessons.parts.ui import t
from lessons.parts.widgets import toggle

MIB = 2**20
log = logging.getLogger(__name__)
UNTRAINED, DECISION = "untrained", "untrained_accepted"  # the switch (?untrained=true), the session's decision
FAILED = "weights_download_failed"  # session state: model name -> (key, values) of the failed download's error


def _download_with_progress(name: str) -> None:
    """Fetch the checkpoint, feeding a progress bar with the bytes really received."""
    file = weights.cached_path(name).name
    bar = st.progress(0.0, text=t("weights.loading", name=file))

    def report(done: int, total: int | None) -> None:
        total = total or weights.file_size(name)
        if total:
            bar.progress(
                min(done / total, 1.0),
                text=t("weights.downloading", file=file, done=f"{done / MIB:.1f}", total=f"{total / MIB:.1f}"),
            )
        else:
            bar.progress(0.0, text=t("weights.downloading_unknown", file=file, done=f"{done / MIB:.1f}"))

    try:
        weights.download(name, report)
    finally:
        bar.empty()


def _keep_decision() -> None:
    st.session_state[DECISION] = st.session_state[UNTRAINED]


def _offer_untrained(name: str, prefix: str) -> str | None:
    """One decision per session: accepting untrained weights once holds for every model on every page (the
    switch is shown again on each, already set, so it can be taken back). It is part of the link
    (?untrained=true), so a link to a view with untrained weights shows that view; a lesson's reset leaves it."""
    if DECISION in st.session_state:  # the switch on this page starts from the decision taken on another
        st.session_state[UNTRAINED] = st.session_state[DECISION]
    use = toggle(
        UNTRAINED, "weights.use_untrained", help_key="weights.use_untrained_help", reset=False, on_change=_keep_decision
    )
    st.session_state[DECISION] = use  # also when the link set it, which calls no on_change
    return "random" if use else None


def choose_weights(name: str, prefix: str) -> str | None:
    """What get_model(weights=...) gets: the server's source, or "random" once the reader accepts untrained
    weights because the pretrained ones are missing; None while there is nothing to run."""
    source = weights_source(name)
    if source == "random":
        return source
    if source != "pretrained":  # a folder of <name>.pth files (ATROUS_LAB_WEIGHTS)
        if Path(source).is_file():
            return source
        log.warning("ATROUS_LAB_WEIGHTS: no checkpoint at %s", source)  # the path for the teacher, not the page
        st.error(t("weights.missing_folder", file=Path(source).name))
        return _offer_untrained(name, prefix)
    failed: dict[str, tuple[str, dict[str, object]]] = st.session_state.setdefault(FAILED, {})
    if not weights.is_cached(name) and name not in failed:
        try:
            _download_with_progress(name)
        except weights.WeightsUnavailableError as exc:  # already logged with the full path and raw cause
            failed[name] = (exc.key, exc.values)
    if weights.is_cached(name):
        return "pretrained"
    key, values = failed[name]
    st.warning(t(key, **values))
    if st.button(t("weights.retry"), key=f"{prefix}_retry_{name}"):
        failed.pop(name, None)
        st.rerun()
    return _offer_untrained(name, prefix)
