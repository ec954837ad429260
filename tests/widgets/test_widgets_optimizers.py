"""Questions about optimizer_explorer and its drawing."""

import matplotlib
import pytest

from labkit.widgets.optimizers import draw_optimizers, optimizer_explorer

matplotlib.use("Agg")


def test_without_a_widget_front_end_it_returns_one_figure():
    """Outside a kernel, does the explorer fall back to one drawing with four paths?"""
    fig = optimizer_explorer(steps=20)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[:4] == ["sgd", "momentum", "rmsprop", "adam"]
    assert "20 steps" in fig.axes[0].get_title()


def test_draw_uses_the_learning_rates_it_is_given():
    """Do the sliders' log10 values reach the title as learning rates?"""
    fig = draw_optimizers("rosenbrock", -3.0, -1.0, 0.9, 0.99, 10, optimizers=("sgd", "adam"))
    title = fig.axes[0].get_title()
    assert "lr 0.001" in title and "0.1 (rmsprop, adam)" in title


def test_an_unknown_surface_is_explained():
    with pytest.raises(ValueError, match="choose from"):
        optimizer_explorer(surface="bowl")
