"""Every setting of the networks in one place: model names, output strides, ASPP rates, crop and input sizes, and
the option lists that pages and their questions share.

**Output stride** (Chen et al. 2017, "Rethinking Atrous Convolution for Semantic Image Segmentation" (DeepLabv3),
§3.1): the ratio of the input image's size to the final feature map's size. Every other module imports these
names; a rate or stride typed in a second file is a fact that can drift.

What travels with torchvision's weights (the class names, their number, the preset's resize) is read from the
weights' own metadata in `deeplab_core.nets.checkpoints`, not typed here: this module stays free of torch, so the
overview page opens without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MODEL_NAMES: tuple[str, ...] = ("mobilenet_v3_large", "resnet50", "resnet101")  # torchvision's DeepLabv3 builders
RESNETS: tuple[str, ...] = ("resnet50", "resnet101")  # the backbones whose output stride can be re-wired

DEEPLAB_OUTPUT_STRIDES: tuple[int, ...] = (16, 8)  # DeepLabv3's two (§3.1): atrous convolution instead of striding
OUTPUT_STRIDES: tuple[int, ...] = (32, *DEEPLAB_OUTPUT_STRIDES)  # and a plain ResNet's 32, for comparison
TORCHVISION_OUTPUT_STRIDE = {"mobilenet_v3_large": 16, "resnet50": 8, "resnet101": 8}  # as torchvision builds them
TRAIN_OUTPUT_STRIDE = 16  # DeepLabv3 §4.3: trained at 16, and (optionally) evaluated at 8

# DeepLabv3 §3.3: rates (6, 12, 18) at output stride 16, doubled at 8. Output stride 32 halves them: this course's
# extension (the paper does not use 32 with ASPP), so each branch keeps the same field of view in image pixels.
ASPP_RATES: dict[int, tuple[int, int, int]] = {8: (12, 24, 36), 16: (6, 12, 18), 32: (3, 6, 9)}
TORCHVISION_ASPP_RATES: tuple[int, int, int] = (12, 24, 36)  # torchvision's DeepLabHead, for every backbone

MULTI_GRID: tuple[int, int, int] = (1, 2, 4)  # DeepLabv3's Multi_Grid (r1, r2, r3) of its best setting (§4.3)
NO_MULTI_GRID: tuple[int, int, int] = (1, 1, 1)
UNIT_RATES: tuple[int, ...] = (1, 2, 3, 4)  # the unit rates the output-stride lesson offers for each layer4 block

CROP_SIZE = 513  # DeepLabv3's training and evaluation crop (§4): 17, 33 and 65 cells at output stride 32, 16, 8
# Short sides the segment lesson offers: torchvision's preset (520, checked against the weights' metadata by
# tests/test_model.py), and one smaller and one larger.
RESOLUTIONS: tuple[int, ...] = (320, 520, 720)
# The maps of the large-rates lesson: DeepLab's crop at DeepLabv3's output strides (33×33 and 65×65; Fig. 4 draws the
# 65×65 one), and at 4 (129×129), where the same rates keep more of their weights.
LARGE_RATES_OUTPUT_STRIDES: tuple[int, ...] = (*DEEPLAB_OUTPUT_STRIDES, 4)
OBJECT_WIDTHS: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512)  # pixels, in the overview's table: sign to car

# The pixel budget of every network input (deeplab_core.budget): whatever a photo's shape, the network sees at
# most as many pixels as a 1:BUDGET_ASPECT photo at the chosen short side; beyond 1:MAX_ASPECT it is refused before
# any work (a 20000×1 strip would otherwise become a 520×10,400,000 input).
BUDGET_ASPECT = 4
MAX_ASPECT = 16
# The most memory decoding one uploaded photo may take (deeplab_core.decode_budget), in bytes, estimated from the
# file's header before any pixel is decoded: over it a JPEG is decoded at 1/2, 1/4 or 1/8 scale, anything else is
# refused. A class uploads at once, and a 49-megapixel float TIFF would otherwise take 1.5 GB.
DECODE_BUDGET_BYTES = 256 * 2**20
# The largest photo file a page accepts, in MB (2**20 bytes): a phone photo fits. lessons/parts/photo_input refuses a
# larger one in the reader's language; Streamlit's own limit (.streamlit/config.toml) is set above it, since Streamlit
# refuses in English.
UPLOAD_MAX_MB = 20
# The most work one on-demand CPU job may hold the shared inference queue for (deeplab_core.nets.workload), in
# multiply-accumulates: ResNet-101 at output stride 8 on a 520×693 photo (~333 G) fits, at 720×960 (~636 G) it does
# not. A GPU job is not bounded.
CPU_JOB_GMACS = 400
# The dense CRF in the same currency (deeplab_core.nets.workload.CrfWork): network MACs that take as long on the same
# CPU as building the CRF's lattices, per pixel, and as one mean-field iteration, per pixel and class. Measured with
# scripts/crf_work.py (docs/BENCHMARKS.md, "The CRF's workload"): a 1:4 photo at the CRF's 320-pixel short side
# (409,600 pixels, 21 classes) costs ~460 G at 10 iterations, so with the network's own pass it is refused on a CPU.
CRF_MACS_PER_PIXEL = 200_000
CRF_MACS_PER_UNIT = 4_000


# Threads, server-wide (docs/BENCHMARKS.md, "Threads"). A classroom server is never quiet: Streamlit renders for
# other students, a CRF or the train lab runs beside the network. torch's OpenMP threads meet at a barrier after
# every operation, so one thread whose core is taken stalls the others (two threads, one core busy elsewhere:
# 4-6× slower). The inference engine's pool hands out small pieces of each operation to whichever thread is free
# and sleeps instead of spinning, so it loses far less. Hence: the engine gets every core, torch every core but the
# one the rest of the server needs, the CRF (short memory-bound operations) one.
@dataclass(frozen=True)
class ThreadPolicy:
    cores: int  # the cores this process may run on
    torch: int  # torch's intra-op threads: the models the lessons look inside, the CPU side of the GPU path
    engine: int  # the inference engine's intra-op threads: the segment page on a CPU
    crf: int  # torch's threads while the dense CRF runs


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the OS has one (a container's cpuset), else all."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def thread_policy(cores: int | None = None) -> ThreadPolicy:
    """The threads each part uses on a machine with `cores` usable cores (default: this one)."""
    cores = max(1, usable_cores() if cores is None else cores)
    return ThreadPolicy(cores=cores, torch=max(1, cores - 1), engine=cores, crf=1)


def feature_size(input_size: int, output_stride: int) -> int:
    """Side of the final map for a crop of (k·output_stride + 1) pixels, as DeepLab sizes its crops: 513 → 33 at 16."""
    return (input_size - 1) // output_stride + 1


# Where a server's weights come from: "pretrained" (default: torchvision's checkpoints in the torch hub cache),
# "random" (clearly labelled untrained weights), or a folder holding <model name>.pth state dicts (the tests, and a
# classroom that copies checkpoints somewhere other than the hub cache). The app and the inference service read it.
WEIGHTS_ENV = "ATROUS_LAB_WEIGHTS"


def weights_source(name: str, setting: str = "pretrained") -> str:
    """What `load_model(weights=...)` gets for model `name` under the setting of WEIGHTS_ENV."""
    if setting in ("pretrained", "random"):
        return setting
    return os.path.join(setting, f"{name}.pth")
