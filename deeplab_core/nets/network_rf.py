"""The receptive field of a whole DeepLabv3 backbone, and the multi-grid rates checked against the modules.

Both read the real modules (`inspection.backbone_layers`, `inspection.dilation_table`), so what the output-stride
lesson shows is the network's own wiring, and the rule of `wiring.stage_rates` is checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torchvision.models.segmentation import DeepLabV3

from deeplab_core.maths.receptive_field import ReceptiveField, receptive_field
from deeplab_core.nets.inspection import BlockRate, aspp_layers, backbone_layers, dilation_table
from deeplab_core.nets.wiring import stage_rates


@dataclass(frozen=True)
class NetworkField:
    curve: tuple[tuple[str, int], ...]  # (layer name, receptive-field size) along the backbone's main path
    final: ReceptiveField  # after the backbone's last layer
    with_aspp: tuple[int, ...]  # receptive-field size after each ASPP atrous branch on top of the backbone


def network_field(net: DeepLabV3) -> NetworkField:
    """Receptive field after every layer of the main path, and after each ASPP branch (sizes in input pixels)."""
    layers = backbone_layers(net)
    path = [named.layer for named in layers]
    records = receptive_field(path)
    with_aspp = tuple(receptive_field([*path, branch.layer])[-1].size for branch in aspp_layers(net))
    curve = tuple((named.name, record.size) for named, record in zip(layers, records, strict=True))
    return NetworkField(curve=curve, final=records[-1], with_aspp=with_aspp)


@dataclass(frozen=True)
class MultiGridCheck:
    table: tuple[BlockRate, ...]  # every layer3/layer4 block's 3×3 convolution as wired
    rule: tuple[tuple[int, ...], tuple[int, ...]]  # (layer3, layer4) rates by `stage_rates`

    def rates(self, stage: str) -> tuple[int, ...]:
        return tuple(row.dilation for row in self.table if row.stage == stage)

    @property
    def agrees(self) -> bool:
        return (self.rates("layer3"), self.rates("layer4")) == self.rule


def multi_grid_check(net: DeepLabV3, output_stride: int, units: Sequence[int]) -> MultiGridCheck:
    """The rates read from a network wired for (output_stride, units), beside the rule's."""
    table = tuple(dilation_table(net))
    blocks = [sum(row.stage == stage for row in table) for stage in ("layer3", "layer4")]
    return MultiGridCheck(table=table, rule=stage_rates(output_stride, units, *blocks))
