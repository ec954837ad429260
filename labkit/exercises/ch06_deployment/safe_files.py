"""Exercise (spot the bug): model files that hold tensors only, loaded safely."""

from __future__ import annotations

import os

import torch

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe
from labkit.check.signals import is_stub_error
from labkit.exercises.ch06_deployment.files import (
    NO_FILE,
    Trap,
    plain_errors,
    scratch_folder,
    unsafe_text,
    weights_only_error,
)
from labkit.exercises.ch06_deployment.models import DropoutNet
from labkit.i18n import N_, _


def given_save_model(model, path):
    """The given code: pickles the whole model object."""
    torch.save(model, path)


def given_load_model(model, path):
    """The given code: unpickles whatever the file holds."""
    loaded = torch.load(path, weights_only=False)
    model.load_state_dict(loaded.state_dict())
    return model.eval()


# save_model only reads the model; load_model loads into the model it is given.
SAVE, LOAD = Contract(), Contract(writes=(0,))


def safe_files_probe(save_model, load_model, source, target, attacker, save_spec: dict,
                     load_spec: dict) -> dict:
    """Round trip through the learner's functions, then a hostile file through load_model;
    the guarded replies of the calls, and what they did."""
    with scratch_folder() as folder, plain_errors():
        path = os.path.join(folder, "model.pt")
        saved, _args, _value = probes.guarded(save_model, (source, path), {}, save_spec)
        reply = {"save": saved}
        unsafe = weights_only_error(path) if os.path.exists(path) else NO_FILE
        reply["weights_only_loads"] = unsafe is None
        if unsafe is None:  # the round trip, only for a file that loads safely
            target.train()
            loaded, _args, result = probes.guarded(load_model, (target, path), {}, load_spec)
            loaded["value"] = None  # what it returned is described below
            reply["load"] = loaded
            reply["returned"] = "the model" if result is target else describe(result)
            reply["state"] = {k: v.detach().clone() for k, v in target.state_dict().items()}
            reply["training"] = any(m.training for m in target.modules())
        else:
            reply["weights_only_error"] = unsafe

        evil = os.path.join(folder, "downloaded.pt")
        marker = os.path.join(folder, "payload-ran.txt")
        torch.save(Trap(marker, attacker), evil)
        try:
            probes.guarded(load_model, (target, evil), {}, load_spec)
            reply["hostile"] = "returned"
        except Exception as err:  # noqa: BLE001 - refusing the file is right
            if is_stub_error(err):
                raise
            reply["hostile"] = f"raised {type(err).__name__}"
        reply["payload_ran"] = os.path.exists(marker)
    return reply


class SafeLoading(Exercise):
    name = "safe_model_files"
    title = N_("Spot the bug: a model file that runs code")
    hints = (
        N_("A whole pickled model can only be read by the full unpickler, which runs any "
           "function the file names. Save `model.state_dict()` instead: plain tensors, which "
           "`torch.load(path, weights_only=True)` reads without running anything."),
        N_("`torch.save(model.state_dict(), path)`, and in `load_model`: "
           "`model.load_state_dict(torch.load(path, weights_only=True))`, then "
           "`return model.eval()`."),
    )
    solution = '''\
def save_model(model, path):
    torch.save(model.state_dict(), path)  # tensors only


def load_model(model, path):
    state = torch.load(path, weights_only=True)  # refuses anything but tensors and containers
    model.load_state_dict(state)
    return model.eval()'''

    def check(self, save_model, load_model):
        features = int(self.randint(2, 8))
        torch.manual_seed(int(self.randint(0, 10_000)))
        source, target = DropoutNet(features, 5, 3), DropoutNet(features, 5, 3)
        attacker = DropoutNet(features, 5, 3)
        reply = self.probe(safe_files_probe, save_model, load_model, source, target,
                           attacker, SAVE.spec(), LOAD.spec(),
                           during=_("`save_model` then `load_model`, and `load_model` on a "
                                    "hostile file"))
        SAVE.judge(reply["save"], "`save_model(model, path)`")
        if "load" in reply:
            LOAD.judge(reply["load"], "`load_model(model, path)`")
        given_shape = (not reply["weights_only_loads"] and reply["payload_ran"]
                       and reply["hostile"] == "returned")
        if given_shape:
            raise NotAttempted(_(
                "`save_model` and `load_model` still behave like the given code: the file "
                "holds a whole pickled model, and loading a hostile file runs its code. Fix "
                "both functions, run the cell, then check again."))
        unsafe = reply.get("weights_only_error")
        expect.that(reply["weights_only_loads"],
                    checked=_("the file `save_model(model, path)` writes"),
                    expected=_("a file that `torch.load(path, weights_only=True)` can read"),
                    found=unsafe and unsafe_text(unsafe),
                    hint=_("Save `model.state_dict()`, not the model object."))
        expect.that(not reply["payload_ran"],
                    checked=_("`load_model(model, path)` on a file with code hidden in it"),
                    expected=_("the code in the file never runs"),
                    found=_("the code in the file ran while loading"),
                    hint=_("Only `torch.load(path, weights_only=True)` refuses to run code; "
                           "never fall back to `weights_only=False` for a file you did not "
                           "make."))
        expect.that(reply["hostile"].startswith("raised"),
                    checked=_("`load_model(model, path)` on a file with code hidden in it"),
                    expected=_("an error, so nobody uses a model that was not loaded"),
                    found=_("it returned without complaint"),
                    hint=_("Let the error of `torch.load` go through: do not catch it."))
        expect.that(reply["returned"] == "the model",
                    checked=_("what `load_model(model, path)` returns"),
                    expected=_("the model it was given, with the loaded weights"),
                    found=reply["returned"])
        want = {k: v.detach().clone() for k, v in source.state_dict().items()}
        for name, value in want.items():
            expect.close(reply["state"].get(name), value,
                         subject=_("`{name}` after loading").format(name=name),
                         atol=0, rtol=0, hint=_("Load every weight of the saved model."))
        expect.that(not reply["training"], checked=_("the mode of the loaded model"),
                    expected=_("eval mode, ready for predictions"),
                    found=_("train mode (dropout still active)"),
                    hint=_("End with `return model.eval()`, as the given code did."))
