"""Memory of a class that uploads photos (issue 23), for scripts/load_test.py --uploads N: what a session keeps, and
whether the server gives it back after the tabs close."""

from __future__ import annotations

import io
import time
from pathlib import Path

from scripts.load_scenarios import Tab


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def photo_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A 12-megapixel camera-sized JPEG (smooth gradients and noise, ~3 MB): the upload every session sends."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], -1) + rng.integers(
        0, 24, (height, width, 3)
    )
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def upload_once(url: str, data: bytes, timeout: float) -> Tab:
    """A tab that uploaded `data` to the segment lesson and saw it segmented (untrained weights: their banner is
    the page's one expected error)."""
    tab = Tab(url, "segment", "lang=en&segment_src=upload", timeout)
    tab.rerun()
    run = tab.upload("segment_photo_upload", "camera.jpg", data)
    errors = [e for e in run.errors if not e.startswith("UNTRAINED")]
    if run.seconds is None or run.exceptions or errors:
        tab.close()
        raise RuntimeError(f"the upload was not segmented: {run.exceptions} {errors}")
    return tab


def uploads_and_memory(url: str, pid: int, sessions: int, timeout: float, linger: float = 180) -> str:
    """One tab uploads a camera photo to the segment lesson and closes (the model, its engine and the imports are
    then loaded: the baseline); then `sessions` tabs do the same and stay open; then they all close. The server's
    RSS at each point, and at moments after they closed: Streamlit keeps a closed session for
    server.disconnectedSessionTTL (120 s) in case it reconnects, then the janitor (lessons/parts/janitor.py,
    every 30 s) releases it."""
    data = photo_jpeg()
    upload_once(url, data, timeout).close()
    time.sleep(5)
    base = rss_mib(pid)
    lines = [f"photo: {len(data) / 2**20:.1f} MB JPEG, 4000×3000; server RSS with the model loaded: {base:.0f} MiB"]
    tabs = []
    try:
        for _ in range(sessions):
            tabs.append(upload_once(url, data, timeout))
        open_rss = rss_mib(pid)
        lines.append(f"{sessions} tabs open with a segmented upload each: RSS {open_rss:.0f} MiB, "
                     f"{(open_rss - base) / sessions:.0f} MiB a session")  # fmt: skip
    finally:
        for tab in tabs:
            tab.close()
    closed = time.monotonic()
    for moment in (5, 60, 125, 160, linger):
        time.sleep(max(0.0, closed + moment - time.monotonic()))
        rss = rss_mib(pid)
        lines.append(
            f"  {moment:>3.0f} s after they closed: RSS {rss:.0f} MiB ({rss - base:+.0f} MiB over the baseline)"
        )
    return "\n".join(lines)
