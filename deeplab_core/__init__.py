"""Atrous Lab's computing core: arithmetic, receptive fields, networks, figures. Never imports streamlit.

The public names of the design's contracts, importable from here as well as from their modules (loaded on first
use, so `import deeplab_core` stays cheap):

    maths.dilation          effective_kernel_size, conv_output_size, ConvArithmeticError
    maths.receptive_field   ConvLayer, receptive_field, coverage
    maths.valid_weights     valid_tap_counts, valid_weight_fractions
    maths.crf               dense_crf
    images                  load_image, ImageLoadError
    config                  MODEL_NAMES
    nets.model              load_model, DeepLab, set_output_stride
    nets.segmentation       segment, Segmentation
    nets.engine             fast_model
"""

from __future__ import annotations

from importlib import import_module

_PUBLIC = {
    "effective_kernel_size": "deeplab_core.maths.dilation",
    "conv_output_size": "deeplab_core.maths.dilation",
    "ConvArithmeticError": "deeplab_core.maths.dilation",
    "ConvLayer": "deeplab_core.maths.receptive_field",
    "receptive_field": "deeplab_core.maths.receptive_field",
    "coverage": "deeplab_core.maths.receptive_field",
    "valid_tap_counts": "deeplab_core.maths.valid_weights",
    "valid_weight_fractions": "deeplab_core.maths.valid_weights",
    "dense_crf": "deeplab_core.maths.crf",
    "load_image": "deeplab_core.images",
    "ImageLoadError": "deeplab_core.images",
    "MODEL_NAMES": "deeplab_core.config",
    "load_model": "deeplab_core.nets.model",
    "DeepLab": "deeplab_core.nets.model",
    "set_output_stride": "deeplab_core.nets.model",
    "segment": "deeplab_core.nets.segmentation",
    "Segmentation": "deeplab_core.nets.segmentation",
    "fast_model": "deeplab_core.nets.engine",
    "effective_field": "deeplab_core.nets.effective_field",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'deeplab_core' has no attribute {name!r}")
    return getattr(import_module(_PUBLIC[name]), name)
