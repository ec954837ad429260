"""Questions about plot_filters, feature_maps and plot_feature_maps."""

import matplotlib
import pytest
import torch
from torch import nn

from labkit.plot import feature_maps, plot_feature_maps, plot_filters

matplotlib.use("Agg")


def small_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3))


def count_images(fig):
    return sum(len(ax.images) for ax in fig.axes)


def test_plot_filters_shows_one_image_per_output_channel():
    """Does plot_filters() draw C_out images from a layer or its weight?"""
    layer = nn.Conv2d(3, 6, 5)
    assert count_images(plot_filters(layer, ncols=4)) == 6
    assert count_images(plot_filters(layer.weight[:2])) == 2
    with pytest.raises(ValueError, match=r"\(C_out, C_in, kH, kW\)"):
        plot_filters(torch.zeros(3, 3))


def test_feature_maps_collects_every_conv_output_in_order():
    """Does feature_maps() return each Conv2d's output, by name, batch dim dropped?"""
    maps = feature_maps(small_cnn(), torch.rand(1, 8, 8))
    assert list(maps) == ["0", "3"]
    assert maps["0"].shape == (4, 8, 8)
    assert maps["3"].shape == (6, 2, 2)


def test_feature_maps_removes_its_hooks():
    """Are all forward hooks gone after feature_maps(), for a model and a single layer?"""
    model = small_cnn()
    feature_maps(model, torch.rand(8, 8))
    assert all(not m._forward_hooks for m in model.modules())
    layer = nn.Conv2d(1, 2, 3)
    assert list(feature_maps(layer, torch.rand(1, 1, 5, 5))) == ["Conv2d"]
    assert not layer._forward_hooks


def test_feature_maps_removes_its_hooks_after_an_error():
    """Are the hooks removed even when the forward pass fails (wrong channel count)?"""
    model = small_cnn()
    with pytest.raises(RuntimeError):
        feature_maps(model, torch.rand(3, 8, 8))  # the model expects 1 channel
    assert all(not m._forward_hooks for m in model.modules())


def test_plot_feature_maps_respects_the_limit():
    """Does plot_feature_maps() draw min(limit, C) maps per layer?"""
    maps = feature_maps(small_cnn(), torch.rand(1, 8, 8))
    fig = plot_feature_maps(maps, limit=5)
    assert count_images(fig) == 4 + 5
