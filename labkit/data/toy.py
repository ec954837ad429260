"""Small synthetic 2-D classification datasets, made with torch alone.

Each function returns ``(X, y)``: ``X`` is ``(n, 2)`` float32, ``y`` is ``(n,)``
int64 class labels. The same ``seed`` always gives the same points.
"""

from __future__ import annotations

import math

import torch


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _check_n(n: int, classes: int = 2) -> None:
    if not isinstance(n, int) or n < classes:
        raise ValueError(f"n must be a whole number of at least {classes} points, got {n!r}")


def make_moons(n: int = 200, *, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles; class 0 on top, class 1 below."""
    _check_n(n)
    g = _generator(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = torch.linspace(0, math.pi, n0)
    t1 = torch.linspace(0, math.pi, n1)
    top = torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)              # (n0, 2)
    bottom = torch.stack([1 - torch.cos(t1), 0.5 - torch.sin(t1)], dim=1)  # (n1, 2)
    return _finish(top, bottom, noise=noise, g=g)


def make_circles(n: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: int = 0):
    """A small circle (class 1) inside a large one (class 0)."""
    _check_n(n)
    if not 0 < factor < 1:
        raise ValueError(f"factor is the inner radius over the outer one, in (0, 1); got {factor}")
    g = _generator(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = torch.rand(n0, generator=g) * 2 * math.pi
    t1 = torch.rand(n1, generator=g) * 2 * math.pi
    outer = torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)
    inner = factor * torch.stack([torch.cos(t1), torch.sin(t1)], dim=1)
    return _finish(outer, inner, noise=noise, g=g)


def make_spirals(n: int = 300, *, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """``classes`` interleaved spiral arms, one class each."""
    _check_n(n, classes)
    g = _generator(seed)
    per_class = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    xs, ys = [], []
    for k, m in enumerate(per_class):
        radius = torch.linspace(0.05, 1.0, m)
        angle = k * 2 * math.pi / classes + radius * 4 + noise * torch.randn(m, generator=g)
        xs.append(torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1))
        ys.append(torch.full((m,), k, dtype=torch.int64))
    X, y = torch.cat(xs), torch.cat(ys)
    order = torch.randperm(n, generator=g)
    return X[order].float(), y[order]


def _finish(a: torch.Tensor, b: torch.Tensor, *, noise: float, g: torch.Generator):
    X = torch.cat([a, b])
    X = X + noise * torch.randn(X.shape, generator=g)
    y = torch.cat([torch.zeros(len(a), dtype=torch.int64), torch.ones(len(b), dtype=torch.int64)])
    order = torch.randperm(len(X), generator=g)  # mixed classes make nicer mini-batches
    return X[order].float(), y[order]
