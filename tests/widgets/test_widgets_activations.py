"""Questions about activation_explorer."""

import matplotlib
import pytest

from labkit.widgets import activation_explorer

matplotlib.use("Agg")


def test_activation_explorer_falls_back_to_a_figure():
    """In quiet mode, does activation_explorer return the figure for its arguments?"""
    fig = activation_explorer("tanh", x_max=2.0)
    (ax,) = fig.axes
    assert ax.get_title() == "tanh"
    assert list(ax.lines[0].get_xdata()[[0, -1]]) == [-2.0, 2.0]


def test_activation_explorer_rejects_an_unknown_name():
    """Does an unknown activation get a message listing the choices?"""
    with pytest.raises(ValueError, match="choose from"):
        activation_explorer("swish")
