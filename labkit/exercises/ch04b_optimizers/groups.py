"""Exercise: parameter groups with weight decay on weights only, frozen parameters left out."""

from __future__ import annotations

import torch
from torch import nn

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe
from labkit.i18n import N_, _

# The model must come back as it was: no parameter frozen or unfrozen, no value changed.
CONTRACT = Contract()


class Scaled(nn.Module):
    """A layer with a bare 1-D parameter of its own (a learned scale per feature)."""

    def __init__(self, features: int):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(features))

    def forward(self, x):
        return x * self.scale


def groups_probe(decay_groups, model, weight_decay, spec):
    """Call `decay_groups(model, weight_decay)`, build AdamW on its answer, and describe the
    groups AdamW holds by parameter name (or the error AdamW raised)."""
    reply, args, value = probes.guarded(decay_groups, (model, weight_decay), {}, spec)
    if "value" not in reply:
        return reply
    names = {id(p): name for name, p in args[0].named_parameters()}
    reply["value"] = None  # judged from the description below, not sent back
    if not isinstance(value, (list, tuple)):
        reply["found"] = {"kind": type(value).__name__}
        return reply
    try:
        optimizer = torch.optim.AdamW(value, lr=1e-3)
    except Exception as error:  # noqa: BLE001 - the learner's groups, AdamW's message
        duplicated = "more than one parameter group" in str(error)
        reply["found"] = {"error": type(error).__name__, "duplicated": duplicated}
        return reply
    reply["found"] = {"groups": [
        {"names": sorted(names.get(id(p), "?") for p in group["params"]),
         "weight_decay": float(group["weight_decay"])}
        for group in optimizer.param_groups]}
    return reply


class DecayGroups(Exercise):
    name = "decay_groups"
    title = N_("Parameter groups for any model")
    hints = (
        N_("Loop over `model.parameters()`, keep those with `p.requires_grad`, and split them "
           "by `p.ndim >= 2`: weights and kernels on one side, biases and norm layers' "
           "weights and biases on the other."),
        N_("Return `[{\"params\": decay, \"weight_decay\": weight_decay}, "
           "{\"params\": no_decay, \"weight_decay\": 0.0}]`."),
    )
    solution = '''\
def decay_groups(model, weight_decay):
    trained = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trained if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trained if p.ndim < 2], "weight_decay": 0.0}]'''

    def _models(self) -> list[tuple[str, nn.Module]]:
        a, b = int(self.randint(3, 9)), int(self.randint(2, 6))
        with torch.random.fork_rng():  # the learner's random state stays as it was
            torch.manual_seed(int(self.randint(0, 10_000)))
            return self._build(a, b)

    @staticmethod
    def _build(a: int, b: int) -> list[tuple[str, nn.Module]]:
        frozen = nn.Sequential(nn.Conv2d(1, a, 3), nn.BatchNorm2d(a), nn.Flatten(),
                               nn.Linear(a, b))
        for p in [*frozen[0].parameters(), *frozen[1].parameters()]:
            p.requires_grad_(False)  # a frozen backbone, a trained head
        return [
            (N_("Linear, LayerNorm, ReLU, Linear"),
             nn.Sequential(nn.Linear(a, b), nn.LayerNorm(b), nn.ReLU(), nn.Linear(b, 2))),
            (N_("Conv2d(bias=False), BatchNorm2d, Linear"),
             nn.Sequential(nn.Conv2d(2, a, 3, bias=False), nn.BatchNorm2d(a), nn.Flatten(),
                           nn.Linear(a, b))),
            (N_("Linear, then a learned scale per feature (a 1-D parameter)"),
             nn.Sequential(nn.Linear(a, b), Scaled(b))),
            (N_("Conv2d and BatchNorm2d with requires_grad=False, then Linear"), frozen),
        ]

    def check(self, decay_groups):
        weight_decay = self.pick([0.1, 0.02, 0.3])  # not the notebook's 0.05
        for label, model in self._models():
            call = f"decay_groups(model, {weight_decay})"
            during = _("`{call}` for a model of {layers}").format(call=call, layers=_(label))
            reply = self.probe(groups_probe, decay_groups, model, weight_decay,
                               CONTRACT.spec(), during=during)
            CONTRACT.judge(reply, during)
            found = reply["found"]
            expect.that("kind" not in found, checked=_("the type of `{call}`").format(call=call),
                        expected=_("a list of two dicts"), found=found.get("kind", ""),
                        hint=_("Return a list: `[{...}, {...}]`."))
            expect.that("error" not in found,
                        checked=_("`torch.optim.AdamW({call})`").format(call=call),
                        expected=_("an optimizer built from your groups"),
                        found=_error_text(found),
                        hint=_("Each group is a dict with a `\"params\"` list; a parameter "
                               "may appear in one group only."))
            groups = found["groups"]
            expect.equal(len(groups), 2, name=f"len({call})",
                         hint=_("Two groups: the decayed parameters, then the others."))
            trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
            wanted = [sorted(n for n, p in trained if p.ndim >= 2),
                      sorted(n for n, p in trained if p.ndim < 2)]
            frozen = sorted(n for n, p in model.named_parameters() if not p.requires_grad)
            for index, (group, names, decay) in enumerate(zip(
                    groups, wanted, (float(weight_decay), 0.0), strict=True)):
                held = [n for n in group["names"] if n in frozen]
                checked = _("the parameters of group {index}, {during}").format(index=index,
                                                                                 during=during)
                expect.that(not held, checked=checked,
                            expected=_("no parameter with `requires_grad=False`"),
                            found=", ".join(f"`{n}`" for n in held),
                            hint=_("Keep only the parameters that train: "
                                   "`if p.requires_grad`."))
                expect.that(group["names"] == names, checked=checked,
                            expected=", ".join(f"`{n}`" for n in names) or _("none"),
                            found=", ".join(f"`{n}`" for n in group["names"]) or _("none"),
                            hint=_group_hint(index, label))
                expect.that(abs(group["weight_decay"] - decay) < 1e-12,
                            checked=_("the `weight_decay` of group {index} of `{call}`").format(
                                index=index, call=call),
                            expected=describe(decay), found=describe(group["weight_decay"]),
                            hint=_("Give each group its own `\"weight_decay\"`: `AdamW` fills "
                                   "in its default, 0.01, for a group without one."))


def _error_text(found: dict) -> str:
    if "error" not in found:
        return ""
    if found["duplicated"]:
        return _("`{error}`: a parameter appears in more than one group").format(
            error=found["error"])
    return _("`{error}` from `AdamW`").format(error=found["error"])


def _group_hint(index: int, label: str) -> str:
    if "LayerNorm" in label or "BatchNorm" in label:
        return _("Split by the number of dimensions, `p.ndim >= 2`, not by name: a norm "
                 "layer's `weight` is a 1-D scale, like a bias, and is not decayed.")
    return _("Group 0 holds every trained parameter with two or more dimensions, group 1 "
             "every other trained parameter.")
