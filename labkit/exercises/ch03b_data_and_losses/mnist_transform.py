"""Exercise: spot the bug, an MNIST loader without a transform."""

from __future__ import annotations

import torch

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.i18n import N_, _

# No gradients needed; the image handed over must stay as it was (see transform_probe).
CONTRACT = Contract(no_grad=True)


def transform_probe(transform, pixels: list, spec: dict) -> dict:
    """Each ``(H, W)`` uint8 tensor of ``pixels`` as a grey PIL image (what MNIST stores),
    passed through the learner's ``transform`` by ``probes.guarded``; then the batch a
    ``DataLoader`` would make of all but the first (the images of one size), or the error
    it raises. A PIL image is not a tensor, so its bytes are compared here."""
    from PIL import Image
    from torch.utils.data import default_collate

    replies = []
    for p in pixels:
        image = Image.fromarray(p.numpy(), mode="L")
        before = image.tobytes()
        reply = probes.guarded(transform, (image,), {}, spec)[0]
        if image.tobytes() != before:
            reply["report"]["changed"].append(("image", "values"))
        replies.append(reply)
    out = {"replies": replies}
    try:
        out["batch"] = default_collate([(r["value"], 0) for r in replies[1:]])[0]
    except (TypeError, RuntimeError) as err:
        out["collate_error"] = f"{type(err).__name__}: {err}"
    return out


class MnistTransform(Exercise):
    name = "mnist_transform"
    title = N_("Spot the bug: an MNIST loader without a transform")
    hints = (
        N_("The dataset hands out PIL images, and the `DataLoader` can only stack tensors, "
           "numbers and containers of them into a batch."),
        N_("Pass a transform that turns the image into a float tensor in [0, 1]: "
           "`transforms.ToTensor()`, or in transforms v2 `v2.Compose([v2.ToImage(), "
           "v2.ToDtype(torch.float32, scale=True)])`."),
    )
    solution = '''\
from torchvision.transforms import v2

mnist_transform = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])'''

    def check(self, mnist_transform):
        if mnist_transform is None:
            raise NotAttempted(_(
                "`mnist_transform` is still `None`, as in the seed text: the dataset then "
                "hands out PIL images, which the `DataLoader` cannot put in a batch. Set a "
                "transform, run the cell, then check again."))
        # A small image of a size drawn here (a transform that assumes 28×28 fails), its
        # corners at 0 and 255; then two MNIST-sized ones, batched together.
        height, width = int(self.randint(2, 6)), int(self.randint(2, 7))
        small = self.randint(0, 256, height, width).to(torch.uint8)
        small[0, 0], small[-1, -1] = 0, 255
        pixels = [small, self.randint(0, 256, 28, 28).to(torch.uint8),
                  self.randint(0, 256, 28, 28).to(torch.uint8)]
        during = _("`mnist_transform(image)` for grey PIL images (one of {height}×{width} "
                   "pixels, two of 28×28), then batching the results as a `DataLoader` "
                   "does").format(height=height, width=width)
        reply = self.probe(transform_probe, mnist_transform, pixels, CONTRACT.spec(),
                           during=during)
        hint = _("MNIST pixels are 0..255; the model expects a float tensor of shape "
                 "(1, H, W) with values in [0, 1]: `transforms.ToTensor()` or "
                 "`v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`.")
        for p, step in zip(pixels, reply["replies"], strict=True):
            item = CONTRACT.judge(step, during)
            expected = p.to(torch.float32).div(255).unsqueeze(0)  # (1, H, W) in [0, 1]
            subject = _("`mnist_transform(image)` for an image of {height}×{width} "
                        "pixels").format(height=p.shape[0], width=p.shape[1])
            expect.close(item, expected, subject=subject, atol=1e-6, hint=hint)
        expect.that("collate_error" not in reply,
                    checked=_("batching the transformed images"),
                    expected=_("a batch tensor"), found=reply.get("collate_error", ""))
