"""Plain data: the only values that cross from learner code to a check.

Plain data is ``None``, booleans, numbers, strings, bytes, tensors (detached, dense,
with values), dtypes, devices, and lists, tuples and dicts of those. Anything else stays
on the learner's side and travels as a marker that becomes a ``Handle`` on the check's
side.

The bytes are a format of our own, not a pickle: a JSON tree (which cannot share a node,
so it cannot expand on reading) and a block of raw tensor bytes. ``decode`` reads the
bytes from a process that may be hostile, so it checks the message's shape and every
limit (bytes, nesting, number of values, tensor elements) *before* it makes a single
tensor, and its time and memory stay proportional to the bytes it was given.

Two refusals, two meanings:

- ``Refused``: the learner's value is not something a check can receive (a sparse or
  ``meta`` tensor, too many numbers, too deep). Raised on the learner's side while
  exporting or encoding; its ``reason`` says, in the learner's language, what to return
  instead. The check reports it as the learner's incorrect answer.
- ``Forged``: the bytes are not something an honest learner value could produce (a
  pickle, a broken header, a count beyond the limits the learner's side enforces). The
  grader records the submission as ``crashed``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from collections.abc import Callable

import torch

from labkit.check.handle import Handle
from labkit.i18n import N_, _

MARKER = "__labkit_handle__"
MAGIC = b"LKP1"
MAX_BYTES = 256 * 2**20  # a whole message, tensors included
MAX_TREE_BYTES = 16 * 2**20  # the JSON part
MAX_DEPTH = 24  # containers inside containers
MAX_VALUES = 200_000  # numbers, strings, containers... counted one by one
MAX_ELEMENTS = 2**26  # numbers in all tensors together (256 MB of float32)
MAX_DIMS = 12
_INT_DIGITS = 4000  # JSON readers refuse longer integers
_INT_LIMIT = 10**_INT_DIGITS
_HEAD = struct.Struct("<4sI")
_ATOMS = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device)
DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.uint16, torch.uint32, torch.uint64, torch.float16, torch.bfloat16, torch.float32,
    torch.float64, torch.complex64, torch.complex128)}
_ANY_DTYPE = {str(d).removeprefix("torch."): d for d in vars(torch).values()
              if isinstance(d, torch.dtype)}
_DEVICE = re.compile(r"[a-z_]{1,16}(:\d{1,3})?")


class Refused(ValueError):
    """The learner's value cannot be sent to the check; ``reason`` says what to return.

    ``template`` is English, marked for translation; ``reason`` renders it in the
    language current when it is read."""

    def __init__(self, template: str, **fields):
        super().__init__(template.format(**fields))
        self.template, self.fields = template, fields

    @property
    def reason(self) -> str:
        return _(self.template).format(**self.fields)


class TooLarge(Refused):
    """A value whose bytes are over ``MAX_BYTES``."""


class Forged(ValueError):
    """Bytes that no honest learner value produces; ``reason`` is plain English."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- the learner's side ------------------------------------------------------------------
def export(value, keep: Callable[[object], int], _depth: int = 0):
    """``value`` as plain data; ``keep(obj)`` stores a non-plain object and returns its number.

    Runs on the learner's side. Tensor subclasses and parameters become plain tensors
    without autograd history; subclasses of int, float and str become the base type.
    Raises ``Refused`` for a value the check could not receive (see ``check_tensor``).
    """
    return _Exporter(keep).visit(value, _depth)


class _Budget:
    """The limits a value must keep, counted as it is walked; ``Refused`` past one."""

    def __init__(self, depth_slack: int = 0):
        self.values, self.elements, self.slack = 0, 0, depth_slack

    def value(self, depth: int) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise Refused(N_("your answer holds more than {limit:,} values; return a "
                             "smaller result (a tensor instead of a long list)"),
                          limit=MAX_VALUES)
        if depth > MAX_DEPTH + self.slack:
            raise Refused(N_("your answer is nested more than {limit} levels deep (a list "
                             "inside a list...); return a flatter result"), limit=MAX_DEPTH)

    def tensor(self, tensor: torch.Tensor) -> None:
        check_tensor(tensor)
        self.elements += tensor.numel()
        if self.elements > MAX_ELEMENTS:
            raise Refused(N_("your answer holds more than {limit:,} numbers in tensors; "
                             "return a smaller result"), limit=MAX_ELEMENTS)


class _Exporter(_Budget):
    def __init__(self, keep):
        super().__init__()
        self.keep = keep

    def visit(self, value, depth: int):
        self.value(depth)
        kind = type(value)
        if kind in _ATOMS:
            return value
        if isinstance(value, torch.Tensor):
            self.tensor(value)
            return value.detach().as_subclass(torch.Tensor).clone()
        for base in (int, float, str):
            if isinstance(value, base) and not callable(value):
                return base(value)
        if kind in (list, tuple) or (isinstance(value, tuple) and hasattr(value, "_fields")):
            items = [self.visit(v, depth + 1) for v in value]
            return items if kind is list else tuple(items)
        if isinstance(value, torch.Size):
            return tuple(int(d) for d in value)
        if kind is dict or kind.__name__ == "OrderedDict":
            if all(type(k) in (str, int) for k in value):
                return {k: self.visit(v, depth + 1) for k, v in value.items()}
        if _is_numpy_scalar(value):
            return value.item()
        return {MARKER: self.keep(value), "type": kind.__name__}


def check_tensor(tensor: torch.Tensor) -> None:
    """``Refused`` unless ``tensor`` is dense, holds values and has a common dtype."""
    if tensor.is_quantized:
        raise Refused(N_("your answer is a quantized tensor; return a regular tensor "
                         "(`.dequantize()`)"))
    if tensor.layout != torch.strided:
        raise Refused(N_("your answer is a tensor stored as `{layout}`; return a dense "
                         "tensor (`.to_dense()`)"),
                      layout=str(tensor.layout).removeprefix("torch."))
    if tensor.device.type == "meta":
        raise Refused(N_("your answer is a tensor on the `meta` device, which holds no "
                         "values; return a tensor computed on real data"))
    if str(tensor.dtype).removeprefix("torch.") not in DTYPES:
        raise Refused(N_("your answer is a tensor of dtype `{dtype}`; return one of a "
                         "common dtype such as `torch.float32`"),
                      dtype=str(tensor.dtype).removeprefix("torch."))


def _is_numpy_scalar(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
        value, "shape", None) == ()


def encode(value) -> bytes:
    """Plain data as bytes; ``Refused`` (or ``TooLarge``) for what the check cannot take."""
    tensors: list[torch.Tensor] = []
    tree = _Encoder(tensors).visit(value, 0)
    table, blobs, offset = [], [], 0
    for tensor in tensors:
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        table.append([str(tensor.dtype).removeprefix("torch."), list(tensor.shape), offset,
                      len(data)])
        blobs.append(data)
        offset += len(data)
    head = json.dumps({"v": tree, "t": table}, separators=(",", ":"),
                      ensure_ascii=False).encode()
    size = _HEAD.size + len(head) + offset
    if size > MAX_BYTES or len(head) > MAX_TREE_BYTES:
        raise TooLarge(N_("your answer takes {size:.0f} MB, more than a check can read; "
                          "return a smaller result"), size=size / 2**20)
    return b"".join([_HEAD.pack(MAGIC, len(head)), head, *blobs])


class _Encoder(_Budget):
    def __init__(self, tensors: list):
        super().__init__(depth_slack=2)  # the reply's own tuple wraps the learner's value
        self.tensors = tensors

    def visit(self, value, depth: int):
        self.value(depth)
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            if abs(value) >= _INT_LIMIT:
                raise Refused(N_("your answer holds a whole number with more than {limit:,} "
                                 "digits; return a smaller number"), limit=_INT_DIGITS)
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
        if kind is complex:
            return {"$": "complex", "v": [self.visit(value.real, depth + 1),
                                          self.visit(value.imag, depth + 1)]}
        if kind is bytes:
            return {"$": "bytes", "v": base64.b64encode(value).decode()}
        if kind is torch.dtype:
            return {"$": "dtype", "v": str(value).removeprefix("torch.")}
        if kind is torch.device:
            return {"$": "device", "v": str(value)}
        if isinstance(value, torch.Tensor):
            self.tensor(value)
            self.tensors.append(value)
            return {"$": "tensor", "i": len(self.tensors) - 1}
        if kind is list:
            return [self.visit(v, depth + 1) for v in value]
        if kind is tuple:
            return {"$": "tuple", "v": [self.visit(v, depth + 1) for v in value]}
        if kind is dict and all(type(k) in (str, int) for k in value):
            return {"$": "dict", "k": [self.visit(k, depth + 1) for k in value],
                    "v": [self.visit(v, depth + 1) for v in value.values()]}
        raise TypeError(f"plain.encode takes plain data (see labkit.check.plain), not a "
                        f"{kind.__name__}; export it first")


# --- the check's side --------------------------------------------------------------------
def decode(data: bytes, host) -> object:
    """Bytes from the learner's side back to values; markers become handles of ``host``.

    ``Forged`` when the bytes break the format or any limit; nothing is built before
    every check has passed."""
    tree, table, blob = parse(data)
    tensors = [_tensor(entry, blob) for entry in table]
    return _Builder(tensors, host).build(tree)


def parse(data: bytes) -> tuple[object, list, memoryview]:
    """The message's JSON tree, its tensor table and its tensor bytes, all checked."""
    if not isinstance(data, (bytes, bytearray)):
        raise Forged("the reply is not bytes")
    if len(data) > MAX_BYTES:
        raise Forged(f"the reply is {len(data) / 2**20:.0f} MB, over the limit")
    if len(data) < _HEAD.size:
        raise Forged("the reply is too short to be a message")
    magic, length = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise Forged("the reply does not start like a message of the check's channel")
    if length > MAX_TREE_BYTES or _HEAD.size + length > len(data):
        raise Forged("the reply's header gives a wrong length")
    try:
        message = json.loads(bytes(data[_HEAD.size:_HEAD.size + length]).decode("utf-8"))
    except RecursionError:
        raise Forged("the reply is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise Forged(f"the reply's header is not valid ({type(err).__name__})") from None
    if type(message) is not dict or set(message) != {"v", "t"} or type(
            message["t"]) is not list:
        raise Forged("the reply's header has the wrong fields")
    blob = memoryview(data)[_HEAD.size + length:]
    table = _checked_table(message["t"], len(blob))
    _Counter(len(table)).walk(message["v"])
    return message["v"], table, blob


def _checked_table(table: list, blob_size: int) -> list:
    offset, elements, checked = 0, 0, []
    for entry in table:
        if (type(entry) is not list or len(entry) != 4 or type(entry[0]) is not str
                or entry[0] not in DTYPES or type(entry[1]) is not list
                or len(entry[1]) > MAX_DIMS
                or not all(type(d) is int and 0 <= d <= MAX_ELEMENTS for d in entry[1])
                or entry[2] != offset or type(entry[3]) is not int):
            raise Forged("the reply's tensor table is malformed")
        numel = math.prod(entry[1])
        elements += numel
        if elements > MAX_ELEMENTS:
            raise Forged("the reply holds more tensor elements than the learner's side sends")
        if entry[3] != numel * DTYPES[entry[0]].itemsize:
            raise Forged("a tensor's byte count does not match its shape")
        offset += entry[3]
        checked.append((DTYPES[entry[0]], tuple(entry[1]), entry[2], entry[3]))
    if offset != blob_size:
        raise Forged("the reply's tensor bytes do not add up")
    return checked


class _Counter:
    """Walks the JSON tree once: node shapes, depth, number of values, tensor references."""

    def __init__(self, tensors: int):
        self.values, self.tensors, self.seen = 0, tensors, set()

    def walk(self, node, depth: int = 0) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise Forged("the reply holds more values than the learner's side sends")
        if depth > MAX_DEPTH + 3:
            raise Forged("the reply is nested deeper than the learner's side sends")
        kind = type(node)
        if node is None or kind in (bool, int, float, str):
            return
        if kind is list:
            for item in node:
                self.walk(item, depth + 1)
            return
        if kind is not dict:
            raise Forged("the reply holds a value of an unknown kind")
        tag = node.get("$")
        fields = _FIELDS.get(tag)
        if fields is None or set(node) != fields:
            raise Forged("the reply holds a value of an unknown kind")
        value = node.get("v")
        if tag == "tensor":
            index = node["i"]
            if type(index) is not int or not 0 <= index < self.tensors or index in self.seen:
                raise Forged("the reply refers to a tensor it does not hold")
            self.seen.add(index)
        elif tag in ("tuple", "dict"):
            if type(value) is not list or (tag == "dict" and (
                    type(node["k"]) is not list or len(node["k"]) != len(value)
                    or not all(type(k) in (str, int) for k in node["k"]))):
                raise Forged("the reply holds a malformed container")
            self.values += len(node.get("k", ()))
            for item in value:
                self.walk(item, depth + 1)
        elif tag == "complex":
            if type(value) is not list or len(value) != 2 or not all(
                    type(v) in (int, float) for v in value):
                raise Forged("the reply holds a malformed complex number")
        elif type(value) is not str or not _ATOM_CHECKS[tag](value):
            raise Forged(f"the reply holds a malformed {tag}")


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


_FIELDS = {"tensor": {"$", "i"}, "tuple": {"$", "v"}, "dict": {"$", "k", "v"},
           "complex": {"$", "v"}, "float": {"$", "v"}, "bytes": {"$", "v"},
           "dtype": {"$", "v"}, "device": {"$", "v"}}
_ATOM_CHECKS = {"float": lambda v: v in ("nan", "inf", "-inf"), "bytes": _is_base64,
                "dtype": lambda v: v in _ANY_DTYPE, "device": _DEVICE.fullmatch}


def _tensor(entry, blob: memoryview) -> torch.Tensor:
    dtype, shape, offset, size = entry
    if size == 0:
        return torch.empty(shape, dtype=dtype)
    raw = torch.frombuffer(bytearray(blob[offset:offset + size]), dtype=torch.uint8)
    return raw.view(dtype).reshape(shape)


class _Builder:
    def __init__(self, tensors: list, host):
        self.tensors, self.host = tensors, host

    def build(self, node):
        kind = type(node)
        if kind is list:
            return [self.build(item) for item in node]
        if kind is not dict:
            return node
        tag = node["$"]
        if tag == "tensor":
            return self.tensors[node["i"]]
        if tag == "tuple":
            return tuple(self.build(item) for item in node["v"])
        if tag == "dict":
            value = {k: self.build(v) for k, v in zip(node["k"], node["v"], strict=True)}
            if set(value) == {MARKER, "type"} and type(value[MARKER]) is int and type(
                    value["type"]) is str:
                return Handle(value[MARKER], value["type"], self.host)
            return value
        if tag == "complex":
            return complex(*node["v"])
        if tag == "float":
            return float(node["v"])
        if tag == "bytes":
            return base64.b64decode(node["v"])
        if tag == "dtype":
            return _ANY_DTYPE[node["v"]]
        try:
            return torch.device(node["v"])
        except RuntimeError:
            raise Forged("the reply names a device that does not exist") from None
