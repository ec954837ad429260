"""Exercises: a convolution layer's parameter count and output size, from the formulas."""

from __future__ import annotations

import torch
from torch import nn

from labkit.check import Exercise, expect
from labkit.i18n import N_, _


class ConvParams(Exercise):
    name = "conv_params"
    title = N_("Parameters of a convolution layer")
    hints = (
        N_("Each output channel has one kernel of size `kernel_size x kernel_size` for every "
           "input channel, plus one bias."),
        N_("`out_channels * in_channels * kernel_size ** 2`, plus `out_channels` with a bias."),
    )
    solution = '''\
def conv_params(in_channels, out_channels, kernel_size, bias=True):
    weights = out_channels * in_channels * kernel_size * kernel_size
    return weights + (out_channels if bias else 0)'''

    def check(self, conv_params):
        cases = [(1, 6, 5, True), (6, 16, 5, True), (3, 32, 3, False)]
        cases.append((int(self.randint(1, 65)), int(self.randint(1, 65)),
                      int(self.randint(1, 8)), bool(self.randint(0, 2))))
        for c_in, c_out, k, bias in cases:
            layer = nn.Conv2d(c_in, c_out, k, bias=bias)
            reference = sum(p.numel() for p in layer.parameters())
            call = f"conv_params({c_in}, {c_out}, {k}, bias={bias})"
            found = self.call(conv_params, c_in, c_out, k, bias=bias, during=f"`{call}`",
                              rule_out=("convolution",),
                              rule_text=N_("the count from the shapes, without building "
                                           "the layer"))
            expect.equal(found, reference, name=call,
                         hint=None if bias else _("With `bias=False` the layer has no bias."))


class ConvOutputSize(Exercise):
    name = "conv_output_size"
    title = N_("The output size of a convolution")
    hints = (
        N_("A dilated kernel spans `dilation * (kernel_size - 1) + 1` pixels; padding adds "
           "`padding` pixels on both sides."),
        N_("`(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1`: `//` "
           "rounds down, as PyTorch does."),
    )
    solution = '''\
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1'''

    def check(self, conv_output_size):
        cases = [
            (28, 5, 1, 0, 1), (28, 3, 1, 1, 1), (32, 3, 2, 1, 1), (28, 3, 1, 0, 2),
            (7, 3, 2, 0, 1), (10, 4, 3, 2, 2),
            # (size + 2p - d(k - 1) - 1) / stride has a fraction above one half here, so
            # round() and // differ: 8 / 3, 7 / 4, 5 / 3.
            (11, 3, 3, 0, 1), (9, 2, 4, 0, 1), (6, 3, 3, 1, 1),
            (8, 1, 1, 2, 1),  # more padding than half the kernel: the output grows
        ]
        for _case in range(3):
            kernel = int(self.randint(1, 6))
            dilation = int(self.randint(1, 4))
            size = int(self.randint(dilation * (kernel - 1) + 1, 40))
            cases.append((size, kernel, int(self.randint(1, 4)), int(self.randint(0, 3)),
                          dilation))
        for size, kernel, stride, padding, dilation in cases:
            call = (f"conv_output_size({size}, kernel_size={kernel}, stride={stride}, "
                    f"padding={padding}, dilation={dilation})")
            found = self.call(conv_output_size, size, kernel_size=kernel, stride=stride,
                              padding=padding, dilation=dilation, during=f"`{call}`",
                              rule_out=("convolution",),
                              rule_text=N_("the formula, without running a convolution"))
            expect.is_type(found, int, name=call,
                           hint=_("Round down with `//` (floor division) to get an `int`."))
            layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
            reference = layer(torch.zeros(1, 1, size, size)).shape[-1]  # what PyTorch does
            expect.equal(found, reference, name=call,
                         hint=_("PyTorch rounds the division by the stride down (`//`), "
                                "never up or to the nearest whole number."))
