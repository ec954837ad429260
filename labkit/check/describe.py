"""Short, deterministic descriptions of values for learner messages."""

from __future__ import annotations

import re

import torch

from labkit.check.handle import is_handle
from labkit.i18n import _

MAX_REPR = 60


def type_name(value) -> str:
    return type(value).__name__


def shape_text(shape) -> str:
    dims = tuple(int(d) for d in shape)
    return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def cut(text: str, limit: int = MAX_REPR) -> str:
    """One line of at most ``limit`` characters, without terminal colour codes."""
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value) -> str:
    """One line about a value: tensors by shape, dtype and device, never printed whole."""
    if value is ...:
        return _("the placeholder `...`")
    if is_handle(value):
        return _("a `{type}`").format(type=value.type_name)
    if isinstance(value, torch.Tensor):
        return _("a tensor of shape {shape}, dtype {dtype}, on {device}").format(
            shape=shape_text(value.shape), dtype=str(value.dtype).removeprefix("torch."),
            device=value.device)
    if isinstance(value, torch.nn.Module):
        return _("a `{type}` module").format(type=type_name(value))
    if isinstance(value, (bool, int, float, complex, str)):
        return f"`{cut(repr(value))}` ({type_name(value)})"
    if isinstance(value, (list, tuple)):
        return _("a {type} of length {length}").format(type=type_name(value),
                                                        length=len(value))
    if callable(value):
        return _("a {type} `{name}`").format(type=type_name(value),
                                             name=getattr(value, "__name__", "?"))
    return _("a `{type}`").format(type=type_name(value))


def index_text(index) -> str:
    dims = [str(int(i)) for i in index]
    return dims[0] if len(dims) == 1 else "(" + ", ".join(dims) + ")"
