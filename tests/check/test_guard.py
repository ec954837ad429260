"""The guard around learner calls: ruled-out tools however spelled, work that grows with
the input, printed output."""

import functools

import torch
import torch.nn.functional as F
from torch.special import logsumexp as captured_logsumexp

from labkit.check.guard import Guard

CapturedSGD = torch.optim.SGD  # captured before any guard exists, as a notebook would


def used(fn, *args, rule_out):
    with Guard(rule_out=rule_out) as guard:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - a tool used before an error still counts
            pass
    return [u["name"] for u in guard.report()["used"]]


def test_operators_are_seen_whatever_their_spelling():
    """Are aliases, captured names, torch.ops.aten and layers all one operator?"""
    z = torch.randn(3, 4)
    spellings = [
        lambda: torch.logsumexp(z, 1), lambda: captured_logsumexp(z, 1),
        lambda: torch.ops.aten.logsumexp(z, [1]), lambda: z.logsumexp(1),
        lambda: F.log_softmax(z, 1), lambda: torch.special.log_softmax(z, 1),
        lambda: torch.nn.CrossEntropyLoss()(z, torch.tensor([0, 1, 2])),
        lambda: torch.distributions.Categorical(logits=z).log_prob(torch.tensor([0, 1, 2])),
        lambda: torch.logcumsumexp(z, 1)[:, -1],
        lambda: functools.reduce(torch.logaddexp, z.unbind(1)),
    ]
    for spelling in spellings:
        assert used(spelling, rule_out=("log_sum_exp",)), spelling


def test_the_convolution_group_sees_every_way_to_convolve():
    image, kernel = torch.randn(1, 1, 6, 6), torch.randn(1, 1, 3, 3)
    conv = F.conv2d
    for spelling in [lambda: conv(image, kernel), lambda: torch.conv2d(image, kernel),
                     lambda: torch.convolution(image, kernel, None, [1, 1], [0, 0], [1, 1],
                                               False, [0, 0], 1),
                     lambda: F.unfold(image, 3), lambda: image.unfold(2, 3, 1),
                     lambda: torch.nn.Conv2d(1, 1, 3)]:
        assert used(spelling, rule_out=("convolution",)), spelling


def test_library_code_is_seen_through_captured_names():
    """A class captured early, a fused op, a torch.func transform: each is seen."""
    p = torch.zeros(3, requires_grad=True)
    assert used(lambda: CapturedSGD([p], lr=0.1), rule_out=("optimizers",)) == [
        "torch.optim.sgd.SGD"]
    fused = used(lambda: torch._fused_sgd_([p.detach()], [torch.ones(3)], [],
                                            weight_decay=0.0, momentum=0.0, lr=0.1,
                                            dampening=0.0, nesterov=False, maximize=False,
                                            is_first_step=True), rule_out=("optimizers",))
    assert fused == ["torch.ops.aten._fused_sgd_"]
    from torch.func import jvp as directional

    assert used(lambda: directional(torch.sin, (torch.ones(2),), (torch.ones(2),)),
                rule_out=("autograd",)) == ["torch.func.jvp"]
    x = torch.ones(2, requires_grad=True)
    assert used(lambda: (x * 2).sum().backward(), rule_out=("autograd",)) == [
        "torch.Tensor.backward"]


def test_a_decorated_function_is_named_by_what_it_wraps():
    """clip_grad_norm_ runs a decorator's wrapper first: is the use named after the
    function the learner reached, however captured, not after the wrapper?"""
    from torch.nn.utils import clip_grad_norm_ as captured_clip

    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.ones(3)
    assert used(lambda: captured_clip([p], 0.1), rule_out=("clip_grad",)) == [
        "torch.nn.utils.clip_grad.clip_grad_norm_"]


def test_compiled_code_cannot_hide_an_operator():
    """Does torch.compile run its operators where the guard sees them?"""
    compiled = torch.compile(lambda z: F.log_softmax(z, 1), backend="eager")
    assert used(lambda: compiled(torch.randn(2, 3)), rule_out=("log_sum_exp",))


def test_allowed_tools_are_not_reported():
    z = torch.randn(3, 4)
    m = z.max(1, keepdim=True).values
    assert used(lambda: m + (z - m).exp().sum(1, keepdim=True).log(),
                rule_out=("log_sum_exp", "autograd", "optimizers", "convolution")) == []
    assert used(lambda: torch.optim.lr_scheduler, rule_out=("optimizers",)) == []


def test_a_use_names_the_learners_line():
    def learner(z):
        return torch.logsumexp(z, 1)  # the line the message names

    with Guard(rule_out=("log_sum_exp",)) as guard:
        learner(torch.randn(2, 2))
    [use] = guard.report()["used"]
    assert "in `learner`" in use["where"] and "torch.logsumexp(z, 1)" in use["where"]


def work(fn, *args):
    counts = []
    for _ in range(2):  # the first call fills caches; Exercise.work drops it too
        with Guard(count=True) as guard:
            fn(*args)
        counts.append(guard.report()["work"])
    return counts[-1]


def test_vectorised_work_does_not_grow_and_loops_do():
    """Is a loop a loop whatever its syntax, and vectorised code the same at every size?"""
    def vectorised(x):
        return (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)

    def for_loop(x):
        return torch.stack([(r - r.mean()) / r.std() for r in x])

    def with_map(x):
        return torch.stack(list(map(lambda r: r - r.mean(), x)))

    def with_while(x):
        out, i = [], 0
        while i < len(x):
            out.append(float(x[i].sum()))
            i += 1
        return out

    def recursive(x):
        return x[:0] if len(x) == 0 else torch.cat([x[:1] * 2, recursive(x[1:])])

    def python_floats(x):
        total = 0.0
        for value in x.flatten().tolist():
            total += value
        return total

    small, large = torch.randn(4, 3), torch.randn(16, 3)
    assert work(vectorised, small) == work(vectorised, large)
    for looped in [for_loop, with_map, with_while, recursive, python_floats]:
        assert work(looped, large) - work(looped, small) >= 12, looped.__name__


def test_printed_output_is_kept_and_capped():
    with Guard(capture=True) as guard:
        print("hello")
        print("x" * 50_000)
    printed = guard.report()["printed"]
    assert printed.startswith("hello\n") and len(printed) == 20_000


def test_the_guard_leaves_no_hook_behind():
    import sys

    before = (sys.getprofile(), sys.gettrace())
    with Guard(rule_out=("autograd",), count=True):
        torch.ones(1).add(1)
    assert (sys.getprofile(), sys.gettrace()) == before
    assert torch._C._get_dispatch_mode(torch._C._TorchDispatchModeKey.FAKE) is None


def test_a_library_tool_handed_over_as_it_is_names_no_line_outside_the_call():
    """Is the caller of the guarded call (a notebook's check cell) never named as the
    learner's line, when the learner's answer is the library function itself?"""
    def enter_and_call(fn):
        with Guard(rule_out=("log_sum_exp",)) as guard:
            fn(torch.randn(2, 3), torch.tensor([0, 2]))
        return guard.report()["used"]

    [use] = enter_and_call(F.cross_entropy)
    assert use["where"] == ""
