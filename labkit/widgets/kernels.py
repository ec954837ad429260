"""Convolution kernels on an image: blur, sharpen, edges, by hand and with F.conv2d."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.i18n import N_, _
from labkit.i18n.fonts import plot_text
from labkit.plot.figure import new_figure, to_numpy
from labkit.widgets._base import Choice, explore


def named_kernels() -> dict[str, torch.Tensor]:
    """Classic 3 x 3 kernels by name (a fresh dict each call, so edits stay local).
    The names are code; `kernel_label` gives the one a figure shows."""
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    return {
        N_("identity"): torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
        # Weighted average of the neighbourhood (a small Gaussian); weights sum to 1.
        N_("blur"): torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16,
        # The pixel minus its neighbours' excess: weights sum to 1, edges get stronger.
        N_("sharpen"): torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
        # Sobel: responds where brightness changes from top to bottom (horizontal edges).
        N_("edge-horizontal"): sobel.T.clone(),
        # Sobel: responds where brightness changes from left to right (vertical edges).
        N_("edge-vertical"): sobel,
        # Sum of second derivatives: zero on flat areas and even slopes.
        N_("laplacian"): torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
    }


def kernel_label(name: str) -> str:
    """A kernel's name as a figure or a menu shows it: in the learner's language."""
    return plot_text(name)


def _grey_image(image) -> torch.Tensor:
    """A grey image as a float (H, W) tensor; (1, H, W) is accepted too."""
    image = torch.as_tensor(image)
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]  # (1, H, W) -> (H, W)
    if image.ndim != 2:
        raise ValueError(f"Expected a grey image (H, W) or (1, H, W), got {tuple(image.shape)}.")
    return image.float()


def apply_kernel(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Slide `kernel` (k, k) over `image` (H, W); returns (H, W), zero-padded at the borders.

    Like every PyTorch conv layer this is cross-correlation: the kernel is not flipped.
    """
    image, kernel = _grey_image(image), torch.as_tensor(kernel)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(
            f"apply_kernel() needs a square kernel with an odd size (k, k), e.g. 3 x 3, got "
            f"{tuple(kernel.shape)}: an odd size has a centre pixel, so the output keeps (H, W)."
        )
    k = kernel.shape[0]
    x = image[None, None]  # (1, 1, H, W): batch of one, one channel
    w = kernel.float()[None, None]  # (1, 1, k, k): one output channel, one input channel
    # Padding k // 2 on each side keeps the output the same size as the input.
    return F.conv2d(x, w, padding=k // 2)[0, 0]  # (H, W)


def draw_kernel(image: torch.Tensor, kernel_name: str):
    """Input image, the kernel with its numbers, and the output, side by side."""
    kernels = named_kernels()
    if kernel_name not in kernels:
        raise ValueError(f"Unknown kernel {kernel_name!r}; choose from {', '.join(kernels)}.")
    kernel = kernels[kernel_name]
    output = apply_kernel(image, kernel)
    fig = new_figure(9, 3.3)
    ax_in, ax_kernel, ax_out = fig.subplots(1, 3)
    ax_in.imshow(to_numpy(_grey_image(image)), cmap="gray")
    ax_in.set_title(plot_text("input"))
    scale = float(kernel.abs().max())
    ax_kernel.imshow(to_numpy(kernel), cmap="RdBu_r", vmin=-scale, vmax=scale)
    for row in range(kernel.shape[0]):
        for column in range(kernel.shape[1]):
            value = float(kernel[row, column])
            ax_kernel.text(column, row, f"{value:.3g}", ha="center", va="center",
                           color="white" if abs(value) > scale / 2 else "black")
    ax_kernel.set_title(plot_text("kernel: {name}").format(name=kernel_label(kernel_name)))
    ax_out.imshow(to_numpy(output), cmap="gray")
    ax_out.set_title(plot_text("output"))
    for ax in (ax_in, ax_kernel, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def kernel_explorer(image: torch.Tensor, *, kernel: str = "edge-vertical"):
    """Pick a kernel from a dropdown and see what it does to `image` (H, W) or (1, H, W).

    In a notebook: live controls (returns None). Elsewhere or with LABKIT_QUIET=1:
    returns the figure for `kernel`.
    """
    names = tuple(named_kernels())
    if kernel not in names:
        raise ValueError(f"Unknown kernel {kernel!r}; choose from {', '.join(names)}.")
    image = torch.as_tensor(image)

    def draw(kernel_name: str):
        return draw_kernel(image, kernel_name)

    options = tuple((kernel_label(name), name) for name in names)  # (label, value) pairs
    return explore(draw, {"kernel_name": Choice(options, kernel, _("kernel"))})
