"""Questions about image_grid and mistakes."""

import matplotlib
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from labkit.plot import image_grid, mistakes

matplotlib.use("Agg")


def count_images(fig):
    return sum(len(ax.images) for ax in fig.axes)


def titles(fig):
    return [ax.title for ax in fig.axes if ax.images]


@pytest.mark.parametrize("shape", [(5, 1, 8, 8), (5, 8, 8), (5, 3, 8, 8)])
def test_image_grid_draws_one_image_per_input(shape):
    """Does image_grid() draw exactly N images for (N, 1, H, W), (N, H, W) and (N, 3, H, W)?"""
    fig = image_grid(torch.rand(shape), torch.arange(5), ncols=3)
    assert count_images(fig) == 5
    assert [t.get_text() for t in titles(fig)] == ["0", "1", "2", "3", "4"]


def test_image_grid_marks_mistakes_in_red():
    """Are exactly the wrong predictions titled in red?"""
    labels = torch.tensor([0, 1, 2, 3])
    predictions = torch.tensor([0, 2, 2, 1])
    fig = image_grid(torch.rand(4, 8, 8), labels, predictions=predictions)
    colors = [matplotlib.colors.to_hex(t.get_color()) for t in titles(fig)]
    red = matplotlib.colors.to_hex("red")
    assert [c == red for c in colors] == [False, True, False, True]
    assert titles(fig)[1].get_text() == "pred 2\ntrue 1"


def test_image_grid_takes_a_dataset_and_indices():
    """Does image_grid() read (image, label) pairs from a dataset at the given indices?"""
    dataset = TensorDataset(torch.rand(10, 1, 6, 6), torch.arange(10))
    fig = image_grid(dataset, indices=[7, 2, 5], class_names=[f"c{i}" for i in range(10)])
    assert count_images(fig) == 3
    assert [t.get_text() for t in titles(fig)] == ["c7", "c2", "c5"]


def test_image_grid_explains_a_bad_shape():
    """Does image_grid() name the accepted shapes when given a 5-D tensor?"""
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        image_grid(torch.rand(2, 1, 1, 4, 4))


def always_class_zero():
    model = nn.Linear(4, 3)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([1.0, 0.0, 0.0]))
    return model


def test_mistakes_returns_the_misclassified_examples():
    """Does mistakes() return exactly the wrong examples, with labels and predictions?"""
    x = torch.arange(20.0).reshape(5, 4)
    y = torch.tensor([0, 1, 2, 0, 1])
    found = mistakes(always_class_zero(), TensorDataset(x, y))
    assert found.labels.tolist() == [1, 2, 1]
    assert found.predictions.tolist() == [0, 0, 0]
    assert torch.equal(found.images, x[[1, 2, 4]])
    limited = mistakes(always_class_zero(), DataLoader(TensorDataset(x, y), batch_size=2),
                       limit=2)
    assert limited.labels.tolist() == [1, 2]
