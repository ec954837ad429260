"""Exercise: pick the best device, asked each time on pretend machines."""

from __future__ import annotations

import contextlib

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe
from labkit.i18n import N_, _

CONTRACT = Contract()


@contextlib.contextmanager
def pretend_machine(cuda: bool, mps: bool):
    """While it lasts, PyTorch answers as a machine with a CUDA GPU and/or Apple's MPS, or
    neither (a CUDA build without a GPU). The public functions and the C functions beneath
    them answer alike, so a name captured before the check (`from torch.cuda import
    is_available`) sees the same machine."""
    accelerator = torch.device("cuda") if cuda else torch.device("mps") if mps else None
    # Without a GPU the build still names its accelerator, as a CUDA build does here:
    # only `check_available=True` (or `is_available()`) says there is none to use.
    built_for = accelerator if accelerator is not None else torch.device("cuda")
    accelerator_api = getattr(torch, "accelerator", None)
    stand_ins = [
        (torch.cuda, "is_available", lambda: cuda),
        (torch.cuda, "device_count", lambda: int(cuda)),
        (torch.cuda, "_is_compiled", lambda: True),
        (torch.cuda, "_nvml_based_avail", lambda: False),
        (torch._C, "_cuda_getDeviceCount", lambda: int(cuda)),
        (torch.backends.mps, "is_available", lambda: mps),
        (torch._C, "_mps_is_available", lambda: mps),
        (accelerator_api, "is_available", lambda: accelerator is not None),
        (accelerator_api, "current_accelerator",
         lambda check_available=False: accelerator if check_available else built_for),
        (torch._C, "_accelerator_getAccelerator", lambda: built_for),
    ]
    stand_ins = [(owner, name, fake) for owner, name, fake in stand_ins
                 if owner is not None and hasattr(owner, name)]
    cached = getattr(torch.backends.mps.is_available, "cache_clear", None)
    saved = [(owner, name, getattr(owner, name)) for owner, name, _fake in stand_ins]
    try:
        for owner, name, fake in stand_ins:
            setattr(owner, name, fake)
        if cached:  # the real answer is cached: a captured name would keep it
            cached()
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)
        if cached:
            cached()


def device_on(device, supported: tuple, cuda: bool, mps: bool, spec: dict) -> dict:
    """The learner's ``device(supported)``, guarded, on a pretend machine."""
    with pretend_machine(cuda, mps):
        return probes.guarded_call(device, (supported,), {}, spec)


class Device(Exercise):
    name = "device"
    title = N_("A device the program supports")
    hints = (
        N_("Ask `torch.accelerator.current_accelerator(check_available=True)` inside the "
           "function: it gives the usable accelerator, or `None`."),
        N_("Return that device when it is not `None` and its `.type` is in `supported`; "
           "otherwise `torch.device(\"cpu\")`."),
    )
    solution = '''\
def device(supported):
    accelerator = torch.accelerator.current_accelerator(check_available=True)
    if accelerator is not None and accelerator.type in supported:
        return accelerator
    return torch.device("cpu")'''

    def check(self, device):
        machines = [
            (False, False, N_("a machine with neither a CUDA GPU nor MPS")),
            (True, False, N_("a machine with a CUDA GPU")),
            (False, True, N_("a machine with Apple's MPS")),
        ]
        supports = [("cuda", "mps"), ("cuda",), ("mps",), ()]
        for cuda, mps, machine in machines:
            # Shuffled per machine: an answer right for one order of the cases only fails.
            order = torch.randperm(len(supports), generator=self.rng).tolist()
            for index in order:
                self._one(device, supports[index], cuda, mps, machine)

    def _one(self, device, supported, cuda, mps, machine):
        during = _("`device({supported})` on {machine}").format(
            supported=repr(supported), machine=_(machine))
        reply = self.probe(device_on, device, supported, cuda, mps, CONTRACT.spec(),
                           during=during)
        found = CONTRACT.judge(reply, during)
        expect.that(type(found) is torch.device,
                    checked=_("the type of {during}").format(during=during),
                    expected=_("a `torch.device`"), found=describe(found),
                    hint=_("Wrap the name: `torch.device(\"cpu\")`."))
        accelerator = "cuda" if cuda else "mps" if mps else None
        best = accelerator if accelerator in supported else "cpu"
        expect.that(found.type == best, checked=during,
                    expected=f"`{best}`", found=f"`{found.type}`",
                    hint=_("Use the accelerator only when there is one and its type is in "
                           "`supported`; otherwise the CPU. Ask PyTorch each time the "
                           "function is called."))
