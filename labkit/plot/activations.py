"""Activation functions and their derivatives, side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure, renamed_axes, to_numpy


class Activation(NamedTuple):
    function: Callable[[torch.Tensor], torch.Tensor]
    derivative: Callable[[torch.Tensor], torch.Tensor]


def derivative_of(function: Callable[[torch.Tensor], torch.Tensor]):
    """f'(x) for an element-wise f, computed by autograd rather than by hand."""

    def derivative(x: torch.Tensor) -> torch.Tensor:
        # A fresh leaf tensor, so the caller's x is never touched.
        x = x.detach().clone().requires_grad_(True)
        with torch.enable_grad():  # works even when called under torch.no_grad()
            y = function(x)
            # y_i depends only on x_i, so d(sum of y)/dx_i = f'(x_i) for every i at once.
            (grad,) = torch.autograd.grad(y.sum(), x)
        return grad

    return derivative


def activation_table() -> dict[str, Activation]:
    """name -> (function, derivative) for the common activations.

    leaky_relu uses PyTorch's default negative slope of 0.01, like nn.LeakyReLU().
    """
    functions = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": F.leaky_relu,
        "gelu": F.gelu,
    }
    return {name: Activation(fn, derivative_of(fn)) for name, fn in functions.items()}


def plot_activations(names=None, *, x=None, ax=None, axes=None):
    """Draw each activation (solid) and its derivative (dashed), one panel per name.

    names: a name or a list of names from `activation_table()` (default: all).
    x:     the inputs, default 401 points from -4 to 4.
    ax:    one Axes per name to draw into (a single Axes for a single name).
    Returns the new Figure, or `ax` when given.
    """
    ax = renamed_axes(ax, axes, "plot_activations")
    table = activation_table()
    if names is None:
        names = list(table)
    elif isinstance(names, str):
        names = [names]
    unknown = [name for name in names if name not in table]
    if unknown:
        raise ValueError(f"Unknown activation {unknown[0]!r}; choose from {', '.join(table)}.")
    if x is None:
        x = torch.linspace(-4, 4, 401)
    x = torch.as_tensor(x, dtype=torch.float32)

    result = ax
    if ax is None:
        result = new_figure(3.2 * len(names), 3)
        panels = result.subplots(1, len(names), squeeze=False)[0].tolist()
    else:
        panels = [ax] if hasattr(ax, "plot") else list(ax)
        if len(panels) != len(names):
            raise ValueError(f"Got {len(panels)} axes for {len(names)} activations; "
                             "pass one Axes per name.")
    for panel, name in zip(panels, names, strict=True):
        function, derivative = table[name]
        panel.plot(to_numpy(x), to_numpy(function(x)), label=name)
        panel.plot(to_numpy(x), to_numpy(derivative(x)), linestyle="--",
                   label=plot_text("derivative"))
        panel.axhline(0, color="gray", linewidth=0.5)
        panel.axvline(0, color="gray", linewidth=0.5)
        panel.set_title(name)
        panel.set_xlabel("x")
        panel.legend(loc="upper left", fontsize=8)
    return result
