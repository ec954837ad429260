"""Synthetic 2-D datasets for the MLP chapter."""

import pytest
import torch

from labkit.data import make_circles, make_moons, make_spirals


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals])
def test_shapes_dtypes_and_determinism(make):
    X, y = make(101, seed=3)
    assert X.shape == (101, 2) and X.dtype == torch.float32
    assert y.shape == (101,) and y.dtype == torch.int64
    X2, y2 = make(101, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    X3, _ = make(101, seed=4)
    assert not torch.equal(X, X3)


def test_two_class_sets_are_balanced():
    for make in (make_moons, make_circles):
        _, y = make(200)
        assert torch.bincount(y).tolist() == [100, 100]


def test_spirals_have_the_requested_classes():
    _, y = make_spirals(301, classes=4)
    assert torch.bincount(y).tolist() == [76, 75, 75, 75]


def test_circles_inner_class_is_inside():
    X, y = make_circles(400, noise=0.0, factor=0.3)
    radius = X.norm(dim=1)
    assert radius[y == 1].max() < radius[y == 0].min()


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5])
def test_bad_sizes_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="at least 2 points"):
        make_moons(bad)


def test_bad_factor_is_refused():
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=1.5)
