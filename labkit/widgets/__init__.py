"""Interactive explorers. In a notebook they show live controls; elsewhere (or with
LABKIT_QUIET=1) they return the figure for their default values.
"""

from labkit.widgets._base import Choice, FloatSlider, Text, explore
from labkit.widgets.activations import activation_explorer
from labkit.widgets.broadcast import (
    broadcast_explorer,
    broadcast_result,
    draw_broadcast,
    parse_shape,
)
from labkit.widgets.kernels import apply_kernel, kernel_explorer, kernel_label, named_kernels

__all__ = [
    "Choice",
    "FloatSlider",
    "Text",
    "activation_explorer",
    "apply_kernel",
    "broadcast_explorer",
    "broadcast_result",
    "draw_broadcast",
    "explore",
    "kernel_explorer",
    "kernel_label",
    "named_kernels",
    "parse_shape",
]
