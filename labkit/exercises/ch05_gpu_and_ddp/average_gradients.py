"""Exercise: average the gradients across ranks with ``all_reduce``, in a gloo group."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from labkit import gloo_group
from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.check.host import NotCallable
from labkit.check.signals import LearnerError, is_stub_error
from labkit.i18n import N_, _

# The function averages the model's gradients in place: the model is written to.
CONTRACT = Contract(writes=(0,))


def _ddp_model() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))


def _rank_gradients(rank, world_size, packed, state, x, y, spec):
    """On one rank: its shard's gradients, then the learner's averaging, guarded."""
    fn = gloo_group.unship(packed)
    model = _ddp_model()
    model.load_state_dict(state)
    shard = slice(rank * len(x) // world_size, (rank + 1) * len(x) // world_size)
    F.cross_entropy(model(x[shard]), y[shard]).backward()
    reply, _args, _value = probes.guarded(fn, (model,), {}, spec)
    reply["value"] = None
    reply["grads"] = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    return reply


def average_in_group(average_gradients, state, x, y, world_size: int, spec: dict) -> list:
    """Run ``average_gradients`` in a gloo group of ``world_size`` processes; each rank's
    guarded reply with its gradients."""
    if not callable(average_gradients):
        raise NotCallable(type(average_gradients).__name__)
    tiny = nn.Linear(2, 1)
    tiny(torch.ones(1, 2)).sum().backward()
    try:  # the untouched stub says so at once, without starting any process
        probes.guarded(average_gradients, (tiny,), {}, spec)
    except NotImplementedError as err:
        if is_stub_error(err):
            raise
    except Exception:  # noqa: BLE001, S110 - no process group here; the real run follows
        pass
    try:
        packed = gloo_group.ship(average_gradients)
    except ValueError as err:
        raise LearnerError("ValueError", str(err), "",
                           _("preparing the check on several processes")) from None
    try:
        return gloo_group.run_in_group(_rank_gradients, (packed, state, x, y, spec),
                                       world_size=world_size, timeout=30,
                                       collective_timeout=10)
    except gloo_group.GroupError as err:
        if err.stub:
            raise NotAttempted(_("`average_gradients` still raises NotImplementedError. Write "
                                 "your answer where it says `# YOUR CODE HERE`.")) from None
        where = (_("rank {rank}: {where}").format(rank=err.rank, where=err.where)
                 if err.rank is not None else err.where)
        message = str(err)
        # A rank that never calls the collective either leaves the others waiting (a
        # timeout) or ends first, and gloo then reports the closed connection instead.
        peer_gone = any(words in message for words in (
            "Connection closed by peer", "remote worker", "Connection reset"))
        if "Timed out" in message or err.type_name == "TimeoutError" or peer_gone:
            message = _("a collective operation waited in vain for the other rank. Every "
                        "rank must call the same collectives (`all_reduce`, ...) in the same "
                        "order.")
        raise LearnerError(err.type_name, message, where,
                           _("`average_gradients(model)` on {count} processes").format(
                               count=world_size)) from None


class AverageGradients(Exercise):
    name = "average_gradients"
    title = N_("Average gradients across ranks with all_reduce")
    hints = (
        N_("For every parameter: `dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)` adds the "
           "gradients of all ranks in place, on every rank; then divide by "
           "`dist.get_world_size()`."),
        N_("`all_reduce` works in place on each rank's own tensor: after it, every rank "
           "holds the same sum."),
    )
    solution = '''\
def average_gradients(model):
    world_size = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)   # sum over ranks, in place
            p.grad /= world_size'''

    def check(self, average_gradients):
        torch.manual_seed(self.seed)
        model = _ddp_model()
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        # Two group sizes, drawn: an answer that divides by a number written in (2, 3,
        # or 4) matches at most one of them.
        sizes = [(2, 3, 4)[int(i)] for i in torch.randperm(3, generator=self.rng)[:2]]
        for world_size in sizes:
            x, y = self.randn(4 * world_size, 5), self.randint(0, 3, 4 * world_size)
            model.load_state_dict(state)
            model.zero_grad()
            F.cross_entropy(model(x), y).backward()  # the whole batch in one process
            expected = {name: p.grad.clone() for name, p in model.named_parameters()}
            during = _("`average_gradients(model)` on {world_size} processes (gloo), each "
                       "with its share of the batch").format(world_size=world_size)
            replies = self.probe(average_in_group, average_gradients, state, x, y, world_size,
                                 CONTRACT.spec(), during=during)
            for rank, reply in enumerate(replies):
                CONTRACT.judge(reply, during)
                self._compare(reply["grads"], expected, rank, world_size)

    def _compare(self, grads, expected, rank: int, world_size: int) -> None:
        wrong = {world_size: (_("their sum (the average times the world size)"),
                              _("Divide by the world size after the `all_reduce`."))}
        for fixed in (2, 3, 4):
            if fixed != world_size:
                wrong[world_size / fixed] = (
                    _("their sum divided by {fixed}, not by the world size ({world_size} "
                      "here)").format(fixed=fixed, world_size=world_size),
                    _("Divide by `dist.get_world_size()`, not by a fixed number."))
        for name, grad in expected.items():
            got = grads[name]
            checked = _("`{name}.grad` on rank {rank} after `average_gradients(model)` on "
                        "{world_size} processes").format(name=name, rank=rank,
                                                         world_size=world_size)
            expect.tensor(got, subject=checked, shape=grad.shape)
            if torch.allclose(got, grad, atol=1e-6, rtol=1e-4):
                continue
            for factor, (words, hint) in wrong.items():
                if torch.allclose(got, factor * grad, atol=1e-6, rtol=1e-4):
                    expect.that(False, checked=checked,
                                expected=_("the average of the {world_size} ranks' "
                                           "gradients").format(world_size=world_size),
                                found=words, hint=hint)
            expect.close(got, grad, subject=checked, atol=1e-6, rtol=1e-4,
                         hint=_("Every rank must end with the same gradient: the mean of "
                                "the ranks' gradients, for every parameter."))
