"""Exercise: move a nested batch (dicts, lists, tuples, namedtuples) to a device."""

from __future__ import annotations

from collections import namedtuple

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.exercises.ch05_gpu_and_ddp.batches import first_difference, skeleton
from labkit.i18n import N_, _

# A batch as a detection or text pipeline may give it: a namedtuple of tensors.
Pair = namedtuple("Pair", ["inputs", "targets"], module=__name__)

CONTRACT = Contract()  # a new batch: nothing handed over may change


def moved(to_device, batch, device, spec: dict) -> dict:
    """``to_device(batch, device)``, guarded: the result described as plain data (a
    namedtuple keeps its class name), and whether the input kept its structure."""
    before = skeleton(batch, values=False)
    reply, _args, value = probes.guarded(to_device, (batch, device), {}, spec)
    if "value" in reply:
        reply["value"] = None  # described below: a namedtuple would travel as a tuple
        reply["result"] = skeleton(value, values=True)
        reply["input_unchanged"] = skeleton(batch, values=False) == before
    return reply


def reference_to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: reference_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(type(batch), "_fields"):
        return type(batch)(*(reference_to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(reference_to_device(v, device) for v in batch)
    return batch


class ToDevice(Exercise):
    name = "to_device"
    title = N_("Move a nested batch to a device")
    hints = (
        N_("Look at the type of `batch`: a tensor is moved with `.to(device)`; a dict, list "
           "or tuple is rebuilt with `to_device` applied to each item (recursion); anything "
           "else is returned as it is."),
        N_("`{k: to_device(v, device) for k, v in batch.items()}` for a dict, and "
           "`type(batch)(to_device(v, device) for v in batch)` for a list or tuple. A "
           "namedtuple takes its items one by one: "
           "`type(batch)(*(to_device(v, device) for v in batch))`."),
    )
    solution = '''\
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):   # a namedtuple
        return type(batch)(*(to_device(value, device) for value in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch  # numbers, strings, None: kept as they are'''

    def _batches(self):
        images, labels = self.randn(2, 1, 4, 4), self.randint(0, 10, 2)
        return [
            (N_("a tensor"), self.randn(3)),
            (N_("a dict"), {"image": images, "label": labels, "ids": [3, 7], "name": "batch-0",
                            "weight": 0.5, "extra": None}),
            (N_("an (inputs, targets) tuple"), (images, labels)),
            (N_("a list of nested containers"),
             [(images, labels), {"mask": self.randn(2, 3) > 0,
                                 "lengths": [self.randint(1, 5, 2), self.randn(1)]},
              5, [], {"steps": [[self.randn(2)]], "pairs": [Pair(self.randn(1), None)]}]),
            (N_("a namedtuple `Pair(inputs, targets)`"), Pair(images, labels)),
        ]

    def check(self, to_device):
        for words, batch in self._batches():
            words = _(words)
            for device in ("meta", torch.device("meta"), "cpu"):
                shown = repr(device) if isinstance(device, str) else "torch.device('meta')"
                call = f"to_device(batch, {shown})"
                during = _("`{call}` for {words}").format(call=call, words=words)
                reply = self.probe(moved, to_device, batch, device, CONTRACT.spec(),
                                   during=during)
                CONTRACT.judge(reply, during)
                expected = skeleton(reference_to_device(batch, device), values=True)
                difference = first_difference(reply["result"], expected)
                if difference:
                    where, wanted, got, hinted = difference
                    expect.that(False, checked=_("`{where}` in the result of `{call}` for "
                                                 "{words}").format(where=_path_text(where),
                                                                   call=call, words=words),
                                expected=wanted, found=got,
                                hint=self.hints[1] if hinted == "named" else
                                self.hints[0] if hinted else None)
                expect.that(reply["input_unchanged"],
                            checked=_("the input batch after `{call}` for {words}").format(
                                call=call, words=words),
                            expected=_("the input left as it was (return a new batch)"),
                            found=_("items of the input replaced"),
                            hint=_("Build new dicts and lists instead of assigning into "
                                   "the ones you were given."))


def _path_text(path: str) -> str:
    return f"batch{path}" if path else "batch"
