"""Questions about decision_grid and plot_decision_boundary."""

import matplotlib
import pytest
import torch
from matplotlib.contour import ContourSet
from torch import nn

from labkit.plot import decision_grid, plot_decision_boundary

matplotlib.use("Agg")


def vertical_split():
    """One logit = x1: class 1 right of the line x1 = 0."""
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0.0]]))
        model.bias.zero_()
    return model


def test_decision_grid_with_one_logit_gives_sigmoid_probabilities():
    """Does one output logit give P(class 1) = sigmoid(logit) on a (steps, steps) grid?"""
    grid = decision_grid(vertical_split(), (-2, 2), (-1, 1), steps=5)
    assert grid.xx.shape == grid.yy.shape == grid.probs.shape == (5, 5)
    assert grid.xx[0].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]  # x along columns
    assert grid.yy[:, 0].tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]  # y along rows
    assert torch.allclose(grid.probs, torch.sigmoid(grid.xx))


def test_decision_grid_with_several_logits_gives_softmax():
    """Do K output logits give (steps, steps, K) probabilities that sum to 1?"""
    torch.manual_seed(0)
    grid = decision_grid(nn.Linear(2, 3), (0, 1), (0, 1), steps=4)
    assert grid.probs.shape == (4, 4, 3)
    assert torch.allclose(grid.probs.sum(dim=2), torch.ones(4, 4))


def test_plot_decision_boundary_draws_shading_boundary_and_points():
    """Does the plot hold a filled contour, a boundary line and the data points?"""
    X = torch.tensor([[-1.0, 0.0], [1.0, 0.5], [-0.5, -1.0], [0.7, 1.0]])
    y = torch.tensor([0, 1, 0, 1])
    fig = plot_decision_boundary(vertical_split(), X, y, steps=20)
    ax = fig.axes[0]
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert sorted(c.filled for c in contours) == [False, True]
    points = [c for c in ax.collections if not isinstance(c, ContourSet)]
    assert len(points) == 1 and len(points[0].get_offsets()) == 4


def test_plot_decision_boundary_multiclass_into_given_axes():
    """With 3 classes and ax=..., does it draw into that Axes and return it?"""
    from matplotlib.figure import Figure

    torch.manual_seed(0)
    ax = Figure().subplots()
    X = torch.randn(30, 2)
    assert plot_decision_boundary(nn.Linear(2, 3), X, torch.arange(30) % 3, ax=ax,
                                  steps=20) is ax
    assert any(isinstance(c, ContourSet) and c.filled for c in ax.collections)


def test_decision_boundary_explains_a_model_without_2d_input():
    """Does a model expecting 3 features get a message about 2 input features?"""
    with pytest.raises(ValueError, match="2 input features"):
        decision_grid(nn.Linear(3, 1), (0, 1), (0, 1), steps=3)
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\)"):
        plot_decision_boundary(vertical_split(), torch.zeros(4, 3), torch.zeros(4))
