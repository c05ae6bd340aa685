"""Pretrained DeepLabv3 weights: torchvision's COCO-with-VOC-labels checkpoints in the torch hub cache.

The cache is torch's own (`$TORCH_HOME/hub/checkpoints`, by default `~/.cache/torch/hub/checkpoints`), so
weights fetched here are shared with any other torchvision program. Nothing else is written to disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import torch
from torchvision.models._api import WeightsEnum
from torchvision.models.segmentation import (
    DeepLabV3_MobileNet_V3_Large_Weights,
    DeepLabV3_ResNet50_Weights,
    DeepLabV3_ResNet101_Weights,
)

WEIGHTS: dict[str, WeightsEnum] = {
    "mobilenet_v3_large": DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1,
    "resnet50": DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1,
    "resnet101": DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1,
}
_HASH = re.compile(r"-([a-f0-9]+)\.")  # torchvision names files <name>-<sha256 prefix>.pth
_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)


class WeightsUnavailableError(RuntimeError):
    """The pretrained file is not cached and could not be fetched. Carries what a page needs to explain it."""

    def __init__(self, name: str, path: Path, url: str, cause: str) -> None:
        super().__init__(
            f"{path.name} is not in the torch hub cache ({path.parent}) and could not be "
            f"downloaded from {url}: {cause}. Fetch it on a machine with internet access with "
            f"`{fetch_command(name)}`, or copy the file to {path}."
        )
        self.name, self.path, self.url, self.cause = name, path, url, cause


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


def download(name: str, progress: Progress | None = None, *, timeout: float = 20.0) -> Path:
    """Fetch the checkpoint into the hub cache, reporting real bytes, and check its SHA-256 prefix."""
    url, dest = weights_enum(name).url, cached_path(name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            # A temporary file beside the target, so a half-written file never looks cached.
            with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, suffix=".partial") as tmp:
                done = 0
                while chunk := response.read(_CHUNK):
                    tmp.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        if "tmp" in locals():
            Path(tmp.name).unlink(missing_ok=True)
        raise WeightsUnavailableError(name, dest, url, str(getattr(exc, "reason", exc))) from exc
    expected = _HASH.search(dest.name)
    if expected and not digest.hexdigest().startswith(expected.group(1)):
        Path(tmp.name).unlink(missing_ok=True)
        raise WeightsUnavailableError(name, dest, url, "the downloaded file failed its SHA-256 check")
    os.replace(tmp.name, dest)
    return dest


def pretrained_state_dict(name: str, progress: Progress | None = None) -> dict[str, torch.Tensor]:
    """The cached checkpoint, downloading it first when missing (WeightsUnavailableError offline)."""
    path = cached_path(name)
    if not path.is_file():
        download(name, progress)
    return torch.load(path, map_location="cpu", weights_only=True)
