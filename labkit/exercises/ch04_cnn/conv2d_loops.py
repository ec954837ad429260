"""Exercise: convolution written with loops over the output positions."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.check import Exercise, expect
from labkit.check.describe import shape_text
from labkit.i18n import N_, _

# F.conv2d, torch.convolution, nn.Conv2d, unfold and as_strided, however they are reached.
RULED_OUT = {"rule_out": ("convolution",),
             "rule_text": N_("your own loops, without PyTorch's convolution or unfold")}


class Conv2dLoops(Exercise):
    name = "conv2d_loops"
    title = N_("Convolution with two loops")
    hints = (
        N_("The output has `H - kH + 1` rows and `W - kW + 1` columns. Loop over them; "
           "output[i, j] is the sum of the image patch at (i, j) times the kernel."),
        N_("`patch = image[i:i + kH, j:j + kW]`, then `out[i, j] = (patch * kernel).sum()`. "
           "Do not flip the kernel: PyTorch computes cross-correlation."),
    )
    solution = '''\
def conv2d_loops(image, kernel):
    H, W = image.shape
    kH, kW = kernel.shape
    out = torch.zeros(H - kH + 1, W - kW + 1)
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum()
    return out'''

    def check(self, conv2d_loops):
        cases = [
            (torch.arange(9.0).reshape(3, 3), torch.tensor([[1.0, 0.0], [0.0, -1.0]])),
            (self.randn(5, 6), self.randn(2, 3)),  # a kernel that is not square
            (self.randn(4, 4), self.randn(4, 4)),  # the kernel covers the whole image
            (self.randn(int(self.randint(6, 10)), int(self.randint(6, 10))), self.randn(3, 3)),
            (self.randn(1, 5), self.randn(1, 2)),  # one row
        ]
        for image, kernel in cases:
            during = _("`conv2d_loops(image, kernel)` with an image of shape {image_shape} "
                       "and a kernel of shape {kernel_shape}").format(
                           image_shape=shape_text(image.shape),
                           kernel_shape=shape_text(kernel.shape))
            found = self.call(conv2d_loops, image, kernel, during=during, **RULED_OUT)
            expected = F.conv2d(image[None, None], kernel[None, None])[0, 0]  # (H', W')
            flipped = F.conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]
            hint = None
            if (isinstance(found, torch.Tensor) and found.shape == expected.shape
                    and not torch.allclose(expected, flipped, atol=1e-4)
                    and torch.allclose(found.float(), flipped, atol=1e-4)):
                hint = _("Your result is the textbook convolution with the kernel flipped; "
                         "`F.conv2d` does not flip it: use `kernel[m, n]` as it is.")
            expect.close(found, expected, subject=during, atol=1e-4,
                         hint=hint or _("Compare with `F.conv2d(image[None, None], "
                                        "kernel[None, None])[0, 0]` on a small example."))
        # The loops the exercise asks for: work that grows with the output positions, for
        # a fixed kernel (a loop over the kernel's entries alone does not grow).
        self.loops(conv2d_loops, lambda n: (self.randn(n + 2, n + 3), self.randn(3, 2)),
                   during="`conv2d_loops(image, kernel)`", rule_out=RULED_OUT["rule_out"],
                   hint=self.hints[0])
