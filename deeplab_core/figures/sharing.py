"""Figures drawn by many sessions at once: what plotly's validator may be given.

A lesson caches a figure once for every session (st.cache_resource hands them all the same object). plotly 7's
trace validator (`_plotly_utils.basevalidators.BaseDataValidator.validate_coerce`) takes each trace's "type" out
of the trace's dict while it builds the trace and puts it back afterwards (`v_el.pop("type", "scatter")`). It
does that to the dicts it is given (a figure passed as a dict, which `st.plotly_chart` validates on every draw)
and to a figure's own trace dicts (`go.Figure(fig)` copies a figure that way, as projector styling does). For
that moment every other thread sees a heatmap without a type, that is, a scatter: one that validates the same
figure then fails with "Invalid property specified for object of type plotly.graph_objs.Scatter: 'colorscale'",
and one that serialises it sends a scatter to the browser. A class opening the receptive-field lesson on a cold
server draws its cached animation (a dict) at the same moment in many sessions, which is when it showed.
So whatever the validator will see is a private copy (tests/test_figure_sharing.py reproduces the race).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.basedatatypes import BasePlotlyType


def _trace(trace: Any) -> Any:
    """A trace the validator may take apart: a new dict for a dict (plotly copies the nested dicts itself before
    it takes from them), a deep copy of a trace object's properties."""
    if isinstance(trace, dict):
        return dict(trace)
    if isinstance(trace, BasePlotlyType):
        return trace.to_plotly_json()
    return trace


def _traces(traces: Any) -> Any:
    if isinstance(traces, list | tuple):
        return [_trace(trace) for trace in traces]
    return _trace(traces)


def private_copy(fig: go.Figure | dict) -> go.Figure | dict:
    """`fig` with trace dicts (also inside its frames) that belong to the caller alone. A Figure is rebuilt from
    deep copies of its parts (read without changing it; arrays stay arrays); a dict is copied one level down per
    trace, which is all the validator changes, so a long animation is not deep-copied on every draw."""
    if isinstance(fig, go.Figure):
        return go.Figure(
            data=[trace.to_plotly_json() for trace in fig.data],
            layout=fig.layout.to_plotly_json(),
            frames=[frame.to_plotly_json() for frame in fig.frames],
        )
    copy = dict(fig)
    if "data" in copy:
        copy["data"] = _traces(copy["data"])
    if "frames" in copy:
        copy["frames"] = [
            {**frame, "data": _traces(frame["data"])} if isinstance(frame, dict) and "data" in frame else frame
            for frame in copy["frames"]
        ]
    return copy


def safe_to_draw(fig: go.Figure | dict, *, restyled: bool) -> go.Figure | dict:
    """What a page hands to `st.plotly_chart` (and first to projector styling when `restyled`) for a figure that
    other sessions may be drawing. A Figure that goes straight to Streamlit is only read (`to_dict()`), so it is
    passed as it is; anything the validator will see is a private copy."""
    if isinstance(fig, go.Figure) and not restyled:
        return fig
    return private_copy(fig)
