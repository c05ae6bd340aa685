"""Pretrained DeepLabv3 weights: torchvision's COCO-with-VOC-labels checkpoints in the torch hub cache.

The cache is torch's own (`$TORCH_HOME/hub/checkpoints`, by default `~/.cache/torch/hub/checkpoints`), so
weights fetched here are shared with any other torchvision program. Nothing else is written to disk.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import logging
import os
import re
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torchvision.models._api import WeightsEnum
from torchvision.models.segmentation import (
    DeepLabV3_MobileNet_V3_Large_Weights,
    DeepLabV3_ResNet50_Weights,
    DeepLabV3_ResNet101_Weights,
)

from deeplab_core.errors import LabError

WEIGHTS: dict[str, WeightsEnum] = {
    "mobilenet_v3_large": DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1,
    "resnet50": DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1,
    "resnet101": DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1,
}
# What the three checkpoints say about themselves (they agree; tests/test_model.py checks), read from torchvision's
# metadata, which ships in the package: no download.
_VOC = WEIGHTS["resnet50"]
CATEGORIES: tuple[str, ...] = tuple(_VOC.meta["categories"])  # background + the 20 PASCAL VOC classes
NUM_CLASSES = len(CATEGORIES)
TORCHVISION_RESIZE: int = _VOC.transforms().resize_size[0]  # the preset resizes a photo's short side to this
_HASH = re.compile(r"-([a-f0-9]+)\.")  # torchvision names files <name>-<sha256 prefix>.pth
_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)
_DISK_ERRNOS = {errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EPERM}
log = logging.getLogger(__name__)


class WeightsUnavailableError(LabError, RuntimeError):
    """The pretrained file is not cached and could not be fetched. `key` ("errors.weights.<reason>") tells a
    student which file is missing and the command that fetches it; the full path, URL and raw cause (for the
    teacher and the server log) are in `str(error)` and the attributes."""

    def __init__(self, name: str, path: Path, url: str, cause: str, reason: str = "offline", **values: object) -> None:
        super().__init__(
            f"errors.weights.{reason}",
            f"{path.name} is not in the torch hub cache ({path.parent}) and could not be "
            f"downloaded from {url}: {cause}. Fetch it on a machine with internet access with "
            f"`{fetch_command(name)}`, or copy the file to {path}.",
            file=path.name,
            command=fetch_command(name),
            **values,
        )
        self.name, self.path, self.url, self.cause = name, path, url, cause

    def again(self) -> WeightsUnavailableError:
        """A fresh copy, so that each waiting session raises its own exception object."""
        reason = self.reason
        extra = {k: v for k, v in self.values.items() if k not in ("file", "command")}
        return WeightsUnavailableError(self.name, self.path, self.url, self.cause, reason, **extra)


def fetch_command(name: str) -> str:
    return f"python -m deeplab_core.weights download {name}"


def checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def weights_enum(name: str) -> WeightsEnum:
    try:
        return WEIGHTS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; choose one of {sorted(WEIGHTS)}.") from None


def cached_path(name: str) -> Path:
    """Where torch's hub cache keeps (or would keep) this model's checkpoint."""
    return checkpoint_dir() / os.path.basename(weights_enum(name).url)


def is_cached(name: str) -> bool:
    return cached_path(name).is_file()


def file_size(name: str) -> int | None:
    """The checkpoint's size in bytes as torchvision's metadata records it."""
    size_mb = weights_enum(name).meta.get("_file_size")
    return int(size_mb * 2**20) if size_mb else None


def _failure(name: str, dest: Path, url: str, exc: BaseException) -> WeightsUnavailableError:
    """Sort a network or disk failure into a reason a student can act on; the raw error goes to the log."""
    cause = str(getattr(exc, "reason", exc))
    if isinstance(exc, urllib.error.HTTPError):
        return WeightsUnavailableError(name, dest, url, cause, "http", status=exc.code)
    if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
        return WeightsUnavailableError(name, dest, url, cause, "timeout")
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return WeightsUnavailableError(name, dest, url, cause, "disk")
    return WeightsUnavailableError(name, dest, url, cause, "offline")


@dataclass(eq=False)
class _Transfer:
    """One download in flight, shared by every caller that wants the same model."""

    changed: threading.Condition = field(default_factory=threading.Condition)
    done: int = 0
    total: int | None = None
    watchers: int = 0  # callers still waiting for it; none left cancels it
    finished: bool = False
    error: WeightsUnavailableError | None = None


_transfers: dict[str, _Transfer] = {}
_transfers_lock = threading.Lock()


def _fetch(name: str, transfer: _Transfer, timeout: float) -> None:
    """The download itself, in its own thread: a `.partial` file beside the target, removed on every exit path."""
    url, dest = weights_enum(name).url, cached_path(name)
    digest, partial = hashlib.sha256(), None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            fd, partial = tempfile.mkstemp(dir=dest.parent, prefix=f"{dest.name}.", suffix=".partial")
            with os.fdopen(fd, "wb") as tmp:
                while chunk := response.read(_CHUNK):
                    tmp.write(chunk)
                    digest.update(chunk)
                    with transfer.changed:
                        transfer.done, transfer.total = transfer.done + len(chunk), total
                        transfer.changed.notify_all()
                        if transfer.watchers == 0:  # everyone left (a page closed, Ctrl-C): stop, clean up
                            return
        expected = _HASH.search(dest.name)
        if expected and not digest.hexdigest().startswith(expected.group(1)):
            transfer.error = WeightsUnavailableError(
                name, dest, url, f"SHA-256 {digest.hexdigest()[:12]}… does not start with {expected.group(1)}",
                "checksum",
            )  # fmt: skip
            return
        os.replace(partial, dest)
        partial = None
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
        transfer.error = _failure(name, dest, url, exc)
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        if transfer.error is not None:
            log.warning("weights %s: %s", name, transfer.error)  # full path, URL and raw cause, for the teacher
        with _transfers_lock:
            _transfers.pop(name, None)
        with transfer.changed:
            transfer.finished = True
            transfer.changed.notify_all()


def download(name: str, progress: Progress | None = None, *, timeout: float = 20.0) -> Path:
    """Fetch the checkpoint into the hub cache, reporting real bytes, and check its SHA-256 prefix.

    One download per model per process: a caller that finds one in flight waits for it and sees its progress
    instead of starting another. The transfer runs in its own thread, so a caller that stops (a page left, an
    interrupt) never leaves a `.partial` file: when the last caller leaves, the transfer stops and deletes it.
    """
    with _transfers_lock:
        transfer = _transfers.get(name)
        if transfer is None:
            transfer = _transfers[name] = _Transfer()
            thread = threading.Thread(target=_fetch, args=(name, transfer, timeout), name=f"download-{name}")
        else:
            thread = None
        with transfer.changed:
            transfer.watchers += 1
    if thread is not None:
        thread.start()
    seen = -1
    try:
        while True:
            with transfer.changed:
                if not transfer.finished and transfer.done == seen:
                    transfer.changed.wait(timeout=0.5)
                done, total, finished = transfer.done, transfer.total, transfer.finished
            if progress and done != seen:
                seen = done
                progress(done, total)  # outside the lock; may raise (a Streamlit stop): handled below
            if finished:
                break
    finally:
        with transfer.changed:
            transfer.watchers -= 1
            last = transfer.watchers == 0
        if last and not transfer.finished:  # wait (at most one chunk) until the transfer has removed its file
            with transfer.changed:
                transfer.changed.wait_for(lambda: transfer.finished, timeout=timeout + 5)
    if transfer.error is not None:
        raise transfer.error.again()
    if not is_cached(name):  # joined a transfer just as its last watcher cancelled it: start a new one
        return download(name, progress, timeout=timeout)
    return cached_path(name)


def pretrained_state_dict(name: str, progress: Progress | None = None) -> dict[str, torch.Tensor]:
    """The cached checkpoint, downloading it first when missing (WeightsUnavailableError offline)."""
    path = cached_path(name)
    if not path.is_file():
        download(name, progress)
    return torch.load(path, map_location="cpu", weights_only=True)
