"""Nested batches described as plain data, and the first difference between two of them
(for ``to_device``): containers by type, tensors by device, dtype and shape."""

from __future__ import annotations

import torch

from labkit.i18n import N_, _

# What each kind of item is called in a message.
_KINDS = {"tensor": N_("a tensor"), "dict": N_("a `dict`"), "list": N_("a `list`"),
          "tuple": N_("a `tuple`"), "leaf": N_("the same value"),
          "other": N_("the same object")}


def skeleton(value, *, values: bool):
    """A plain description of a (nested) batch: containers by type (a namedtuple by its
    class), tensors by device, dtype and shape (and values on real devices), other
    leaves as they are."""
    if isinstance(value, torch.Tensor):
        data = value.detach().cpu() if values and value.device.type != "meta" else None
        return {"tensor": (value.device.type, value.dtype, tuple(value.shape), data)}
    if type(value) is dict:
        return {"dict": {k: skeleton(v, values=values) for k, v in value.items()}}
    if type(value) in (list, tuple):
        return {type(value).__name__: [skeleton(v, values=values) for v in value]}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return {"named": (type(value).__name__, [skeleton(v, values=values) for v in value])}
    if value is None or type(value) in (bool, int, float, str):
        return {"leaf": value}
    return {"other": type(value).__name__}


def _kind_words(kind: str, inner) -> str:
    if kind == "named":
        return _("a `{name}` (a namedtuple)").format(name=inner[0])
    return _(_KINDS.get(kind, N_("something else")))


def first_difference(found, expected, path=""):
    """(where, what was expected, what was found, which hint fits) of the first
    difference, or None. The hint is "named" for a namedtuple lost, True for another
    container lost, False when the structure is right."""
    (kind, inner), = expected.items()
    (found_kind, found_inner), = found.items() if type(found) is dict and len(found) == 1 \
        else (("?", None),)
    if found_kind != kind or (kind == "named" and found_inner[0] != inner[0]):
        wanted = (_("`{value!r}`, unchanged").format(value=inner) if kind == "leaf"
                  else _kind_words(kind, inner))
        return (path, wanted, _kind_words(found_kind, found_inner),
                "named" if kind == "named" else kind in ("dict", "list", "tuple"))
    if kind == "tensor":
        return _tensor_difference(found_inner, inner, path)
    if kind == "leaf":
        if found_inner != inner or type(found_inner) is not type(inner):
            return (path, _("`{value!r}`, unchanged").format(value=inner),
                    f"`{found_inner!r}`", False)
        return None
    if kind == "other":
        return None if found_inner == inner else (
            path, _("a `{name}`").format(name=inner), found_inner, True)
    if kind == "dict":
        if list(found_inner) != list(inner):
            return (path, _("the keys {keys}").format(keys=list(inner)),
                    _("the keys {keys}").format(keys=list(found_inner)), False)
        items = [(f"[{k!r}]", found_inner[k], inner[k]) for k in inner]
    else:
        mine, theirs = (inner[1], found_inner[1]) if kind == "named" else (inner, found_inner)
        if len(theirs) != len(mine):
            return (path, _("{count} items").format(count=len(mine)),
                    _("{count} items").format(count=len(theirs)), False)
        items = [(f"[{i}]", f, e) for i, (f, e) in enumerate(zip(theirs, mine, strict=True))]
    for step, f, e in items:
        difference = first_difference(f, e, path + step)
        if difference:
            return difference
    return None


def _tensor_difference(found, expected, path):
    device, dtype, shape, data = expected
    f_device, f_dtype, f_shape, f_data = found
    if f_device != device:
        return (path, _("a tensor on `{device}`").format(device=device),
                _("a tensor on `{device}`").format(device=f_device), True)
    if f_dtype != dtype or f_shape != shape:
        return (path, _("dtype {dtype} and shape {shape}").format(dtype=dtype, shape=shape),
                _("dtype {dtype} and shape {shape}").format(dtype=f_dtype, shape=f_shape),
                False)
    if data is not None and (f_data is None or not torch.equal(f_data, data)):
        return path, _("the same values"), _("different values"), False
    return None
