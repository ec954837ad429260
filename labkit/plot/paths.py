"""Optimizer paths on 2-D loss surfaces: the surfaces, the paths, and a contour plot.

The paths come from the real ``torch.optim`` optimizers, stepped on a single 2-D
parameter, so what you see is what PyTorch does::

    surface = loss_surface("rosenbrock")
    paths = {name: descent_path(surface, name, lr=1e-3, steps=300)
             for name in ("sgd", "momentum", "rmsprop", "adam")}
    plot_paths(surface, paths)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from labkit.i18n import N_
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure, to_numpy

# Names are code; a figure shows `plot_text(name)`, the name in the learner's language.
OPTIMIZERS = (N_("sgd"), N_("momentum"), N_("rmsprop"), N_("adam"))
COLORS = {"sgd": "tab:blue", "momentum": "tab:orange", "rmsprop": "tab:green",
          "adam": "tab:red"}


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: its function, where paths start, its minimum and the view."""

    name: str
    loss: Callable[[torch.Tensor], torch.Tensor]  # (..., 2) -> (...)
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log_levels: bool  # contour levels spaced on a log scale (for steep valleys)

    @property
    def label(self) -> str:
        """The surface's name as a figure shows it: in the learner's language."""
        return plot_text(self.name)


def _quadratic(p: torch.Tensor) -> torch.Tensor:
    # Curvature 1 along x and 20 along y: condition number 20.
    return 0.5 * (p[..., 0] ** 2 + 20 * p[..., 1] ** 2)


def _rosenbrock(p: torch.Tensor) -> torch.Tensor:
    # A curved, flat-bottomed valley; the minimum is at (1, 1).
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


_SURFACES = {
    "quadratic": Surface(N_("quadratic"), _quadratic, (-4.5, 1.5), (0.0, 0.0),
                         (-5.0, 5.0), (-2.0, 2.0), False),
    "rosenbrock": Surface(N_("rosenbrock"), _rosenbrock, (-1.2, 1.0), (1.0, 1.0),
                          (-2.0, 2.0), (-1.0, 3.0), True),
}


def loss_surface(name: str) -> Surface:
    """One of the course's 2-D surfaces: "quadratic" (ill-conditioned) or "rosenbrock"."""
    if name not in _SURFACES:
        raise ValueError(f"Unknown surface {name!r}; choose from {', '.join(_SURFACES)}.")
    return _SURFACES[name]


def make_optimizer(name: str, params, *, lr: float, momentum: float = 0.9,
                   beta2: float = 0.999) -> torch.optim.Optimizer:
    """The torch.optim optimizer called `name` in the course's pictures.

    "sgd" is plain gradient descent; "momentum" is SGD with `momentum`; "rmsprop" uses
    `beta2` as its smoothing constant (`alpha` in PyTorch); "adam" uses betas
    (`momentum`, `beta2`).
    """
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=beta2)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(momentum, beta2))
    raise ValueError(f"Unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}.")


def descent_path(surface: Surface | str, optimizer: str, *, lr: float, steps: int,
                 momentum: float = 0.9, beta2: float = 0.999, start=None) -> torch.Tensor:
    """The points visited by `optimizer` on `surface`: a (steps + 1, 2) tensor.

    A path that leaves the finite numbers (it diverged) stops at its last finite point.
    """
    if isinstance(surface, str):
        surface = loss_surface(surface)
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}.")
    start = surface.start if start is None else start
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)  # (2,)
    opt = make_optimizer(optimizer, [point], lr=lr, momentum=momentum, beta2=beta2)
    path = [point.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        surface.loss(point).backward()
        opt.step()
        if not bool(torch.isfinite(point).all()):
            break
        path.append(point.detach().clone())
    return torch.stack(path)  # (steps + 1, 2), fewer if it diverged


def plot_paths(surface: Surface | str, paths: dict, *, ax=None, title: str | None = None):
    """Contours of `surface` with each path in `paths` ({name: (n, 2) points}) on top,
    and a dot with a black edge where each path ends.

    Returns the new Figure, or `ax` when it was given.
    """
    if isinstance(surface, str):
        surface = loss_surface(surface)
    result = ax
    if ax is None:
        result = new_figure(6, 4.2)
        ax = result.subplots()
    xs = torch.linspace(*surface.xlim, 200, dtype=torch.float64)
    ys = torch.linspace(*surface.ylim, 200, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (200, 200, 2)
    values = to_numpy(surface.loss(grid))  # (200, 200)
    if surface.log_levels:
        levels = np.logspace(-1, np.log10(values.max()), 15)
    else:
        levels = np.linspace(0, values.max(), 15)[1:]
    ax.contour(to_numpy(xs), to_numpy(ys), values, levels=levels, cmap="Greys", linewidths=0.7)
    # Earlier paths are drawn wider, so a path that a later one runs over stays visible.
    for index, (name, points) in enumerate(paths.items()):
        points = to_numpy(points)
        width = max(1.0, 3.5 - 0.8 * index)
        ax.plot(points[:, 0], points[:, 1], ".-", color=COLORS.get(name), markersize=width,
                linewidth=width, alpha=0.85, label=plot_text(name))
    # Where each path ends, drawn last: paths that overlap can still end apart.
    for name, points in paths.items():
        end = to_numpy(points)[-1]
        ax.plot(end[0], end[1], "o", color=COLORS.get(name), markeredgecolor="black",
                markersize=7)
    ax.plot(*surface.start, "ko", markersize=5)
    ax.plot(*surface.minimum, "k*", markersize=12, label=plot_text("minimum"))
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("$\\theta_1$")
    ax.set_ylabel("$\\theta_2$")
    ax.set_title(title or surface.label)
    ax.legend(loc="upper right", fontsize=8)
    return result
