"""Questions about apply_kernel, named_kernels and kernel_explorer."""

import matplotlib
import pytest
import torch

from labkit.widgets import apply_kernel, kernel_explorer, named_kernels

matplotlib.use("Agg")


def step_image():
    """Dark left half, bright right half: one vertical edge."""
    image = torch.zeros(6, 6)
    image[:, 3:] = 1.0
    return image


def test_identity_kernel_returns_the_image_unchanged():
    """Does the identity kernel give back exactly the input?"""
    image = torch.rand(7, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(apply_kernel(image, named_kernels()["identity"]), image)


@pytest.mark.parametrize("name", list(named_kernels()))
def test_every_kernel_keeps_the_image_size(name):
    """Does every named kernel keep (H, W), also for a (1, H, W) image?"""
    assert apply_kernel(torch.rand(1, 9, 4), named_kernels()[name]).shape == (9, 4)


def test_apply_kernel_matches_a_hand_computed_value():
    """Is one output pixel the sum of kernel * neighbourhood (no flip)?"""
    image = torch.arange(25.0).reshape(5, 5)
    kernel = torch.arange(9.0).reshape(3, 3)
    out = apply_kernel(image, kernel)
    assert out[2, 2] == (image[1:4, 1:4] * kernel).sum()


def test_edge_kernels_find_the_right_edges():
    """Does edge-vertical respond at the vertical edge and edge-horizontal not at all inside?"""
    kernels = named_kernels()
    vertical = apply_kernel(step_image(), kernels["edge-vertical"])
    horizontal = apply_kernel(step_image(), kernels["edge-horizontal"])
    assert vertical[2:4, 2:4].abs().min() > 0  # the columns next to the edge
    assert vertical[2:4, 0].abs().max() == 0  # flat area
    assert horizontal[1:5, :].abs().max() == 0  # no horizontal edge away from the border


def test_apply_kernel_explains_an_even_kernel():
    """Does a 2 x 2 kernel get a message asking for an odd size?"""
    with pytest.raises(ValueError, match="odd size"):
        apply_kernel(torch.rand(4, 4), torch.ones(2, 2))


def test_named_kernels_are_fresh_copies():
    """Does editing one returned kernel leave the next call's kernels alone?"""
    named_kernels()["identity"].zero_()
    assert named_kernels()["identity"][1, 1] == 1


def test_kernel_explorer_falls_back_to_input_kernel_output():
    """In quiet mode, does kernel_explorer return input, kernel (with 9 numbers) and output?"""
    fig = kernel_explorer(step_image(), kernel="sharpen")
    assert [ax.get_title() for ax in fig.axes] == ["input", "kernel: sharpen", "output"]
    assert len(fig.axes[1].texts) == 9
    assert sum(len(ax.images) for ax in fig.axes) == 3
