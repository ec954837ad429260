"""Fingerprints of the arguments a check hands to learner code, to see what it changed.

A check's arguments reach the learner's function as copies, so a change made in place
(``x.sub_(m)``, ``x[~mask] = 0``, ``x.data = x.round()``, ``p.grad.mul_(c)``,
``batch["image"] = moved``) would be invisible to a check that only reads the return
value. ``take`` records every tensor reachable from an argument (inside lists, tuples,
dicts and modules, with its ``.grad``) before the call; ``changes`` compares after it and
names each path that changed and how, including a path whose tensor was swapped for
another, added or removed (given the arguments again as ``now``).
Values are compared exactly (NaN equal to NaN): moving a value and moving it back by
the same amount does not always give the same float.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

MAX_DEPTH = 6
MAX_TENSORS = 512


@dataclass(frozen=True)
class Snapshot:
    tensor: torch.Tensor  # the very object, to see a rebinding of .data
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: torch.dtype
    pointer: int
    requires_grad: bool
    values: torch.Tensor | None  # a copy; None for meta tensors
    grad: Snapshot | None


def snapshot(tensor: torch.Tensor, *, with_grad: bool = True) -> Snapshot:
    meta = tensor.device.type == "meta"
    grad = tensor.grad if with_grad and tensor.is_leaf else None
    return Snapshot(
        tensor, tuple(tensor.shape), tuple(tensor.stride()), tensor.dtype,
        0 if meta else tensor.untyped_storage().data_ptr() + tensor.storage_offset(),
        tensor.requires_grad, None if meta else tensor.detach().clone(),
        snapshot(grad, with_grad=False) if isinstance(grad, torch.Tensor) else None)


def take(named_values: dict[str, object]) -> dict[str, Snapshot]:
    """``path -> Snapshot`` for every tensor reachable from the named values."""
    return {path: snapshot(t) for path, t in tensors(named_values).items()}


def tensors(named_values: dict[str, object]) -> dict[str, torch.Tensor]:
    """``path -> tensor`` for every tensor reachable from the named values, in a fixed
    order (so two walks over the same structure find the same paths)."""
    found: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, value in named_values.items():
        _walk(value, name, found, seen, 0)
    return found


def _walk(value, path: str, found: dict, seen: set, depth: int) -> None:
    if depth > MAX_DEPTH or len(found) >= MAX_TENSORS or id(value) in seen:
        return
    if isinstance(value, torch.Tensor):
        seen.add(id(value))
        found[path] = value
        return
    if isinstance(value, (list, tuple)):
        seen.add(id(value))
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", found, seen, depth + 1)
    elif isinstance(value, dict):
        seen.add(id(value))
        for key, item in value.items():
            if isinstance(key, (str, int)):
                _walk(item, f"{path}[{key!r}]", found, seen, depth + 1)
    elif isinstance(value, torch.nn.Module):
        seen.add(id(value))
        for name, tensor in [*value.named_parameters(), *value.named_buffers()]:
            if tensor is not None:
                _walk(tensor, f"{path}.{name}", found, seen, depth + 1)


# What changed, in the words a message uses (marked for translation where it is shown).
VALUES, GRADIENT, STORAGE, SHAPE, REQUIRES_GRAD, SWAPPED = (
    "values", "gradient", "storage", "shape", "requires_grad", "swapped")


def changes(before: dict[str, Snapshot], loose=(), now: dict[str, object] | None = None
            ) -> list[tuple[str, str]]:
    """``[(path, what)]`` for each recorded tensor that is no longer as it was. Below the
    names in ``loose``, values need only come back up to rounding (moved and put back).

    ``now``: the named values as given to ``take``, walked again, so that a container or
    module whose tensor was swapped for another (``batch[k] = moved``, a layer replaced),
    added or removed is a change too, though every recorded tensor is as it was."""
    out = []
    for path, old in before.items():
        what = _difference(old, old.tensor, _below(path, loose))
        if what:
            out.append((path, what))
    if now is not None:
        current = tensors(now)
        changed = {path for path, _what in out}
        for path in [*before, *(p for p in current if p not in before)]:
            held = before.get(path)
            if path not in changed and (held is None or current.get(path) is not held.tensor):
                out.append((path, SWAPPED))
    return out


def _below(path: str, names) -> bool:
    return any(path == n or path.startswith((f"{n}.", f"{n}[")) for n in names)


def _difference(old: Snapshot, tensor: torch.Tensor, loose: bool = False) -> str | None:
    if tuple(tensor.shape) != old.shape or tuple(tensor.stride()) != old.stride:
        return SHAPE
    if tensor.dtype != old.dtype:
        return VALUES
    if tensor.requires_grad != old.requires_grad:
        return REQUIRES_GRAD
    if old.values is not None:
        pointer = tensor.untyped_storage().data_ptr() + tensor.storage_offset()
        if pointer != old.pointer:
            return STORAGE
        if not _same_values(old.values, tensor.detach(), loose):
            return VALUES
    grad = tensor.grad if tensor.is_leaf else None
    if old.grad is None:  # a gradient where there was none: a backward pass through it
        return GRADIENT if isinstance(grad, torch.Tensor) else None
    if not isinstance(grad, torch.Tensor) or _difference(old.grad, grad) is not None:
        return GRADIENT
    return None


def _same_values(a: torch.Tensor, b: torch.Tensor, loose: bool = False) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if loose and (a.is_floating_point() or a.is_complex()):
        return bool(torch.allclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True))
    if a.is_floating_point() or a.is_complex():
        return bool(torch.equal(a, b) or (
            (a == b) | (torch.isnan(a) & torch.isnan(b))).all())
    return bool(torch.equal(a, b))
