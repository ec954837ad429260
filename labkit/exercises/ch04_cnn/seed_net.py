"""Exercise: spot the bug, the flatten size of a network from a seed text."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe, shape_text
from labkit.check.signals import LearnerError
from labkit.exercises.ch04_cnn.calls import error_of, forward, short
from labkit.i18n import N_, _

CONTRACT = Contract(no_grad=True)


class GivenSeedNet(nn.Module):
    """The network of the seed text, exactly as the notebook gives it (flatten size wrong)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def _by_shape(state: dict, test) -> torch.Tensor | None:
    for value in state.values():
        if test(tuple(value.shape)):
            return value
    return None


def seed_net_reference(state: dict, x: torch.Tensor) -> torch.Tensor | None:
    """The seed network's computation from the learner's own weights, or None when they
    do not have the shapes of a fixed seed network. The pooling is whatever makes the
    learner's fc1 fit: 2 x 2 (fc1 takes 64 * 12 * 12) or 4 x 4 (64 * 6 * 6)."""
    conv1_w = _by_shape(state, lambda s: s == (32, 1, 3, 3))
    conv1_b = _by_shape(state, lambda s: s == (32,))
    conv2_w = _by_shape(state, lambda s: s == (64, 32, 3, 3))
    conv2_b = _by_shape(state, lambda s: s == (64,))
    fc1_w = _by_shape(state, lambda s: len(s) == 2 and s[0] == 128)
    fc1_b = _by_shape(state, lambda s: s == (128,))
    fc2_w = _by_shape(state, lambda s: s == (10, 128))
    fc2_b = _by_shape(state, lambda s: s == (10,))
    weights = [conv1_w, conv1_b, conv2_w, conv2_b, fc1_w, fc1_b, fc2_w, fc2_b]
    pools = {64 * 12 * 12: 2, 64 * 6 * 6: 4}
    if any(w is None for w in weights) or fc1_w.shape[1] not in pools:
        return None
    h = F.relu(F.conv2d(F.relu(F.conv2d(x, conv1_w, conv1_b)), conv2_w, conv2_b))
    h = torch.flatten(F.max_pool2d(h, pools[fc1_w.shape[1]]), 1)
    return F.linear(F.relu(F.linear(h, fc1_w, fc1_b)), fc2_w, fc2_b)


class SeedNet(Exercise):
    name = "seed_net"
    title = N_("Spot the bug: the flatten size")
    hints = (
        N_("Print `x.shape` right before `self.fc1`: `in_features` must equal the number of "
           "values per image there."),
        N_("28 -> 26 -> 24 after two 3 x 3 convolutions, 12 after the pooling: "
           "`nn.Linear(64 * 12 * 12, 128)`."),
    )
    solution = '''\
class SeedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)  # was 64 * 6 * 6
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)'''

    def check(self, SeedNet):  # noqa: N803 - the learner's class name
        net = self.call(SeedNet, during="`SeedNet()`")
        expect.that(self.is_instance(net, nn.Module), checked=_("the type of `SeedNet()`"),
                    expected=_("an `nn.Module`"), found=describe(net))
        # Batch sizes of 1, 2, a few and more than 8: a size fixed in the code fails.
        for batch in (2, 1, int(self.randint(3, 7)), int(self.randint(9, 17))):
            x = self.randn(batch, 1, 28, 28)  # (B, 1, 28, 28): a batch of MNIST-sized images
            during = _("`SeedNet()(x)` with x of shape {shape}").format(
                shape=shape_text(x.shape))
            given = error_of(GivenSeedNet(), x)
            try:
                reply = self.probe(forward, net, x, CONTRACT.spec(), during=during)
            except LearnerError as signal:
                if signal.same_error(given):
                    raise NotAttempted(_(
                        "`SeedNet` still fails like the given code, with {error}. "
                        "Fix the bug, run the cell, then check again.").format(
                            error=short(given))) from None
                raise
            out = CONTRACT.judge(reply, during)
            expect.tensor(out, name="SeedNet()(x)", shape=(batch, 10),
                          hint=_("One row of 10 class scores per image: flatten with "
                                 "`torch.flatten(x, 1)`, never with `view(-1, ...)`."))
        x = x[:5]
        single_during = _("`SeedNet()(x[:1])` in eval mode")
        single = CONTRACT.judge(self.probe(forward, net, x[:1], CONTRACT.spec(), True,
                                           during=single_during), single_during)  # (1, 10)
        during = _("`SeedNet()(x)` in eval mode, x of shape {shape}").format(
            shape=shape_text(x.shape))
        together = CONTRACT.judge(self.probe(forward, net, x, CONTRACT.spec(), True,
                                             during=during), during)  # (B, 10)
        expect.close(single, together[:1], name="SeedNet()(x[:1])", atol=1e-4,
                     hint=_("The scores of an image alone must equal its scores inside the "
                            "batch: they must not depend on the other images."))
        self._every_layer_used(net, x)
        state = self.probe(probes.state, net, during=_("reading the weights of `SeedNet()`"))
        expected = seed_net_reference(state, x)
        expect.that(expected is not None, checked=_("the layers of `SeedNet()`"),
                    expected=_("the given layers: conv1 (1 -> 32), conv2 (32 -> 64), both "
                               "3 x 3, fc1 (-> 128) and fc2 (128 -> 10)"),
                    found=_("other layers"),
                    hint=_("Fix the flatten size only; keep the rest of the network."))
        expect.close(together, expected, name="SeedNet()(x)", atol=1e-3, rtol=1e-2,  # TF32
                     hint=_("The check recomputes the given network from your weights: "
                            "conv1, ReLU, conv2, ReLU, max pooling, flatten, fc1, ReLU, fc2. "
                            "Change only what makes the sizes fit."))

    def _every_layer_used(self, net, x) -> None:
        """Structure by behaviour: nudging any layer's weights must move the output."""
        layers = self.probe(probes.layers_in_use, net, x,
                            during=_("`SeedNet()(x)` with one layer's weights nudged"))
        idle = [layer for layer in layers if not layer["used"]]
        expect.that(not idle, checked=_("which layers of `SeedNet()` its output depends on"),
                    expected=_("every layer it builds: conv1, conv2, fc1 and fc2"),
                    found=_("`{name}` ({type}), built but never changing the output").format(
                        name=idle[0]["name"], type=idle[0]["type"]) if idle else "",
                    hint=_("Fix the flatten size only: every layer of the given network "
                           "stays in use."))
