"""Activation explorer: pick an activation, set the x range, see it and its derivative."""

from __future__ import annotations

import torch

from labkit.i18n import _
from labkit.plot.activations import activation_table, plot_activations
from labkit.widgets._base import Choice, FloatSlider, explore


def draw_activation(name: str, x_max: float):
    """The activation `name` and its derivative on [-x_max, x_max]."""
    x = torch.linspace(-x_max, x_max, 401)
    return plot_activations([name], x=x)


def activation_explorer(name: str = "relu", x_max: float = 4.0):
    """A dropdown of activations and a slider for the x range.

    In a notebook: live controls (returns None). Elsewhere or with LABKIT_QUIET=1:
    returns the figure for `name` and `x_max`.
    """
    names = tuple(activation_table())
    if name not in names:
        raise ValueError(f"Unknown activation {name!r}; choose from {', '.join(names)}.")
    controls = {
        "name": Choice(names, name, _("activation")),
        "x_max": FloatSlider(0.5, 10.0, 0.5, float(x_max), _("x range")),
    }
    return explore(draw_activation, controls)
