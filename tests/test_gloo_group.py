"""Does run_in_group run a function on every rank of a real gloo group, and report failures?"""

import time

import pytest
import torch

from labkit import gloo_group


def _all_reduce_rank(rank, world_size):
    import torch.distributed as dist

    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value)
    return {"rank": rank, "world_size": world_size, "sum": value}


def _call_shipped(rank, world_size, packed):
    return gloo_group.unship(packed)(rank)


def double_rank(rank):
    return torch.tensor([2.0 * rank]) + dist.get_world_size()  # noqa: F821 - `dist` is given


def fails_on_rank_one(rank):
    if rank == 1:
        raise ValueError("rank one says no")
    return torch.zeros(1)


def stub(rank):
    raise NotImplementedError()


def test_every_rank_runs_and_all_reduce_sums():
    """Do both ranks join one group, in rank order?"""
    results = gloo_group.run_in_group(_all_reduce_rank, world_size=2, timeout=120)
    assert [r["rank"] for r in results] == [0, 1]
    assert all(r["world_size"] == 2 and r["sum"].item() == 3.0 for r in results)


def test_source_text_runs_with_dist_defined():
    """Does a function shipped as source text see `dist` (as a notebook function would)?"""
    packed = gloo_group.ship(double_rank)
    assert packed[0] == "source"
    results = gloo_group.run_in_group(_call_shipped, (packed,), world_size=2, timeout=120)
    assert [r.item() for r in results] == [2.0, 4.0]


def test_a_failing_rank_is_named():
    """Is an error reported with its rank, type and message?"""
    with pytest.raises(gloo_group.GroupError) as caught:
        gloo_group.run_in_group(_call_shipped, (gloo_group.ship(fails_on_rank_one),),
                                world_size=2, timeout=120)
    assert caught.value.rank == 1
    assert caught.value.type_name == "ValueError"
    assert "rank one says no" in str(caught.value)
    assert not caught.value.stub


def test_stub_error_is_marked():
    """Is a bare NotImplementedError marked as the untouched stub?"""
    with pytest.raises(gloo_group.GroupError) as caught:
        gloo_group.run_in_group(_call_shipped, (gloo_group.ship(stub),), world_size=2,
                                timeout=120)
    assert caught.value.stub


def only_rank_zero_reduces(rank):
    if rank == 0:
        dist.all_reduce(torch.ones(1))  # noqa: F821 - rank 1 never joins: a deadlock
    return torch.zeros(1)


def test_a_deadlock_ends_with_a_timeout():
    """Does a collective that one rank never calls end in a clear error, not a hang?"""
    start = time.monotonic()
    with pytest.raises(gloo_group.GroupError, match="same collectives"):
        gloo_group.run_in_group(_call_shipped, (gloo_group.ship(only_rank_zero_reduces),),
                                world_size=2, timeout=6)
    assert time.monotonic() - start < 20


def test_lambda_cannot_be_shipped():
    """Is a lambda refused with a message that says what to do?"""
    with pytest.raises(ValueError, match="define a function"):
        gloo_group.ship(lambda rank: rank)
