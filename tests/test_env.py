"""Device choice, seeding and the environment report."""

import random

import numpy as np
import pytest
import torch

from labkit import env


def test_pick_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert env.pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert env.pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.pick_device() == torch.device("cuda")


def test_seed_everything_seeds_python_numpy_and_torch():
    env.seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    env.seed_everything(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_seed_everything_rejects_non_integers():
    with pytest.raises(TypeError, match="seed must be an int"):
        env.seed_everything("3")


def test_report_reads_without_writing(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path / "nothing-here"))
    rows = dict(env.report())
    assert rows["PyTorch"] == torch.__version__
    assert "not on disk yet" in rows["MNIST"]
    assert not (tmp_path / "nothing-here").exists()
    text = env.format_report(list(rows.items()))
    assert text.splitlines()[0].startswith("Python")
