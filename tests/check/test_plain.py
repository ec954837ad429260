"""The channel's format (labkit.check.plain): what travels, what is refused, what is forged."""

import json
import pickle
import struct

import pytest
import torch

from labkit.check import plain
from labkit.check.handle import Handle
from labkit.i18n import language


def _message(tree, table=(), blob=b"") -> bytes:
    head = json.dumps({"v": tree, "t": list(table)}).encode()
    return struct.pack("<4sI", plain.MAGIC, len(head)) + head + blob


def _nested(depth: int):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


def test_every_kind_of_plain_value_comes_back_as_it_was():
    values = [None, True, 3, -2**80, 2.5, float("inf"), 1 + 2j, "héllo", b"\x00\xff",
              torch.float16, torch.device("cpu"), (1, [2, {"a": 3, 4: (5,)}]),
              torch.tensor(3.0), torch.arange(6).reshape(2, 3), torch.tensor([True, False]),
              torch.randn(2, 2, dtype=torch.complex64), torch.randn(3, dtype=torch.bfloat16),
              torch.empty(0, 3)]
    back = plain.decode(plain.encode(("ok", values)), host=None)[1]
    for sent, got in zip(values, back, strict=True):
        assert type(got) is type(sent)
        if isinstance(sent, torch.Tensor):
            assert got.dtype == sent.dtype and got.shape == sent.shape
            assert torch.equal(got, sent)
        else:
            assert got == sent
    nan = plain.decode(plain.encode(float("nan")), host=None)
    assert nan != nan


def test_a_marker_becomes_a_handle_of_the_host():
    value = plain.decode(plain.encode({plain.MARKER: 7, "type": "Net"}), host="the host")
    assert type(value) is Handle


def test_a_pickle_is_forged_not_loaded():
    """A 1 kB pickle whose memo shares one list into 2**24 leaves is refused unread."""
    bomb = []
    for _ in range(24):
        bomb = [bomb, bomb]
    data = pickle.dumps(("ok", bomb), protocol=2)
    assert len(data) < 1500
    with pytest.raises(plain.Forged, match="does not start like"):
        plain.decode(data, host=None)


@pytest.mark.parametrize("data, words", [
    (b"LKP1", "too short"),
    (_message([0] * (plain.MAX_VALUES + 1)), "more values"),
    (struct.pack("<4sI", plain.MAGIC, 100) + b"[" * 100, "nested too deeply|not valid"),
    (plain.MAGIC + struct.pack("<I", 1_000_000) + b"[[[", "wrong length"),
    (_message(_nested(plain.MAX_DEPTH + 5)), "nested deeper"),
    (_message({"$": "tensor", "i": 0}, [["float32", [2**13, 2**13, 2**13], 0, 0]]),
     "more tensor elements"),
    (_message({"$": "tensor", "i": 0}, [["float32", [4], 0, 8]], b"\0" * 8), "byte count"),
    (_message([{"$": "tensor", "i": 0}, {"$": "tensor", "i": 0}], [["uint8", [1], 0, 1]],
              b"\0"), "does not hold"),
    (_message({"$": "tensor", "i": 0}, [["qint8", [1], 0, 1]], b"\0"), "table"),
    (_message({"$": "pickle", "v": "x"}), "unknown kind"),
    (_message({"$": "dtype", "v": "not_a_dtype"}), "malformed dtype"),
    (_message({"$": "dict", "k": [[1]], "v": [1]}), "malformed container"),
])
def test_malformed_or_forged_bytes_are_forged(data, words):
    with pytest.raises(plain.Forged, match=words):
        plain.decode(data, host=None)


def test_a_deep_json_bomb_is_forged_without_recursing():
    head = b'{"v":' + b"[" * 100_000 + b"]" * 100_000 + b',"t":[]}'
    data = struct.pack("<4sI", plain.MAGIC, len(head)) + head
    with pytest.raises(plain.Forged, match="nested too deeply"):
        plain.decode(data, host=None)


@pytest.mark.parametrize("value, words", [
    (torch.eye(3).to_sparse(), "sparse_coo"),
    (torch.empty(3, device="meta"), "`meta` device"),
    (torch.ones(2, dtype=torch.float8_e4m3fn), "float8_e4m3fn"),
    (torch.zeros(1).expand(plain.MAX_ELEMENTS + 1), "numbers in tensors"),
    ([0] * (plain.MAX_VALUES + 1), "values"),
])
def test_values_a_check_cannot_receive_are_refused_with_what_to_return(value, words):
    with pytest.raises(plain.Refused, match=words):
        plain.export(value, keep=lambda obj: 1)
    with pytest.raises(plain.Refused, match=words):
        plain.encode(value)


def test_a_quantized_answer_is_refused():
    with pytest.warns(UserWarning):  # quantized tensors are themselves deprecated
        value = torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8)
    with pytest.raises(plain.Refused, match="dequantize"):
        plain.export(value, keep=lambda obj: 1)


def test_a_list_that_holds_itself_is_refused_not_followed():
    loop = []
    loop.append(loop)
    with pytest.raises(plain.Refused, match="levels deep"):
        plain.export(loop, keep=lambda obj: 1)


def test_shared_lists_are_counted_each_time_they_appear():
    shared = []
    for _ in range(30):
        shared = [shared, shared]
    with pytest.raises(plain.Refused):
        plain.encode(shared)


def test_a_refusal_speaks_the_learners_language():
    with pytest.raises(plain.Refused) as caught:
        plain.export(torch.eye(2).to_sparse(), keep=lambda obj: 1)
    with language("zh"):
        chinese = caught.value.reason
    assert "`.to_dense()`" in chinese and any("\u4e00" <= c <= "\u9fff" for c in chinese)
    assert issubclass(plain.TooLarge, plain.Refused)
