"""Decision boundaries of a classifier on 2-D points."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from labkit.i18n.fonts import plot_text
from labkit.models import eval_mode
from labkit.plot.figure import check_positive_int, new_figure, to_numpy


class DecisionGrid(NamedTuple):
    xx: torch.Tensor  # (steps, steps) x coordinate of each grid point
    yy: torch.Tensor  # (steps, steps) y coordinate of each grid point
    probs: torch.Tensor  # (steps, steps) P(class 1) for one logit; (steps, steps, K) for K


def _check_range(name: str, value) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}.") from None
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {value!r}.")
    return low, high


def decision_grid(model, x_range, y_range, *, steps: int = 200) -> DecisionGrid:
    """Evaluate `model` on a steps x steps grid of points covering x_range by y_range.

    A model with one output logit gets sigmoid(logit) = P(class 1); a model with K >= 2
    logits gets softmax probabilities, one per class (argmax over the last dim = class).
    """
    x0, x1 = _check_range("x_range", x_range)
    y0, y1 = _check_range("y_range", y_range)
    check_positive_int("steps", steps, minimum=2)
    # meshgrid with indexing="xy": rows follow y, columns follow x, as contourf expects.
    xx, yy = torch.meshgrid(torch.linspace(x0, x1, steps), torch.linspace(y0, y1, steps),
                            indexing="xy")  # (steps, steps) each
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (steps * steps, 2)

    param = next(model.parameters(), None)
    if param is not None:
        points = points.to(param.device, param.dtype)
    with eval_mode(model):
        try:
            logits = model(points).cpu()  # (steps * steps, 1) or (steps * steps, K)
        except RuntimeError as error:
            raise ValueError(
                "A decision boundary needs a model that takes 2 input features (points in "
                "the plane), but calling the model on a batch of shape (N, 2) failed: "
                f"{error}. Fix: use a model trained on inputs X of shape (N, 2)."
            ) from error
    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
        probs = torch.sigmoid(logits.reshape(steps, steps))
    elif logits.ndim == 2:
        probs = torch.softmax(logits, dim=1).reshape(steps, steps, logits.shape[1])
    else:
        raise ValueError(
            f"The model returned outputs of shape {tuple(logits.shape)} for {steps * steps} "
            "points; expected (N, 1) or (N, K) logits."
        )
    return DecisionGrid(xx, yy, probs.float())


def plot_decision_boundary(model, X, y, *, ax=None, steps: int = 200):
    """Colour the plane by the model's prediction, draw the boundary, and scatter (X, y).

    X: (N, 2) points; y: (N,) class labels. Returns the Figure, or `ax` when given.
    """
    import matplotlib

    X, y = to_numpy(X), to_numpy(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary() needs X of shape (N, 2), got {tuple(X.shape)}. "
            "Decision boundaries can only be drawn for 2-D inputs."
        )
    # Pad the data's bounding box by 10% so no point sits on the edge.
    low, high = X.min(axis=0), X.max(axis=0)
    pad = np.where(high > low, 0.1 * (high - low), 0.5)
    grid = decision_grid(model, (low[0] - pad[0], high[0] + pad[0]),
                         (low[1] - pad[1], high[1] + pad[1]), steps=steps)
    xx, yy, probs = to_numpy(grid.xx), to_numpy(grid.yy), to_numpy(grid.probs)

    result = ax
    if ax is None:
        result = new_figure(5, 4.5)
        ax = result.subplots()
    if probs.ndim == 2:  # one logit: shade by P(class 1), boundary where it is 0.5
        shading = ax.contourf(xx, yy, probs, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                              alpha=0.5)
        if probs.min() < 0.5 < probs.max():  # no boundary line when one class fills the view
            ax.contour(xx, yy, probs, levels=[0.5], colors="black", linewidths=1.5)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", vmin=0, vmax=1, edgecolors="black",
                   linewidths=0.5, s=20)
        ax.figure.colorbar(shading, ax=ax, label=plot_text("P(class 1)"))
    else:  # K classes: colour by the predicted class, boundaries between classes
        k = probs.shape[2]
        palette = matplotlib.colormaps["tab10"]
        classes = probs.argmax(axis=2)  # (steps, steps)
        ax.contourf(xx, yy, classes, levels=np.arange(k + 1) - 0.5,
                    colors=[palette(i % 10) for i in range(k)], alpha=0.35)
        if classes.min() != classes.max():  # no boundary line when one class fills the view
            ax.contour(xx, yy, classes, levels=np.arange(1, k) - 0.5, colors="black",
                       linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=[palette(int(label) % 10) for label in y],
                   edgecolors="black", linewidths=0.5, s=20)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(plot_text("decision boundary"))
    return result
