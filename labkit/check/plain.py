"""Plain data: the only values that cross from learner code to a check.

Plain data is ``None``, booleans, numbers, strings, bytes, tensors (detached), dtypes,
devices, and lists, tuples and dicts of those. It travels as bytes written by
``torch.save`` and read back by ``torch.load(..., weights_only=True)``, a loader that
cannot run code, whatever the bytes say. Anything that is not plain data is kept on the
learner's side and travels as a marker that becomes a ``Handle`` on the check's side.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import torch

from labkit.check.handle import Handle

MARKER = "__labkit_handle__"
MAX_BYTES = 256 * 2**20  # a reply larger than this is refused, not decoded
_ATOMS = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device)


class TooLarge(ValueError):
    """A value too large to send back to the check."""


class Refused(ValueError):
    """A reply the check will not decode because of what the learner's value is (a sparse
    tensor, too many elements, nested too deep): ``expected`` and ``found`` say what."""

    def __init__(self, expected: str, found: str):
        super().__init__(f"expected {expected}, found {found}")
        self.expected, self.found = expected, found


def export(value, keep: Callable[[object], int], _depth: int = 0):
    """``value`` as plain data; ``keep(obj)`` stores a non-plain object and returns its number.

    Runs on the learner's side. Tensor subclasses and parameters become plain tensors
    without autograd history; subclasses of int, float and str become the base type.
    """
    kind = type(value)
    if kind in _ATOMS:
        return value
    if _depth > 20:
        return _marker(value, keep)
    if isinstance(value, torch.Tensor):
        return value.detach().as_subclass(torch.Tensor).clone()
    if isinstance(value, bool):
        return bool(value)
    for base in (int, float, str):
        if isinstance(value, base) and not callable(value):
            return base(value)
    if kind in (list, tuple) or (isinstance(value, tuple) and hasattr(value, "_fields")):
        items = [export(v, keep, _depth + 1) for v in value]
        return items if kind is list else tuple(items)
    if isinstance(value, torch.Size):
        return tuple(int(d) for d in value)
    if kind is dict or type(value).__name__ == "OrderedDict":
        if all(type(k) in (str, int) for k in value):
            return {k: export(v, keep, _depth + 1) for k, v in value.items()}
    if _is_numpy_scalar(value):
        return value.item()
    return _marker(value, keep)


def _is_numpy_scalar(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
        value, "shape", None) == ()


def _marker(value, keep) -> dict:
    return {MARKER: keep(value), "type": type(value).__name__}


def encode(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer, pickle_protocol=2)
    data = buffer.getvalue()
    if len(data) > MAX_BYTES:
        raise TooLarge(f"{len(data) / 2**20:.0f} MB")
    return data


def decode(data: bytes, host) -> object:
    """Bytes from the learner's side back to values; markers become handles of ``host``."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"{len(data) / 2**20:.0f} MB")
    value = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    return _handles(value, host)


def _handles(value, host):
    if type(value) is dict:
        if MARKER in value and len(value) == 2 and type(value.get("type")) is str:
            return Handle(int(value[MARKER]), value["type"], host)
        return {k: _handles(v, host) for k, v in value.items()}
    if type(value) is list:
        return [_handles(v, host) for v in value]
    if type(value) is tuple:
        return tuple(_handles(v, host) for v in value)
    return value
