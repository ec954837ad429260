"""Questions about mlp_layout, plot_mlp and plot_neuron."""

import matplotlib
import pytest
from matplotlib.patches import Circle

from labkit.plot import mlp_layout, plot_mlp, plot_neuron

matplotlib.use("Agg")


def test_layout_draws_small_layers_whole_and_elides_wide_ones():
    """Does a layer of 3 units get 3 circles centred on 0, and one of 784 only `max_drawn`?"""
    small, wide = mlp_layout([3, 784], max_drawn=6)
    assert (small.size, small.elided, small.drawn) == (3, False, [0.5, 0.0, -0.5])
    assert wide.size == 784 and wide.elided and len(wide.drawn) == 6
    assert 0.0 not in wide.drawn  # the gap for the "⋮" is in the middle
    assert sum(wide.drawn) == pytest.approx(0.0)


@pytest.mark.parametrize("sizes", [[10], [], [3, 0], [3, 2.5], "784"])
def test_layout_explains_bad_sizes(sizes):
    """Does a list without two whole widths get a message with an example?"""
    with pytest.raises(ValueError, match=r"\[784, 128, 10\]"):
        mlp_layout(sizes)


def test_plot_mlp_draws_a_circle_per_unit_and_a_line_per_drawn_weight():
    """Does [2, 3, 1] give 6 circles, 2·3 + 3·1 lines and one caption per layer?"""
    fig = plot_mlp([2, 3, 1])
    ax = fig.axes[0]
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == 6
    assert len(ax.lines) == 2 * 3 + 3 * 1
    captions = [t.get_text() for t in ax.texts]
    assert captions == ["input\n2", "hidden layer\n3", "output\n1"]


def test_plot_mlp_draws_into_a_given_axes():
    """With `ax`, does it draw there and return that Axes?"""
    from labkit.plot.figure import new_figure

    ax = new_figure(4, 3).add_subplot()
    assert plot_mlp([784, 16, 10], ax=ax) is ax
    assert any(t.get_text() == "⋮" for t in ax.texts)


def test_plot_neuron_labels_every_input_weight_and_the_parts():
    """Does a neuron with 4 inputs show x₁…x₄, w₁…w₄, b, φ and the three captions?"""
    fig = plot_neuron(4)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"x₁", "x₄", "w₁", "w₄", "b", "φ", "Σ", "y", "z"} <= texts
    assert {"inputs", "weighted sum + bias", "activation"} <= texts


@pytest.mark.parametrize("n_inputs", [0, 7, 2.0])
def test_plot_neuron_explains_a_bad_number_of_inputs(n_inputs):
    with pytest.raises(ValueError, match="from 1 to 6"):
        plot_neuron(n_inputs)
