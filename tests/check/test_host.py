"""The door between checks and learner objects: handles, probes and plain data."""

import io
import os
import pickle

import pytest
import torch
from torch import nn

from labkit.check import (
    Exercise,
    Handle,
    LocalHost,
    Outcome,
    TouchedLearnerObject,
    expect,
    is_handle,
    plain,
    probes,
    run_check,
)


def test_plain_values_arrive_as_values_and_objects_as_handles():
    host = LocalHost({"x": torch.ones(2), "n": 3, "s": "hi", "f": len, "m": nn.Linear(2, 1),
                      "mixed": (torch.zeros(1), nn.ReLU(), [1, {"a": 2}])})
    assert torch.equal(host.lookup("x")[1], torch.ones(2))
    assert host.lookup("n") == ("ok", 3) and host.lookup("s") == ("ok", "hi")
    assert is_handle(host.lookup("f")[1]) and is_handle(host.lookup("m")[1])
    mixed = host.lookup("mixed")[1]
    assert torch.equal(mixed[0], torch.zeros(1)) and is_handle(mixed[1])
    assert mixed[2] == [1, {"a": 2}]
    assert host.lookup("nope") == ("missing",)


@pytest.mark.parametrize("touch", [
    lambda h: h.weight, lambda h: isinstance(h, nn.Module), lambda h: isinstance(h, int),
    lambda h: list(h), lambda h: len(h), lambda h: bool(h), lambda h: h(1), lambda h: h[0],
    lambda h: h + 1, lambda h: h == 1, lambda h: float(h),
])
def test_touching_a_handle_fails_loudly(touch):
    handle = LocalHost({"m": nn.Linear(2, 1)}).lookup("m")[1]
    with pytest.raises(TouchedLearnerObject):
        touch(handle)


def test_a_learner_object_where_plain_data_belongs_is_incorrect():
    """A check touches a handle only when the learner's code gave an object where the
    right answer is plain data: that is the learner's wrong answer, named."""
    class Sloppy(Exercise):
        name, title = "sloppy", "Sloppy"

        def check(self, model):
            expect.that(isinstance(model, nn.Module), checked="m", expected="m", found="m")

    result = run_check(Sloppy(), {"model": nn.Linear(2, 1)}, seed=0)
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "a `Linear`" in result.text()


class ModelSize(Exercise):
    name, title = "model_size", "A model"

    def check(self, make_model):
        model = self.call(make_model, during="`make_model()`")
        expect.that(self.is_instance(model, nn.Module), checked="type", expected="a module",
                    found=f"a `{getattr(model, 'type_name', type(model).__name__)}`"
                    if is_handle(model) else "plain data")
        count = self.probe(probes.param_count, model, during="counting parameters")
        expect.equal(count, 9, name="parameters")
        out = self.probe(probes.predict, model, torch.ones(4, 2), during="`model(x)`")
        expect.tensor(out, name="model(x)", shape=(4, 3))


def test_probes_reach_a_model_the_learner_built():
    assert run_check(ModelSize(), {"make_model": lambda: nn.Linear(2, 3)}, seed=0).passed
    wrong = run_check(ModelSize(), {"make_model": lambda: nn.Linear(2, 2)}, seed=0)
    assert wrong.outcome is Outcome.INCORRECT and "parameters" in wrong.text()
    not_module = run_check(ModelSize(), {"make_model": lambda: "model"}, seed=0)
    assert not_module.outcome is Outcome.INCORRECT


def test_learner_errors_inside_a_probe_are_the_learners():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3)

        def forward(self, x):
            return self.fc(x.T)  # wrong shape: raises inside torch

    result = run_check(ModelSize(), {"make_model": Broken}, seed=0)
    assert result.outcome is Outcome.LEARNER_ERROR, result.text()
    assert "test_host.py" not in result.text() or "forward" in result.text()
    assert "in `forward`" in result.text()


def test_a_stub_inside_a_probe_is_not_attempted():
    def make_model():
        raise NotImplementedError()

    assert run_check(ModelSize(), {"make_model": make_model}, seed=0).outcome is (
        Outcome.NOT_ATTEMPTED)


def bad_probe(value):
    return value.no_such_attribute  # a bug in the probe, not in learner code


def test_a_bug_in_a_probe_is_a_checker_bug():
    class UsesBadProbe(Exercise):
        name, title = "bad", "Bad probe"

        def check(self, f):
            self.probe(bad_probe, f, during="the probe")

    result = run_check(UsesBadProbe(), {"f": len}, seed=0)
    assert result.outcome is Outcome.CHECKER_BUG, result.text()


def test_learner_code_cannot_change_the_checks_arguments():
    class Keeps(Exercise):
        name, title = "keeps", "Keeps"

        def check(self, f):
            x = torch.ones(3)
            self.call(f, x, during="`f(x)`", writes=(0,))
            expect.close(x, torch.ones(3), name="the check's own x")

    assert run_check(Keeps(), {"f": lambda x: x.zero_()}, seed=0).passed


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_replies_are_decoded_without_running_code():
    buffer = io.BytesIO()
    pickle.dump(("ok", _Evil()), buffer, protocol=2)
    with pytest.raises(plain.Forged):
        plain.decode(buffer.getvalue(), host=None)


def test_export_turns_subclasses_into_plain_values():
    class MyTensor(torch.Tensor):
        pass

    value = plain.export([torch.ones(2).as_subclass(MyTensor), nn.Parameter(torch.ones(1)),
                          torch.Size([2, 3])], keep=lambda obj: 1)
    assert type(value[0]) is torch.Tensor and type(value[1]) is torch.Tensor
    assert value[2] == (2, 3)
    decoded = plain.decode(plain.encode(value), host=None)
    assert type(decoded[0]) is torch.Tensor


def test_handles_are_kept_once_per_object():
    model = nn.Linear(1, 1)
    host = LocalHost({"a": model, "b": model})
    a, b = host.lookup("a")[1], host.lookup("b")[1]
    assert a.ref().ref == b.ref().ref
    assert isinstance(a, Handle)  # exact-type isinstance is allowed: it never asks the object


def test_a_wrong_signature_is_the_learners_error_not_a_checker_bug():
    class TwoArgs(Exercise):
        name, title = "two_args", "Two arguments"

        def check(self, f):
            self.call(f, torch.ones(2), torch.ones(2), during="`f(a, b)`")

    result = run_check(TwoArgs(), {"f": lambda a: a}, seed=0)
    assert result.outcome is Outcome.LEARNER_ERROR, result.text()
    assert "TypeError" in result.text() and "in a call of your `<lambda>`" in result.text()
    built_in = run_check(ModelSize(), {"make_model": lambda: nn.Sequential(
        nn.Flatten(0), nn.Linear(2, 3))},
                        seed=0)
    assert built_in.outcome is Outcome.LEARNER_ERROR, built_in.text()


def test_terminal_colour_codes_never_reach_a_message():
    from labkit.check.describe import cut

    assert cut("\x1b[1mWeights only load failed\x1b[0m: see below") == (
        "Weights only load failed: see below")


class SeedSeen(Exercise):
    """Calls the learner's `f` three times; each call's global seed is kept."""
    name, title = "seed_seen", "What a call sees of the seed"

    def check(self, f):
        self.seen = [self.call(f, during="`f()`") for _ in range(3)]


def test_a_call_cannot_read_the_checks_seed():
    """torch.initial_seed() inside a call tells learner code nothing it could use to
    rebuild the check's hidden inputs (drawn from the check's seed), yet the same check
    seed gives the same calls, so a re-run grades alike."""
    seen = {}
    for seed in (0, 1, 12345, 2**31 - 1):
        exercise = SeedSeen()
        assert run_check(exercise, {"f": torch.initial_seed}, seed=seed).passed
        seen[seed] = exercise.seen
        near = set(range(seed - 16, seed + 17))
        assert not near & set(exercise.seen), (seed, exercise.seen)
        assert len(set(exercise.seen)) == 3  # each call its own seed
    again = SeedSeen()
    run_check(again, {"f": torch.initial_seed}, seed=12345)
    assert again.seen == seen[12345]
