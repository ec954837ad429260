"""Exercise.call's contract: arguments watched, output contracts, honest outcomes."""

import numpy as np
import pytest
import torch
from torch import nn

from labkit.check import Exercise, Outcome, expect, run_check
from labkit.check.fingerprint import changes, take


def outcome(check, **answers):
    class Probe(Exercise):
        name, title = "probe", "probe"

    Probe.check = check
    return run_check(Probe(), answers, seed=0)


# --- arguments changed in place ----------------------------------------------------------

def call_f(self, f):
    x, grads = self.randn(3, 4), [self.randn(2), self.randn(2)]
    self.call(f, x, grads, during="`f(x, grads)`")


IN_PLACE = {
    "sub_": lambda x, g: x.sub_(x.mean()),
    "masked": lambda x, g: (x.__setitem__(x < 0, 0), x[x > 0])[1],
    "data": lambda x, g: setattr(x, "data", x.round()),
    "listed grads scaled": lambda x, g: [t.mul_(0.5) for t in g],
    "resize": lambda x, g: x.resize_(12),
    "requires_grad": lambda x, g: x.requires_grad_(True),
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_a_change_in_place_is_incorrect_and_named(name):
    result = outcome(call_f, f=IN_PLACE[name])
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "changed its argument" in result.text() and "in place" in result.text()


def test_a_module_s_argument_is_named_as_its_forward_names_it():
    class Normalises(nn.Module):
        def forward(self, images):
            return images.sub_(0.5)

    def check(self, model):
        self.call(model, self.randn(2, 3), during="`model(x)`")

    result = outcome(check, model=Normalises())
    assert "changed its argument `images` in place" in result.text(), result.text()


SWAPPED = {
    "dict item": lambda batch: batch.__setitem__("x", batch["x"] * 2),
    "list item added": lambda batch: batch["rest"].append(torch.zeros(1)),
    "list item removed": lambda batch: batch["rest"].pop(),
    "layer replaced": lambda batch: setattr(batch["model"], "0", nn.Linear(2, 2)),
    "parameter replaced": lambda batch: setattr(batch["model"][0], "bias",
                                                nn.Parameter(torch.zeros(2))),
}


@pytest.mark.parametrize("name", SWAPPED)
def test_a_tensor_swapped_inside_an_argument_is_a_change(name):
    """A dict entry, a list item or a layer replaced leaves every recorded tensor as it
    was: is the argument still seen to have changed?"""
    def check(self, f):
        batch = {"x": self.randn(2), "rest": [self.randn(3)],
                 "model": nn.Sequential(nn.Linear(2, 2))}
        self.call(f, batch, during="`f(batch)`")

    result = outcome(check, f=SWAPPED[name])
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "changed its argument `batch" in result.text(), result.text()
    assert "swapped for another" in result.text(), result.text()


def test_swaps_are_found_from_the_arguments_walked_again():
    batch = {"x": torch.ones(2), "rest": [torch.zeros(1)]}
    before = take({"batch": batch})
    assert changes(before, now={"batch": batch}) == []
    batch["x"] = torch.ones(2)
    batch["rest"].append(torch.ones(1))
    assert changes(before, now={"batch": batch}) == [("batch['x']", "swapped"),
                                                     ("batch['rest'][1]", "swapped")]


def test_reading_arguments_is_fine():
    result = outcome(call_f, f=lambda x, g: (x - x.mean(), [t * 0.5 for t in g]))
    assert result.outcome is Outcome.PASSED, result.text()


def test_declared_writes_may_change():
    def check(self, f):
        self.call(f, self.randn(3), during="`f(x)`", writes=(0,))

    assert outcome(check, f=lambda x: x.mul_(2)).outcome is Outcome.PASSED


def test_restored_arguments_may_move_and_come_back():
    def check(self, f):
        self.call(f, self.randn(3, dtype=torch.float64), during="`f(x)`", restored=(0,))

    def move_and_back(x):
        x += 1e-6
        x -= 1e-6
        return x.sum()

    assert outcome(check, f=move_and_back).outcome is Outcome.PASSED
    assert outcome(check, f=lambda x: x.add_(1)).outcome is Outcome.INCORRECT


def test_a_models_argument_is_named_by_its_forward():
    """A model changing its input in place: is the input named as `forward` names it?"""
    class Centres(nn.Module):
        def forward(self, images):
            return images.sub_(images.mean())

    def check(self, model):
        self.call(model, self.randn(2, 3), during="`model(images)`")

    result = outcome(check, model=Centres())
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "changed its argument `images` in place" in result.text()


def test_module_parameters_and_their_gradients_are_watched():
    model = nn.Linear(2, 2)
    model.weight.grad = torch.ones(2, 2)
    before = take({"model": model})
    with torch.no_grad():
        model.weight.grad.mul_(0.5)
    assert changes(before) == [("model.weight", "gradient")]


# --- output contracts ------------------------------------------------------------------

def loss_check(self, loss_fn):
    z, y = self.randn(4, 3), torch.tensor([0, 1, 2, 0])
    value = self.call(loss_fn, z, y, during="`loss_fn(z, y)`", differentiable=(0,))
    expect.close(value, torch.nn.functional.cross_entropy(z, y), name="loss_fn(z, y)")


@pytest.mark.parametrize("wrong", [
    lambda z, y: torch.nn.functional.cross_entropy(z, y).detach(),
    lambda z, y: torch.tensor(torch.nn.functional.cross_entropy(z, y).item()),
    lambda z, y: torch.nn.functional.cross_entropy(z.detach(), y),
])
def test_a_loss_cut_off_from_its_inputs_is_incorrect(wrong):
    result = outcome(loss_check, loss_fn=wrong)
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "backward()" in result.text()


def test_a_differentiable_loss_passes():
    result = outcome(loss_check, loss_fn=torch.nn.functional.cross_entropy)
    assert result.outcome is Outcome.PASSED, result.text()


def test_a_float_is_a_python_float():
    def check(self, f):
        self.call(f, self.randn(5), during="`f(x)`", returns=float)

    assert outcome(check, f=lambda x: x.sum().item()).outcome is Outcome.PASSED
    assert outcome(check, f=lambda x: np.float64(x.sum())).outcome is Outcome.PASSED
    result = outcome(check, f=lambda x: x.sum())
    assert result.outcome is Outcome.INCORRECT and "`torch.Tensor`" in result.text()


def test_logged_values_hold_no_graph():
    def check(self, f):
        self.call(f, self.randn(3), during="`f(x)`", no_graph=True)

    w = torch.ones(3, requires_grad=True)
    assert outcome(check, f=lambda x: [float((x * w).sum())]).outcome is Outcome.PASSED
    result = outcome(check, f=lambda x: [(x * w).sum()])
    assert result.outcome is Outcome.INCORRECT and "[0]" in result.text()


def test_printed_output_comes_back():
    def check(self, f):
        _value, printed = self.call(f, 3, during="`f(3)`", printed=True)
        expect.equal(printed, "3\n", name="what f(3) prints")

    assert outcome(check, f=print).outcome is Outcome.PASSED
    assert outcome(check, f=lambda n: print(n + 1)).outcome is Outcome.INCORRECT


# --- honest outcomes ---------------------------------------------------------------------

def test_the_wrong_kind_of_object_is_the_learners_incorrect():
    """A model where a number belongs, a class where an instance belongs: incorrect."""
    def check(self, f):
        value = self.call(f, during="`f()`")
        expect.that(value > 0, checked="f()", expected="a positive number", found="?")

    result = outcome(check, f=lambda: nn.Linear(2, 2))
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "`Linear`" in result.text()


def test_a_probe_that_cannot_use_the_learners_object_is_incorrect():
    from labkit.check import probes

    def check(self, model):
        self.probe(probes.param_count, model, during="counting the parameters")

    result = outcome(check, model=lambda x: x)  # a function where a module belongs
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "`function`" in result.text()


def test_a_fault_in_the_check_itself_is_still_a_checker_bug():
    def check(self, f):
        self.call(f, 1, during="`f(1)`")
        raise KeyError("the check's own bug")

    assert outcome(check, f=abs).outcome is Outcome.CHECKER_BUG
