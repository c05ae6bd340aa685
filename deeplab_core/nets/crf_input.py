"""The fully connected CRF on a real network's output: DeepLabv3's softmax on a photo as the unary.

DeepLab v1/v2 ran the CRF on their own (VGG-16 / ResNet-101) score maps; torchvision has no such weights, so the
course uses the pretrained DeepLabv3 it has. The photo is first brought to the network's view within the pixel
budget (deeplab_core.budget.fit_photo), so the CRF's N pixels are bounded too. torchvision's model already
upsamples its stride-8/16 logits bilinearly to the input size; their softmax is P in ψ_u = −log P.
With untrained weights these probabilities mean nothing; the page says so.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from deeplab_core.maths.crf import CrfSettings, CrfTrace, crf_trace
from deeplab_core.nets.model import DeepLab
from deeplab_core.nets.segmentation import preprocess


def network_probabilities(model: DeepLab, photo: Image.Image) -> torch.Tensor:
    """(C, h, w) softmax of the network on `photo` at its own size, on the model's device."""
    x = preprocess(photo, model.spec, min(photo.width, photo.height), model.device)  # (1, 3, h, w)
    with torch.inference_mode():
        logits = model.net(x)["out"]  # (1, C, h, w), upsampled by the model to its input
    return torch.softmax(logits[0].float(), dim=0)  # (C, h, w)


def photo_crf(model: DeepLab, photo: Image.Image, settings: CrfSettings) -> CrfTrace:
    """The CRF's steps on `photo` (already fitted to the budget), with the network's softmax as the unary; it
    runs on the model's device."""
    probabilities = network_probabilities(model, photo)
    pixels = torch.from_numpy(np.array(photo.convert("RGB"))).to(probabilities.device)  # (h, w, 3) uint8
    return crf_trace(pixels, probabilities, settings)
