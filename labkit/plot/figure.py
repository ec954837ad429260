"""Figure helpers shared by the plots and the widgets: a new Figure, a grid of axes,
tensors to NumPy, and argument checks.

Figures are made with ``matplotlib.figure.Figure`` rather than ``pyplot``: pyplot
keeps every figure in a global list, and in a notebook it would show a returned
figure twice (once as the cell's value, once when the cell ends).
"""

from __future__ import annotations

import numpy as np
import torch

from labkit.kernel import kernel_shell


def new_figure(width: float, height: float, *, layout: str | None = "constrained"):
    """A Figure of `width` x `height` inches; constrained layout spaces the panels at draw."""
    from matplotlib.figure import Figure

    _resolve_notebook_backend()
    return Figure(figsize=(width, height), layout=layout)


def _resolve_notebook_backend() -> None:
    """Inside a notebook kernel, make sure IPython can draw a Figure as an image.

    Matplotlib loads its backend lazily, and IPython learns to show figures as
    images only when the inline backend loads. Until then a returned figure shows as
    a line of text. Opening and closing one pyplot figure loads the backend, as the
    learner's first pyplot call would; no setting is changed.
    """
    shell = kernel_shell()
    if shell is None:
        return
    from matplotlib.figure import Figure

    png = shell.display_formatter.formatters.get("image/png")
    if png is None:
        return
    try:
        png.lookup_by_type(Figure)
    except KeyError:
        import matplotlib.pyplot as plt

        plt.close(plt.figure())


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


def renamed_axes(ax, axes, function: str):
    """``ax``, or the old keyword ``axes`` with a DeprecationWarning (every plot takes
    ``ax=``, the word matplotlib uses; ``axes=`` goes away in the next release)."""
    if axes is None:
        return ax
    import warnings

    warnings.warn(f"{function}(axes=...) is now {function}(ax=...); `axes` will be removed.",
                  DeprecationWarning, stacklevel=3)
    if ax is not None:
        raise TypeError(f"{function}() got both ax= and axes=; pass ax= only.")
    return axes
