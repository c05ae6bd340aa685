"""DeepLab v1 (Chen et al., "Semantic Image Segmentation with Deep Convolutional Nets and Fully Connected CRFs",
ICLR 2015): VGG-16 turned into a dense predictor with the hole (atrous) algorithm, and its Table 2 variants.

§3.1 of the paper: skip the subsampling after the last two max-pooling layers (pool4 and pool5 get stride 1), and
dilate the filters that follow by the stride removed: the three conv5 layers at rate 2, and fc6, turned into a
convolution, at rate 4 (pool4 and pool5 each removed a factor 2). The network then has **output stride 8**: a
513×513 crop gives a 65×65 score map, which is upsampled bilinearly to the image (×8).
DeepLab's released prototxt also widened VGG's 2×2 max-pooling windows to 3×3 ("which makes it easier to exactly
align responses at different layers", its header comment says). We pool with 3×3 windows and padding 1 everywhere
(stride 2, 2, 2, 1, 1), so that crops of 8k + 1 pixels align: 513 → 257 → 129 → 65 and 321 → 161 → 81 → 41.
(Our reading of the release: layers it may add around pool5 are not reproduced.)

Table 2 ("Effect of Field-Of-View") varies fc6 only: its kernel size k, its input stride (the atrous rate r) and,
for LargeFOV, the channels of fc6 and fc7 (4096 → 1024). An even kernel (4×4) with rate r spans k' = 3r + 1 taps
(odd), so padding k'//2 keeps the map size, as the release pads it.

Weights: DeepLab v1 was a Caffe model and torchvision has none. `build_v1` uses torchvision's ImageNet VGG-16
weights for conv1_1…conv5_3 when that file is already in the torch hub cache (it never downloads), else random
weights; fc6–fc8 are always random. `V1Model.backbone` says which, so a page can label it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torchvision.models import VGG16_Weights, vgg16

from deeplab_core.nets.checkpoints import NUM_CLASSES  # PASCAL VOC's 21, as the DeepLabv3 checkpoints list them

POOL_INDEX = {"pool1": 4, "pool2": 9, "pool3": 16, "pool4": 23, "pool5": 30}  # in torchvision's vgg16().features
CONV5_INDEX = (24, 26, 28)  # conv5_1, conv5_2, conv5_3
CONV5_RATE = 2  # §3.1: pool4's stride removed
OUTPUT_STRIDE = 8


@dataclass(frozen=True)
class V1Variant:
    """One row of Table 2: fc6's kernel size and rate, and the channels of fc6 and fc7."""

    key: str
    name: str  # the paper's name for the row (with CRF, as the table reports it)
    kernel_size: int
    rate: int
    channels: int

    @property
    def fc6_span(self) -> int:
        """k' = k + (k − 1)(r − 1): fc6's effective kernel size, in cells of the stride-8 map."""
        return self.kernel_size + (self.kernel_size - 1) * (self.rate - 1)

    @property
    def fc6_padding(self) -> int:
        return self.fc6_span // 2


V1_VARIANTS: tuple[V1Variant, ...] = (
    V1Variant("7x7_r4", "DeepLab-CRF-7x7", 7, 4, 4096),
    V1Variant("4x4_r4", "DeepLab-CRF", 4, 4, 4096),
    V1Variant("4x4_r8", "DeepLab-CRF-4x4", 4, 8, 4096),
    V1Variant("largefov", "DeepLab-CRF-LargeFOV", 3, 12, 1024),
)
VARIANTS = {variant.key: variant for variant in V1_VARIANTS}


def hole_vgg16_features() -> nn.Sequential:
    """torchvision's VGG-16 `features` with DeepLab's pooling (3×3, pad 1; pool4, pool5 stride 1) and conv5 at
    rate 2: output stride 8, the same 13 convolutions (their weights load unchanged)."""
    features = vgg16(weights=None).features
    for name, index in POOL_INDEX.items():
        stride = 1 if name in ("pool4", "pool5") else 2
        features[index] = nn.MaxPool2d(3, stride=stride, padding=1)
    for index in CONV5_INDEX:
        conv = features[index]
        conv.dilation, conv.padding = (CONV5_RATE, CONV5_RATE), (CONV5_RATE, CONV5_RATE)
    return features


class DeepLabV1(nn.Module):
    """VGG-16 with the hole algorithm, then fc6 (atrous), fc7 (1×1), fc8 (1×1 to the classes); ReLU and dropout
    between them, as in VGG. `forward` returns the stride-8 scores; `upsample` brings them to the image."""

    def __init__(self, variant: V1Variant, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.variant = variant
        self.features = hole_vgg16_features()
        c = variant.channels
        self.fc6 = nn.Conv2d(512, c, variant.kernel_size, padding=variant.fc6_padding, dilation=variant.rate)
        self.fc7 = nn.Conv2d(c, c, 1)
        self.fc8 = nn.Conv2d(c, num_classes, 1)
        self.relu6, self.relu7 = nn.ReLU(inplace=True), nn.ReLU(inplace=True)
        self.drop6, self.drop7 = nn.Dropout2d(0.5), nn.Dropout2d(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 512, H/8, W/8)
        x = self.drop6(self.relu6(self.fc6(x)))  # (B, c, H/8, W/8)
        x = self.drop7(self.relu7(self.fc7(x)))  # (B, c, H/8, W/8)
        return self.fc8(x)  # (B, classes, H/8, W/8)


def upsample(scores: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The paper's last step: bilinear interpolation of the stride-8 scores to the image (§3.2)."""
    return nn.functional.interpolate(scores, size=size, mode="bilinear", align_corners=False)


def vgg16_cache_path() -> Path:
    """Where torchvision keeps the ImageNet VGG-16 file in the torch hub cache."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(VGG16_Weights.IMAGENET1K_V1.url)


@dataclass(frozen=True, eq=False)
class V1Model:
    net: DeepLabV1
    backbone: str  # "imagenet" (torchvision's VGG-16 weights, from the cache) or "random"


def build_v1(variant: V1Variant | str, *, device: str | torch.device = "cpu", imagenet: bool = True) -> V1Model:
    """A DeepLab v1 variant in eval mode. ImageNet conv weights only when already cached; never downloads."""
    variant = VARIANTS[variant] if isinstance(variant, str) else variant
    device = torch.device(device)
    net = DeepLabV1(variant).to(device) if device.type != "meta" else _on_meta(variant)
    backbone = "random"
    path = vgg16_cache_path()
    if imagenet and device.type != "meta" and path.is_file():
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.features.load_state_dict({k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")})
        backbone = "imagenet"
    return V1Model(net.eval(), backbone)


def _on_meta(variant: V1Variant) -> DeepLabV1:
    with torch.device("meta"):
        return DeepLabV1(variant)
