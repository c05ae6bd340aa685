"""The numbers the train lesson's prose states, computed from the lab's own settings and modules, never typed.

Prose writes `[[value:NAME]]` (see `deeplab_core.i18n`); the page passes one of these dicts to each section, so
a sentence such as "a line is 2 pixels across a 32-pixel cell" always follows `SceneSpec` and the variants.
Each function serves one prose section and returns exactly the names it uses. DeepLabv3's ASPP rates at output
stride 16 come from `deeplab_core.config` (Chen et al. 2017, §3.3); the receptive fields of torchvision's DeepLabv3
backbones (as shipped, output stride 8) from their modules on the meta device.
"""

from __future__ import annotations

import numpy as np

from deeplab_core.config import ASPP_RATES, CROP_SIZE, feature_size
from deeplab_core.maths.receptive_field import receptive_field
from deeplab_core.nets.lab.scenes import SCENES, batch
from deeplab_core.nets.lab.training import TrainConfig, class_weights
from deeplab_core.nets.lab.variants import VARIANTS, build, conv_layers, describe
from deeplab_core.nets.model import architecture
from deeplab_core.nets.network_rf import network_field


def _rates(values: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in values)


def task_values() -> dict[str, str]:
    s = SCENES
    return {
        "size": str(s.size),
        "disc_min": str(s.disc_radius[0]),
        "disc_max": str(s.disc_radius[1]),
        "line_width": str(s.line_width),
        "dot": str(s.dot_size),
        "cell32": str(describe("a").geometry.output_stride),
        "cell8": str(describe("b").geometry.output_stride),
        "gap": str(s.min_gap),
        "context": str(2 * s.min_gap),
        "validation": str(TrainConfig().validation_scenes),
    }


def variants_values() -> dict[str, str]:
    c = VARIANTS["c"]
    map_size = SCENES.size // describe("c").geometry.output_stride
    return {
        "aspp": _rates(c.aspp_rates),
        "map": str(map_size),
        "paper_rates": _rates(ASPP_RATES[16]),
        "paper_map": str(feature_size(CROP_SIZE, 16)),
        "grid": _rates(VARIANTS["e-grid"].rates),
        "hdc": _rates(VARIANTS["e-hdc"].rates),
    }


def shipped_values() -> dict[str, str]:
    backbone_rf = receptive_field(conv_layers(build("b").backbone))[-1].size
    _, labels = batch(1000, 0, 64)
    background = float(np.mean(labels == 0))
    deeplab = {name: network_field(architecture(name)).final.size for name in ("resnet50", "resnet101")}
    return {
        "backbone_rf": str(backbone_rf),
        "rf50": str(deeplab["resnet50"]),
        "rf101": str(deeplab["resnet101"]),
        "crop": str(CROP_SIZE),
        "size": str(SCENES.size),
        "logits32": str(SCENES.size // describe("a").geometry.output_stride),
        "background": f"{background:.0%}",
        "weight_ratio": f"{class_weights(0).max() / class_weights(0).min():.0f}",
    }
