"""Exercise: a map-style dataset of sliding windows over a series, written by hand."""

from __future__ import annotations

import operator

import torch

from labkit.check import Exercise, expect, probes, verdicts
from labkit.check.contract import Contract
from labkit.check.describe import cut, describe
from labkit.check.fingerprint import changes, take
from labkit.check.origin import learner_line
from labkit.check.signals import Incorrect, LearnerError, NotAttempted, is_stub_error
from labkit.i18n import N_, _

CONTRACT = Contract()  # the series handed to the dataset stays as it was


def window_texts(what: str, width: int) -> dict:
    """What `window_probe` calls at each step, in the learner's language (made by the
    check, which knows the language, before the probe runs)."""
    return {"make": _("`WindowDataset(series, width={width})` {what}").format(
                width=width, what=what),
            "len": _("`len(dataset)` {what}").format(what=what),
            "item": _("`dataset[{i}]` {what}"), "what": what,  # the probe fills in i
            "batch": _("the first batch of `DataLoader(dataset, batch_size=4)` {what}")
            .format(what=what)}


def first_batch(dataset):
    """The first batch a ``DataLoader`` makes of ``dataset``, 4 items at a time."""
    from torch.utils.data import DataLoader

    return next(iter(DataLoader(dataset, batch_size=4)))


def _step(fn, args, spec: dict, during: str) -> dict:
    """``probes.guarded`` for one step of the probe: an error is the learner's, at this
    step (a dataset's errors often surface inside ``len`` or the ``DataLoader``)."""
    try:
        return probes.guarded(fn, args, {}, spec)[0]
    except (Incorrect, NotAttempted, LearnerError):
        raise
    except Exception as err:
        if is_stub_error(err):
            raise
        raise LearnerError(type(err).__name__, cut(str(err), 300), learner_line(err) or "",
                           during) from None


def window_probe(cls, series, width, spec: dict, texts: dict) -> dict:
    """Build the learner's dataset on ``series``; report its length and, when that is
    right (n - width), every item and the first batch a ``DataLoader`` makes of it. Each
    step is a guarded call, and its reply is kept for ``Contract.judge``."""
    before = take({"series": series})  # the dataset keeps it: watched through every step
    made = _step(cls, (series, width), spec, texts["make"])
    dataset, made["value"] = made.pop("value", None), None
    out = {"steps": [(texts["make"], made)]}
    _use(dataset, series, width, spec, texts, out)
    out["changed"] = changes(before)
    return out


def _use(dataset, series, width, spec: dict, texts: dict, out: dict) -> None:
    reply = _step(len, (dataset,), spec, texts["len"])
    out["steps"].append((texts["len"], reply))
    length = reply.get("value")
    out["len"] = length
    if type(length) is not int or length != len(series) - width:
        return
    out["items"] = []
    for i in range(length):
        during = texts["item"].format(i=i, what=texts["what"])
        reply = _step(operator.getitem, (dataset, i), spec, during)
        out["steps"].append((during, reply))
        out["items"].append(reply.get("value"))
    if length:
        reply = _step(first_batch, (dataset,), spec, texts["batch"])
        out["steps"].append((texts["batch"], reply))
        out["batch"] = reply.get("value")


class WindowDataset(Exercise):
    name = "window_dataset"
    title = N_("A dataset written by hand")
    hints = (
        N_("A window of `width` values needs `width + 1` values in all (the window and the "
           "next one), so a series of n values has n - width items."),
        N_("`__len__` returns `len(self.series) - self.width`; `__getitem__(i)` returns "
           "`self.series[i : i + self.width], self.series[i + self.width]`."),
    )
    solution = '''\
from torch.utils.data import Dataset


class WindowDataset(Dataset):
    def __init__(self, series, width):
        self.series, self.width = series, width

    def __len__(self):
        return len(self.series) - self.width

    def __getitem__(self, i):
        return self.series[i : i + self.width], self.series[i + self.width]'''

    def check(self, WindowDataset):  # noqa: N803 - the learner's class name
        n = int(self.randint(8, 21))
        cases = [(torch.arange(10.0), 3), (self.randn(n), int(self.randint(1, 5))),
                 (self.randn(5), 4), (self.randn(6, dtype=torch.float64), 1)]
        for series, width in cases:
            what = _("for a series of {n} values and width={width}").format(
                n=len(series), width=width)
            texts = window_texts(what, width)
            reply = self.probe(window_probe, WindowDataset, series, width, CONTRACT.spec(),
                               texts, during=texts["make"])
            for during, step in reply["steps"]:
                CONTRACT.judge(step, during)
            verdicts.arguments_kept(reply, _("{make} and reading its items").format(
                make=texts["make"]))
            length = len(series) - width
            found = reply["len"]
            expect.that(type(found) is int and found == length,
                        checked=texts["len"], expected=str(length),
                        found=describe(found), hint=_(self.hints[0]))
            for i, item in enumerate(reply.get("items", [])):
                expect.that(type(item) in (tuple, list) and len(item) == 2,
                            checked=texts["item"].format(i=i, what=what),
                            expected=_("a pair (window, target)"),
                            found=describe(item), hint=_("`return window, target`."))
                x, y = item
                expect.close(x, series[i:i + width], name=f"dataset[{i}][0]",
                             hint=_("Item i's window is `series[i : i + width]` (here "
                                    "{what}).").format(what=what))
                expect.close(y, series[i + width], name=f"dataset[{i}][1]",
                             hint=_("Item i's target is the value right after its window, "
                                    "`series[i + width]`, a 0-d tensor (here {what}).")
                             .format(what=what))
            if length:
                x, y = reply["batch"]
                rows = min(4, length)
                expect.close(x, torch.stack([series[i:i + width] for i in range(rows)]),
                             subject=_("the windows of the first batch"))
                expect.close(y, series[width:width + rows],
                             subject=_("the targets of the first batch"))
