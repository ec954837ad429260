"""Small helpers shared by the plot modules (not part of the public API).

Figures are made with ``matplotlib.figure.Figure`` rather than ``pyplot``: pyplot
keeps every figure in a global list, and in a notebook it would show a returned
figure twice (once as the cell's value, once when the cell ends).
"""

from __future__ import annotations

import numpy as np
import torch


def new_figure(width: float, height: float, **kwargs):
    """A Figure of `width` x `height` inches with constrained layout (spacing done at draw)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", **kwargs)


def grid_axes(fig, count: int, ncols: int):
    """A flat list of `count` axes in rows of `ncols`, on `fig`; spare cells are hidden."""
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)  # ceiling division
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[count:]:
        ax.set_axis_off()
    return axes[:count]


def to_numpy(values) -> np.ndarray:
    """A NumPy copy of a tensor (on any device, with or without grad) or array-like."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return `value` if it is an int >= minimum, else raise a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
    return value
