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
    neither. The public functions and the C functions beneath them answer alike, so a
    name captured before the check (`from torch.cuda import is_available`) sees the same
    machine."""
    accelerator = torch.device("cuda") if cuda else torch.device("mps") if mps else None
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
         lambda check_available=False: accelerator),
        (torch._C, "_accelerator_getAccelerator", lambda: accelerator),
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


def device_on(device, cuda: bool, mps: bool, spec: dict) -> dict:
    """The learner's ``device()``, guarded, on a pretend machine."""
    with pretend_machine(cuda, mps):
        return probes.guarded_call(device, (), {}, spec)


class Device(Exercise):
    name = "device"
    title = N_("Pick the best device")
    hints = (
        N_("Ask `torch.cuda.is_available()` first, then `torch.backends.mps.is_available()`, "
           "inside the function, each time it is called."),
        N_("Return a `torch.device`, e.g. `torch.device(\"cpu\")`, not a string."),
    )
    solution = '''\
def device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")'''

    def check(self, device):
        machines = [
            (False, False, "cpu", N_("`device()` on a machine with neither a CUDA GPU nor MPS")),
            (True, False, "cuda", N_("`device()` on a machine with a CUDA GPU")),
            (False, True, "mps", N_("`device()` on a machine with Apple's MPS")),
            (True, True, "cuda", N_("`device()` on a machine with both a CUDA GPU and MPS")),
        ]
        for cuda, mps, best, machine in machines:
            during = _(machine)
            reply = self.probe(device_on, device, cuda, mps, CONTRACT.spec(), during=during)
            found = CONTRACT.judge(reply, during)
            expect.that(type(found) is torch.device,
                        checked=_("the type of {during}").format(during=during),
                        expected=_("a `torch.device`"), found=describe(found),
                        hint=_("Wrap the name: `torch.device(\"cpu\")`."))
            expect.that(found.type == best, checked=during,
                        expected=f"`{best}`", found=f"`{found.type}`",
                        hint=_("Prefer a CUDA GPU, then Apple's MPS, then the CPU, and ask "
                               "PyTorch each time the function is called."))
