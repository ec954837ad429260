"""Explore optimizers on 2-D surfaces: learning rates, momentum, beta2 and steps."""

from __future__ import annotations

import math

from labkit.i18n import _
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure
from labkit.plot.paths import OPTIMIZERS, descent_path, loss_surface, plot_paths
from labkit.widgets._base import Choice, FloatSlider, explore

ADAPTIVE = ("rmsprop", "adam")  # their steps are about lr in size, whatever the gradient


def draw_optimizers(surface: str, log10_lr: float, log10_adaptive_lr: float, momentum: float,
                    beta2: float, steps: float, optimizers=OPTIMIZERS):
    """Paths of `optimizers` on `surface`.

    SGD and momentum use lr = 10 ** `log10_lr`; RMSprop and Adam, whose steps have a size
    of about lr whatever the gradient, use 10 ** `log10_adaptive_lr`.
    """
    lr, adaptive_lr, steps = 10 ** log10_lr, 10 ** log10_adaptive_lr, int(steps)
    paths = {name: descent_path(surface, name, lr=adaptive_lr if name in ADAPTIVE else lr,
                                steps=steps, momentum=momentum, beta2=beta2)
             for name in optimizers}
    fig = new_figure(6.5, 4.4)
    surface = loss_surface(surface)
    title = plot_text("{surface}, {steps} steps: lr {lr:.2g} (sgd, momentum), {adaptive_lr:.2g} "
                      "(rmsprop, adam)\nmomentum {momentum:g}, beta2 {beta2:g}")
    plot_paths(surface, paths, ax=fig.subplots(),
               title=title.format(surface=surface.label, steps=steps, lr=lr,
                                  adaptive_lr=adaptive_lr, momentum=momentum, beta2=beta2))
    return fig


def optimizer_explorer(*, surface: str = "quadratic", lr: float = 0.09,
                       adaptive_lr: float = 0.1, momentum: float = 0.7, beta2: float = 0.99,
                       steps: int = 40):
    """Sliders for the learning rates (log scale), momentum, beta2 and the number of steps.

    `lr` is for SGD and momentum, `adaptive_lr` for RMSprop and Adam. In a notebook: live
    controls (returns None). Elsewhere or with LABKIT_QUIET=1: returns the figure for the
    given values.
    """
    loss_surface(surface)  # an unknown name fails here, with the list of surfaces
    controls = {
        "surface": Choice(tuple((loss_surface(name).label, name)  # (label, value) pairs
                                for name in ("quadratic", "rosenbrock")), surface, _("surface")),
        "log10_lr": FloatSlider(-4.0, 0.0, 0.05, math.log10(lr), _("log10 lr")),
        "log10_adaptive_lr": FloatSlider(-4.0, 0.0, 0.05, math.log10(adaptive_lr),
                                         _("log10 lr ad.")),
        "momentum": FloatSlider(0.0, 0.99, 0.01, momentum, _("momentum")),
        "beta2": FloatSlider(0.5, 0.999, 0.001, beta2, "beta2"),
        "steps": FloatSlider(10, 1000, 10, steps, _("steps")),
    }
    return explore(draw_optimizers, controls)
