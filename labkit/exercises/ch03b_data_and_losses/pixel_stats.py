"""Exercise: the mean and standard deviation of every pixel a loader serves, batch by batch."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect
from labkit.i18n import N_, _


def reference(batches) -> tuple[float, float]:
    pixels = torch.cat([images.flatten().double() for images, _labels in batches])
    return pixels.mean().item(), pixels.std().item()


class PixelStats(Exercise):
    name = "pixel_stats"
    title = N_("The mean and standard deviation of a dataset, batch by batch")
    hints = (
        N_("Batches can have different sizes, so an average of the batches' means is not "
           "the mean of all pixels: add up the pixel values and count the pixels instead."),
        N_("Keep three running totals over the batches: the count `n`, the sum of `x` and "
           "the sum of `x ** 2`. Then `mean = sum / n` and "
           "`std = (sum_sq / n - mean ** 2) ** 0.5`."),
    )
    solution = '''\
def pixel_stats(loader):
    n, total, total_sq = 0, 0.0, 0.0
    for images, _ in loader:  # images (B, C, H, W)
        x = images.double()  # float64: long sums of float32 lose digits
        n += x.numel()
        total += x.sum().item()
        total_sq += (x**2).sum().item()
    mean = total / n
    return mean, (total_sq / n - mean**2) ** 0.5'''

    def check(self, pixel_stats):
        side = int(self.pick([8, 12]))
        shift = float(self.randint(2, 6))
        uneven = [  # batch sizes and brightness differ, so the batches' own means mislead
            (self.randn(16, 1, side, side) * 0.5 + shift, self.randint(0, 10, 16)),
            (self.randn(3, 1, side, side) * 2.0 - shift, self.randint(0, 10, 3)),
            (self.randn(41, 1, side, side), self.randint(0, 10, 41)),
        ]
        colour = [(self.randn(25, 3, side, side, dtype=torch.float64) + 1.0,
                   self.randint(0, 10, 25))]
        single = [(self.randn(1, 1, 70, 70) * 3.0 + shift, self.randint(0, 10, 1))]
        for batches, what in [(uneven, _("three batches of 16, 3 and 41 grey images")),
                              (colour, _("one batch of 25 colour images in float64")),
                              (single, _("one batch of a single image"))]:
            during = _("`pixel_stats(loader)` for a loader of {what}").format(what=what)
            found = self.call(pixel_stats, batches, during=during)
            expect.is_type(found, (tuple, list), name="pixel_stats(loader)",
                           hint=_("Return the two numbers as a pair: `return mean, std`."))
            expect.equal(len(found), 2, subject=_("the number of values `pixel_stats(loader)` "
                                               "returns"))
            mean, std = reference(batches)
            hint = _("Every pixel of every batch counts once, whatever the batch sizes.")
            expect.close(found[0], mean, subject=_("the mean from `pixel_stats(loader)`"),
                         atol=1e-4, rtol=1e-3, hint=hint)
            expect.close(found[1], std, subject=_("the standard deviation from "
                                               "`pixel_stats(loader)`"),
                         atol=1e-4, rtol=1e-3, hint=hint)
