"""What the chapter's checks compare with: gradients computed by autograd itself."""

from __future__ import annotations

import torch

F64 = torch.float64


def autograd_grad(f, x: torch.Tensor) -> torch.Tensor:
    """The gradient of the scalar f(x) with respect to x, by autograd."""
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad
