"""Questions about activation_table and plot_activations."""

import matplotlib
import pytest
import torch

from labkit.plot import activation_table, plot_activations

matplotlib.use("Agg")

X = torch.linspace(-3, 3, 61)


def test_activation_table_names():
    """Does the table hold the five activations of the course?"""
    assert list(activation_table()) == ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"]


@pytest.mark.parametrize(("name", "expected"), [
    ("sigmoid", lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    ("tanh", lambda x: 1 - torch.tanh(x) ** 2),
    ("relu", lambda x: (x > 0).float()),
    ("leaky_relu", lambda x: torch.where(x > 0, 1.0, 0.01)),
])
def test_autograd_derivatives_match_the_formulas(name, expected):
    """Does each autograd derivative equal the textbook formula?"""
    x = X[X != 0]  # relu has no derivative at exactly 0
    assert torch.allclose(activation_table()[name].derivative(x), expected(x), atol=1e-6)


def test_gelu_derivative_matches_finite_differences():
    """Does the GELU derivative agree with (f(x + h) - f(x - h)) / 2h?"""
    gelu, derivative = activation_table()["gelu"]
    x, h = X.double(), 1e-5
    numeric = (gelu(x + h) - gelu(x - h)) / (2 * h)
    assert torch.allclose(derivative(x), numeric, atol=1e-6)


def test_derivative_works_under_no_grad_and_leaves_input_alone():
    """Does the derivative work inside torch.no_grad() without touching the input?"""
    x = X.clone()
    with torch.no_grad():
        grad = activation_table()["tanh"].derivative(x)
    assert grad.shape == x.shape and not x.requires_grad


def test_plot_activations_draws_function_and_derivative():
    """Does each panel show the function and a dashed derivative?"""
    fig = plot_activations(["relu", "tanh"])
    assert [ax.get_title() for ax in fig.axes] == ["relu", "tanh"]
    for ax, name in zip(fig.axes, ["relu", "tanh"], strict=True):
        labelled = {line.get_label(): line for line in ax.lines}
        assert name in labelled and "derivative" in labelled
        assert labelled["derivative"].get_linestyle() == "--"


def test_plot_activations_names_the_choices_for_an_unknown_name():
    """Does an unknown name get a message listing the known ones?"""
    with pytest.raises(ValueError, match="choose from sigmoid, tanh"):
        plot_activations("swish")


def test_plot_activations_draws_into_given_ax():
    """Does plot_activations(ax=...) draw into the given axes, one per name, and return them?
    Does the old keyword axes= still work, with a DeprecationWarning?"""
    from matplotlib.figure import Figure

    panels = Figure().subplots(1, 2)
    assert plot_activations(["relu", "tanh"], ax=panels) is panels
    assert [panel.get_title() for panel in panels] == ["relu", "tanh"]
    single = Figure().subplots()
    with pytest.warns(DeprecationWarning, match="ax="):
        assert plot_activations("relu", axes=single) is single
    assert single.get_title() == "relu"
