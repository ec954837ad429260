"""Exercise: the indices each rank gets from ``DistributedSampler``, worked out."""

from __future__ import annotations

import operator

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.i18n import N_, _

CONTRACT = Contract()


def reference_shard(n: int, rank: int, world_size: int) -> list[int]:
    from torch.utils.data.distributed import DistributedSampler

    return list(DistributedSampler(range(n), num_replicas=world_size, rank=rank,
                                   shuffle=False))


def index_list(shard_indices, n, rank, world_size, spec: dict) -> dict:
    """``shard_indices(n, rank, world_size)``, guarded; its answer as a list of ints, or
    the name of its type. A list, tuple, range or 1-D integer tensor of integers counts
    as a list."""
    reply, _args, result = probes.guarded(shard_indices, (n, rank, world_size), {}, spec)
    if "value" in reply:
        reply["value"] = _as_list(result)
    return reply


def _as_list(result) -> dict:
    if isinstance(result, torch.Tensor) and result.dim() == 1 \
            and not result.is_floating_point() and result.dtype != torch.bool:
        return {"indices": result.tolist()}
    if isinstance(result, (list, tuple, range)):
        values = [_as_int(i) for i in result]
        if None not in values:
            return {"indices": values}
        odd = type(list(result)[values.index(None)]).__name__
        return {"type": type(result).__name__, "item": odd}
    return {"type": type(result).__name__}


def _as_int(value):
    """``value`` as an int when it is one (Python, NumPy or a 0-d integer tensor)."""
    if isinstance(value, (bool, float)):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


class ShardIndices(Exercise):
    name = "shard_indices"
    title = N_("Which examples each rank gets")
    hints = (
        N_("Every rank gets `num_samples = math.ceil(n / world_size)` indices. Pad "
           "`list(range(n))` to `num_samples * world_size` by repeating it from the start, "
           "then rank `r` takes every `world_size`-th index starting at `r`."),
        N_("`indices = list(range(n)); total = math.ceil(n / world_size) * world_size; "
           "indices = (indices * math.ceil(total / n))[:total]; "
           "return indices[rank::world_size]`"),
    )
    solution = '''\
def shard_indices(n, rank, world_size):
    num_samples = math.ceil(n / world_size)        # the same for every rank
    total = num_samples * world_size
    indices = list(range(n))
    indices = (indices * math.ceil(total / n))[:total]  # pad by repeating from the start
    return indices[rank:total:world_size]          # every world_size-th, from rank'''

    def check(self, shard_indices):
        n_random = int(self.randint(5, 40, 1))
        w_random = int(self.randint(2, 6, 1))
        cases = [(10, 3), (7, 4), (16, 4), (3, 5), (1, 1), (2, 7), (n_random, w_random)]
        for n, world_size in cases:
            for rank in range(world_size):
                call = f"shard_indices({n}, rank={rank}, world_size={world_size})"
                during = f"`{call}`"
                answer = CONTRACT.judge(self.probe(index_list, shard_indices, n, rank,
                                                   world_size, CONTRACT.spec(), during=during),
                                        during)
                if "item" in answer:
                    kind = _("a `{type}` holding a `{item}`").format(type=answer["type"],
                                                                      item=answer["item"])
                else:
                    kind = _("a `{type}`").format(type=answer.get("type"))
                expect.that("indices" in answer,
                            checked=_("the type of `{call}`").format(call=call),
                            expected=_("a list of integers"), found=kind, hint=self.hints[0])
                found = answer["indices"]
                expected = reference_shard(n, rank, world_size)
                if found == expected:
                    continue
                if len(found) != len(expected):
                    expect.that(False,
                                checked=_("the number of indices of `{call}`").format(call=call),
                                expected=_("{count} = ceil({n} / {world_size}), the same on "
                                           "every rank (padding repeats indices from the "
                                           "start)").format(count=len(expected), n=n,
                                                            world_size=world_size),
                                found=f"{len(found)}", hint=self.hints[0])
                expect.that(False, checked=f"`{call}`", expected=f"{expected}",
                            found=f"{found}",
                            hint=_("`DistributedSampler` deals indices out like cards: rank r "
                                   "gets r, r + world_size, r + 2 * world_size, ..."))
