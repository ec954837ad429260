"""Questions about the optimizer paths and their contour plot."""

import matplotlib
import pytest
import torch

from labkit.plot.paths import OPTIMIZERS, descent_path, loss_surface, make_optimizer, plot_paths

matplotlib.use("Agg")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_paths_start_at_the_start_and_go_downhill(name):
    """Does every optimizer start where the surface says and end lower on the quadratic?"""
    surface = loss_surface("quadratic")
    path = descent_path(surface, name, lr=0.05, steps=30)
    assert path.shape == (31, 2)
    assert path[0].tolist() == list(surface.start)
    assert surface.loss(path[-1]) < surface.loss(path[0])


def test_the_sgd_path_is_gradient_descent():
    """Is the "sgd" path exactly theta - lr * grad at every step?"""
    surface = loss_surface("quadratic")
    path = descent_path(surface, "sgd", lr=0.05, steps=3)
    theta = torch.tensor(surface.start, dtype=torch.float64)
    for point in path[1:]:
        theta = theta - 0.05 * torch.stack([theta[0], 20 * theta[1]])
        assert torch.allclose(point, theta)


def test_a_diverging_path_stops_at_its_last_finite_point():
    """Does a learning rate far above the limit give a short, finite path, not NaNs?"""
    path = descent_path("rosenbrock", "sgd", lr=1.0, steps=200)
    assert len(path) < 201
    assert torch.isfinite(path).all()


def test_rosenbrock_has_its_minimum_at_one_one():
    surface = loss_surface("rosenbrock")
    assert float(surface.loss(torch.tensor(surface.minimum))) == 0.0


def test_plot_paths_returns_a_figure_or_the_axes():
    """Does plot_paths make a figure, or draw into the given axes and return them?"""
    paths = {name: descent_path("quadratic", name, lr=0.05, steps=5) for name in OPTIMIZERS}
    fig = plot_paths("quadratic", paths)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()][:4] == list(OPTIMIZERS)
    other = matplotlib.figure.Figure().subplots()
    assert plot_paths("rosenbrock", paths, ax=other) is other


def test_unknown_names_are_explained():
    with pytest.raises(ValueError, match="quadratic, rosenbrock"):
        loss_surface("bowl")
    with pytest.raises(ValueError, match="sgd, momentum, rmsprop, adam"):
        make_optimizer("lion", [torch.zeros(2, requires_grad=True)], lr=0.1)
