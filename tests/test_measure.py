"""labkit.measure: latency measured properly, threads restored, sizes on disk."""

import time

import pytest
import torch

from labkit.measure import (
    Latency,
    all_threads,
    file_bytes,
    latencies,
    latency,
    torch_threads,
)


def test_latency_warms_up_then_times_each_run():
    """Are warm-up calls left out of the timings, and is the median reported?"""
    calls = []

    def fn():
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.05)  # a slow first call, as when memory is first allocated

    timing = latency(fn, warmup=1, runs=5)
    assert len(calls) == 6
    assert isinstance(timing, Latency) and timing.runs == 5
    assert timing.min_ms <= timing.median_ms <= timing.max_ms < 50
    assert "median of 5" in str(timing)


def test_latency_runs_without_gradients():
    """Does a model called inside latency() record no autograd graph?"""
    seen = []
    layer = torch.nn.Linear(3, 2)
    latency(lambda x: seen.append(layer(x).requires_grad), torch.ones(1, 3), warmup=0, runs=2)
    assert seen == [False, False]


def test_threads_are_restored_even_after_an_error():
    """Does torch_threads put the thread count back, also when the block raises?"""
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    latency(lambda: None, runs=1, threads=1)
    assert torch.get_num_threads() == before
    assert all_threads() >= 1


@pytest.mark.parametrize("bad", [{"runs": 0}, {"warmup": -1}, {"threads": 0}])
def test_bad_settings_name_the_value(bad):
    with pytest.raises(ValueError, match=str(list(bad.values())[0])):
        latency(lambda: None, **bad)


def test_latencies_take_turns_and_time_each_call_runs_times():
    """Does latencies() warm each call up, time each `runs` times in alternating turns?"""
    order = []
    found = latencies({"a": (order.append, "a"), "b": (order.append, "b")},
                      warmup=1, runs=4, rounds=2)
    assert order == ["a", "b", "a", "a", "b", "b", "b", "b", "a", "a"]
    assert list(found) == ["a", "b"] and all(t.runs == 4 for t in found.values())
    with pytest.raises(ValueError, match="rounds"):
        latencies({"a": (order.append, 1)}, rounds=0)
    with pytest.raises(ValueError, match="tuple"):
        latencies({"a": order.append})


def test_file_bytes_counts_onnx_external_data_and_folders(tmp_path):
    """Does file_bytes add model.onnx.data to model.onnx, and sum a folder?"""
    (tmp_path / "model.onnx").write_bytes(b"x" * 10)
    (tmp_path / "model.onnx.data").write_bytes(b"x" * 90)
    assert file_bytes(tmp_path / "model.onnx") == 100
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bin").write_bytes(b"x" * 7)
    assert file_bytes(tmp_path) == 107
    with pytest.raises(FileNotFoundError, match="save the model first"):
        file_bytes(tmp_path / "missing.pt")
