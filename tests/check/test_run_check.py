"""run_check(): the closed set of outcomes, and the fixed message form."""

import torch

from labkit.check import Exercise, NotAttempted, Outcome, expect, probes, run_check


class Double(Exercise):
    name = "double"
    title = "Double a tensor"
    points = 2

    def check(self, double):
        x = self.randn(4)
        expect.close(self.call(double, x, during="`double(x)`"), 2 * x, name="double(x)",
                     hint="Multiply by two.")


class Broken(Exercise):
    name = "broken"
    title = "A checker with a bug"

    def check(self, anything):
        return {}["missing"]


def test_passed_gives_full_points():
    result = run_check(Double(), {"double": lambda x: x * 2})
    assert result.outcome is Outcome.PASSED and result.points == 2 and result.max_points == 2
    assert result.text() == "`double`: passed (2/2 points)"


def test_incorrect_message_has_the_fixed_form():
    result = run_check(Double(), {"double": lambda x: x + 2}, seed=0)
    lines = result.text().splitlines()
    assert lines[0] == "`double`: incorrect (0/2 points)"
    assert [line.split(":")[0] for line in lines[1:]] == ["Checked", "Expected", "Found", "Hint"]
    assert lines[-1] == "Hint: Multiply by two."


def test_not_attempted_three_ways():
    def stub(x):
        raise NotImplementedError()

    for namespace, words in [({}, "Found no variable `double`"),
                             ({"double": ...}, "still the placeholder"),
                             ({"double": stub}, "still raises `NotImplementedError`")]:
        result = run_check(Double(), namespace)
        assert result.outcome is Outcome.NOT_ATTEMPTED
        assert words in result.text()
        assert result.points == 0


def test_learner_error_shows_their_exception_not_a_traceback():
    def crashes(x):
        return x.reshape(3)

    result = run_check(Double(), {"double": crashes})
    assert result.outcome is Outcome.LEARNER_ERROR
    assert "`RuntimeError`: shape '[3]' is invalid" in result.text()
    assert "in `crashes`" in result.text()
    assert "Traceback" not in result.text()


def test_checker_bug_is_not_blamed_on_the_learner():
    result = run_check(Broken(), {"anything": 1})
    assert result.outcome is Outcome.CHECKER_BUG
    assert "not your fault" in result.text() and "`KeyError`" in result.text()


def test_check_can_say_not_attempted_itself():
    class Given(Exercise):
        name = "fixed"
        title = "Fix the given code"

        def check(self, fixed):
            if fixed == "given":
                raise NotAttempted("This is still the given code.")

    assert run_check(Given(), {"fixed": "given"}).outcome is Outcome.NOT_ATTEMPTED


def test_random_inputs_depend_on_the_seed_and_repeat_with_it():
    """Does a seed make a run reproducible, and do different seeds draw different inputs?"""
    seen = []
    run_check(Double(), {"double": lambda x: seen.append(x.clone()) or 2 * x}, seed=5)
    run_check(Double(), {"double": lambda x: seen.append(x.clone()) or 2 * x}, seed=5)
    run_check(Double(), {"double": lambda x: seen.append(x.clone()) or 2 * x}, seed=6)
    assert torch.equal(seen[0], seen[1]) and not torch.equal(seen[0], seen[2])


def test_hard_coded_answer_fails():
    fixed = 2 * Double().randn(4)
    result = run_check(Double(), {"double": lambda x: fixed}, seed=1)
    assert result.outcome is Outcome.INCORRECT


def test_checking_leaves_the_learners_random_state_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    run_check(Double(), {"double": lambda x: 2 * x + 0 * torch.rand(4)})
    assert torch.equal(torch.rand(3), expected)


def test_a_change_in_place_is_seen_though_the_checkers_inputs_stay_safe():
    """The learner's side works on copies, so the check's own data cannot change; the
    guard still sees that the learner's function changed its argument."""
    def in_place(x):
        x.mul_(2)
        return x

    result = run_check(Double(), {"double": in_place})
    assert result.outcome is Outcome.INCORRECT, result.text()
    assert "changed its argument `x` in place" in result.text()


def test_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LABKIT_SEED", "42")
    assert run_check(Double(), {"double": lambda x: 2 * x}).seed == 42
    monkeypatch.setenv("LABKIT_SEED", "forty-two")
    import pytest

    with pytest.raises(ValueError, match="LABKIT_SEED must be a whole number"):
        run_check(Double(), {"double": lambda x: 2 * x})


def test_call_keeps_leaves_as_leaves():
    """Can a learner function that calls backward() on its input work through call()?"""
    class Grad(Exercise):
        name = "grad"
        title = "Gradient of a square"

        def check(self, grad):
            x = torch.tensor([1.0, 2.0], requires_grad=True)
            found = self.call(grad, x, during="`grad(x)`", writes=self.writes)
            expect.close(found, 2 * x.detach(), name="grad(x)")
            expect.that(x.grad is None, checked="the checker's `x`", expected="untouched",
                        found="changed")

    def grad(x):
        (x ** 2).sum().backward()
        return x.grad

    Grad.writes = (0,)  # the exercise says the function fills x.grad
    assert run_check(Grad(), {"grad": grad}).passed
    Grad.writes = ()  # otherwise a gradient left in the caller's x.grad is a change
    result = run_check(Grad(), {"grad": grad})
    assert result.outcome is Outcome.INCORRECT and "`.grad`" in result.text()


def test_gradcheck_of_an_unwritten_backward_is_not_attempted():
    class Stub(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sin()

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError()

    class Backward(Exercise):
        name = "sin_backward"
        title = "Backward of sin"

        def check(self, Sin):
            self.probe(probes.forward_backward, Sin, (self.randn(3),), method="apply",
                       during="`Sin`")

    result = run_check(Backward(), {"Sin": Stub})
    assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()


def test_pytorch_not_implemented_is_the_learners_error_not_a_stub():
    """Is torch's NotImplementedError (with a message) an error in the learner's code?"""
    def unsupported(x):
        raise NotImplementedError("mean(): could not infer output dtype. Got: Bool")

    result = run_check(Double(), {"double": unsupported})
    assert result.outcome is Outcome.LEARNER_ERROR, result.text()
    assert "could not infer output dtype" in result.text()
