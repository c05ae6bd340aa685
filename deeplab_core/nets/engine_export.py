"""The ONNX export of a DeepLabv3 for the inference engine, cached beside torch's hub cache and checked before use.

**Export.** A copy of the network with its BatchNorms folded (`fast_inference.fuse_batchnorm`) is traced once by
torch.onnx's TorchScript exporter, the input's height and width left free (dynamic axes), so one file serves every
photo shape. The ASPP taps that only read padding are not trimmed in the graph: which taps those are depends on the
map's size, and a graph that chooses at run time (ONNX `If`) ran slower in ONNX Runtime than the taps it saved
(docs/BENCHMARKS.md, "Inference engine").

**Cache.** One file per (model, output stride, layer-4 rates — multi-grid —, weights) in
`$TORCH_HOME/atrous_lab/onnx/` (beside torch's `hub/`), never in the repository. The file's metadata holds a
fingerprint of what it was made from (every weight, every convolution's stride and dilation, the export format,
torch's version). A file that does not parse is corrupt, one whose fingerprint differs is stale (other weights or
wiring): both are exported again. Writes go to a temporary file in the same folder, then `os.replace` it over the
old one (atomic), so two sessions or two servers loading the same model at once never read half a file. Untrained
weights (`weights="random"`, new at every load) are exported in memory only. Nothing else is written; a folder that
cannot be written only costs the cache (the export is used from memory).
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from deeplab_core.config import TORCHVISION_OUTPUT_STRIDE
from deeplab_core.nets.fast_inference import fuse_batchnorm
from deeplab_core.nets.model import DeepLab
from deeplab_core.nets.wiring import STAGE_STRIDES, block_dilations, is_resnet

FORMAT = "atrous-lab-onnx-1"  # bump when the exported graph changes, so old files count as stale
FINGERPRINT_KEY = "atrous_lab.fingerprint"
OPSET = 17
INPUT, OUTPUT = "image", "logits"
log = logging.getLogger(__name__)
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True, eq=False)
class Export:
    data: bytes = field(repr=False)  # the ONNX model, as written
    path: Path  # where it is cached
    origin: str  # "cached", "exported", "rebuilt: stale", "rebuilt: corrupt" or "rebuilt: damaged"
    saved: bool  # False when the cache folder could not be written (the export is used from memory)


def cache_dir() -> Path:
    """$TORCH_HOME/atrous_lab/onnx: beside torch's hub cache (torch.hub.get_dir() is $TORCH_HOME/hub)."""
    return Path(torch.hub.get_dir()).parent / "atrous_lab" / "onnx"


def wiring(model: DeepLab) -> str:
    """Output stride and layer-4 rates as the modules are wired now: 'os16' (MobileNetV3), 'os8-r2.4.4' (ResNet)."""
    if not is_resnet(model.net):
        return f"os{TORCHVISION_OUTPUT_STRIDE[model.spec.name]}"
    backbone = model.net.backbone
    strides = (backbone.layer3[0].conv2.stride[0], backbone.layer4[0].conv2.stride[0])
    output_stride = next(os_ for os_, pair in STAGE_STRIDES.items() if pair == strides)
    return f"os{output_stride}-r" + ".".join(map(str, block_dilations(model)["layer4"]))


def weights_tag(weights: str) -> str:
    if weights in ("pretrained", "random"):
        return weights
    return "file-" + hashlib.blake2b(weights.encode(), digest_size=5).hexdigest()  # a state dict's path


def export_path(model: DeepLab) -> Path:
    return cache_dir() / f"{model.spec.name}-{wiring(model)}-{weights_tag(model.spec.weights)}.onnx"


def fingerprint(model: DeepLab) -> str:
    """A digest of everything the export computes from: weights, convolution geometry, format, torch version."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FORMAT}|{torch.__version__}|{model.spec.name}".encode())
    for name, module in model.net.named_modules():
        if isinstance(module, nn.Conv2d):
            digest.update(f"{name}:{module.stride}:{module.padding}:{module.dilation}".encode())
    for name, tensor in model.net.state_dict().items():
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class _Logits(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (1, 3, h, w) -> (1, C, h, w)
        return self.net(x)["out"]


def export_onnx(model: DeepLab, stamp: str) -> bytes:
    """The ONNX bytes of `model` (BatchNorm folded, dynamic height and width), with `stamp` as its fingerprint."""
    import onnx

    net = fuse_batchnorm_copy(model)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            _Logits(net),
            (torch.zeros(1, 3, 64, 64),),
            buffer,  # type: ignore[arg-type]  # the TorchScript exporter writes to a file object as well
            dynamo=False,  # the TorchScript exporter needs neither onnxscript nor torch.export's shape guards
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {2: "height", 3: "width"}, OUTPUT: {2: "height", 3: "width"}},
            opset_version=OPSET,
        )
    proto = onnx.load_model_from_string(buffer.getvalue())
    onnx.helper.set_model_props(proto, {FINGERPRINT_KEY: stamp})
    return proto.SerializeToString()


def fuse_batchnorm_copy(model: DeepLab) -> nn.Module:
    net = copy.deepcopy(model.net).eval().cpu()
    fuse_batchnorm(net)
    return net


def _cached(path: Path, stamp: str) -> tuple[bytes | None, str]:
    """The cached bytes when they parse and carry `stamp`; else None and why ("stale" or "corrupt")."""
    import onnx

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "missing"
    try:
        props = {p.key: p.value for p in onnx.load_model_from_string(data).metadata_props}
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: any unreadable file is corrupt
        return None, "corrupt"
    return (data, "cached") if props.get(FINGERPRINT_KEY) == stamp else (None, "stale")


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder renamed over it: readers see the old file
    or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)  # readable like torch's own cache files (mkstemp makes it private)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def load_export(model: DeepLab, *, damaged: bool = False) -> Export:
    """The model's export: from the cache when it is sound and current, else exported now and cached.
    `damaged`: the caller found the cached file's logits wrong; export again whatever its metadata says."""
    path, stamp = export_path(model), fingerprint(model)
    if model.spec.weights == "random":  # new weights at every load: a file would never be read again
        return Export(export_onnx(model, stamp), path, "exported", saved=False)
    with _lock(path):  # sessions of one server wait for one export instead of making their own
        data, state = (None, "damaged") if damaged else _cached(path, stamp)
        if data is not None:
            return Export(data, path, "cached", saved=True)
        data = export_onnx(model, stamp)
        origin = "exported" if state == "missing" else f"rebuilt: {state}"
        try:
            write_atomically(path, data)
        except OSError as exc:
            log.warning("Could not cache the ONNX export at %s (%s); using it from memory.", path, exc)
            return Export(data, path, origin, saved=False)
        log.info("ONNX export of %s %s: %s", model.spec.name, wiring(model), origin)
        return Export(data, path, origin, saved=True)
