"""Diagrams of networks: one neuron, and a multilayer perceptron layer by layer.

Drawn with plain matplotlib (circles, lines, text), so every label goes through
`plot_text` and the pictures translate like any other figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.i18n import N_
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure

NODE = 0.16  # radius of a unit's circle, in data units
EDGE_COLOR = "0.6"
GAP = 2.0  # distance between two layers, in data units


@dataclass
class Layer:
    size: int  # units in the layer
    drawn: list[float]  # y of each drawn unit, top to bottom
    elided: bool  # True when only some units are drawn (a "⋮" stands for the rest)


def mlp_layout(sizes, *, max_drawn: int = 6) -> list[Layer]:
    """Where each layer's units go: at most `max_drawn` circles per layer, centred on y=0.

    A layer wider than `max_drawn` draws its first and last units with a gap between them.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or not all(isinstance(n, int) and n >= 1 for n in sizes):
        raise ValueError(f"sizes must list at least two layer widths, each a whole number "
                         f">= 1, e.g. [784, 128, 10]; got {sizes!r}.")
    if not isinstance(max_drawn, int) or max_drawn < 3:
        raise ValueError(f"max_drawn must be a whole number >= 3, got {max_drawn!r}.")
    layers = []
    for n in sizes:
        elided = n > max_drawn
        slots = max_drawn + 1 if elided else n  # one slot for the gap
        ys = [(slots - 1) / 2 - i for i in range(slots)]
        if elided:
            ys.pop(len(ys) // 2)  # the gap in the middle
        layers.append(Layer(n, [0.5 * y for y in ys], elided))
    return layers


def _unit(ax, x, y, color, text=""):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), NODE, facecolor=color, edgecolor="black", zorder=3))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=4)


def plot_mlp(sizes, *, max_drawn: int = 6, ax=None):
    """A multilayer perceptron: one column of units per layer, every unit wired to every
    unit of the next layer (each line is one weight). Returns the Figure, or `ax`."""
    layers = mlp_layout(sizes, max_drawn=max_drawn)
    fig = None
    if ax is None:
        fig = new_figure(1.6 * len(layers) + 0.6, 3.6)
        ax = fig.add_subplot()
    colors = ["#9ecae1"] + ["#fdd0a2"] * (len(layers) - 2) + ["#a1d99b"]
    for i, (left, right) in enumerate(zip(layers[:-1], layers[1:], strict=True)):
        for y0 in left.drawn:
            for y1 in right.drawn:
                ax.plot([GAP * i, GAP * (i + 1)], [y0, y1], color=EDGE_COLOR, linewidth=0.6,
                        zorder=1)
    for i, layer in enumerate(layers):
        for y in layer.drawn:
            _unit(ax, GAP * i, y, colors[i])
        if layer.elided:
            ax.text(GAP * i, 0, "⋮", ha="center", va="center", fontsize=14)
        role = (N_("input") if i == 0 else N_("output") if i == len(layers) - 1
                else N_("hidden layer"))
        bottom = min(layer.drawn) - NODE - 0.15
        ax.text(GAP * i, bottom, f"{plot_text(role)}\n{layer.size}", ha="center", va="top",
                fontsize=10)
    ax.set_title(plot_text("an MLP: each line is one weight"))
    top = max(max(layer.drawn) for layer in layers)
    ax.set_xlim(-0.8, GAP * (len(layers) - 1) + 0.8)
    ax.set_ylim(-top - 1.0, top + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig if fig is not None else ax


def plot_neuron(n_inputs: int = 3, *, ax=None):
    """One neuron: inputs x₁…xₙ, a weight on each arrow, the sum with the bias, the
    activation φ, and the output y. Returns the Figure, or `ax`."""
    if not isinstance(n_inputs, int) or not 1 <= n_inputs <= 6:
        raise ValueError(f"n_inputs must be a whole number from 1 to 6, got {n_inputs!r}.")
    fig = None
    if ax is None:
        fig = new_figure(6.4, 2.9)
        ax = fig.add_subplot()
    subscripts = "₁₂₃₄₅₆"
    ys = [0.55 * ((n_inputs - 1) / 2 - i) for i in range(n_inputs)]
    arrow = {"arrowstyle": "-|>", "color": "0.3", "shrinkA": 12, "shrinkB": 16}
    for i, y in enumerate(ys):
        _unit(ax, 0, y, "#9ecae1", f"x{subscripts[i]}")
        ax.annotate("", xy=(2, 0), xytext=(0, y), arrowprops=arrow)
        ax.text(1.0, 0.5 * y + 0.08, f"w{subscripts[i]}", ha="center", va="bottom",
                fontsize=10, color="tab:blue")
    _unit(ax, 2, 0, "#fdd0a2", "Σ")
    ax.annotate("", xy=(2, 0), xytext=(2, -1.05), arrowprops=arrow)
    ax.text(2, -1.15, "b", ha="center", va="top", fontsize=11, color="tab:blue")
    ax.annotate("", xy=(3.4, 0), xytext=(2, 0), arrowprops=arrow)
    ax.text(2.7, 0.1, "z", ha="center", va="bottom", fontsize=11)
    _unit(ax, 3.4, 0, "#a1d99b", "φ")
    ax.annotate("", xy=(4.6, 0), xytext=(3.4, 0), arrowprops={**arrow, "shrinkB": 2})
    ax.text(4.7, 0, "y", ha="left", va="center", fontsize=12)
    captions = [(0, N_("inputs")), (2, N_("weighted sum + bias")), (3.4, N_("activation"))]
    low = min(ys) - NODE - 0.2
    for x, caption in captions:
        ax.text(x, min(low, -1.45), plot_text(caption), ha="center", va="top", fontsize=9)
    ax.set_title("y = φ(w₁x₁ + … + wₙxₙ + b)")
    ax.set_xlim(-0.5, 5.1)
    ax.set_ylim(min(low, -1.45) - 0.4, max(ys) + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig if fig is not None else ax
