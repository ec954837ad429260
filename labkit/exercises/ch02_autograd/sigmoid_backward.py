"""Exercise: the backward of a custom `torch.autograd.Function`."""

from __future__ import annotations

import torch

from labkit.check import Exercise, expect, probes
from labkit.check.describe import shape_text
from labkit.exercises.ch02_autograd.reference import F64
from labkit.i18n import N_, _


def two_branches(function, x1, x2, grad_output) -> dict:
    """A backward pass with one ``grad_output`` through ``function.apply(x1) +
    function.apply(x2)``: the gradients of x1 and x2, and whether grad_output changed."""
    given = grad_output.clone()
    reply = probes.forward_backward(lambda a, b: function.apply(a) + function.apply(b),
                                    (x1, x2), grad_output=grad_output)
    reply["changed"] = not torch.equal(given, grad_output)
    return reply


class SigmoidBackward(Exercise):
    name = "sigmoid_backward"
    title = N_("The backward of a custom autograd.Function")
    hints = (
        N_("The derivative of s = sigmoid(x) is s * (1 - s), and forward saved s for you."),
        N_("`(s,) = ctx.saved_tensors`, then return `grad_output * s * (1 - s)`: the "
           "incoming gradient times the local derivative."),
    )
    solution = '''\
class MySigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s * (1 - s)'''

    def check(self, MySigmoid):  # noqa: N803 - the learner's class name
        kind = self.probe(probes.kind, MySigmoid, during=_("looking at `MySigmoid`"))
        is_function = kind["is_class"] and "torch.autograd.function.Function" in kind["mro"]
        found = (_("the class `{name}`").format(name=kind["mro"][0].rsplit(".", 1)[-1])
                 if kind["is_class"] else _("a `{type}`").format(type=kind["type"]))
        expect.that(is_function, checked="`MySigmoid`",
                    expected=_("a subclass of `torch.autograd.Function`"), found=found,
                    hint=_("Keep the given `class MySigmoid(torch.autograd.Function)`."))
        for x in [torch.tensor([-5.0, 0.0, 5.0], dtype=F64), self.randn(2, 3, dtype=F64),
                  self.randn(1, dtype=F64)]:
            shape = shape_text(x.shape)
            g = self.randn(*x.shape, dtype=F64)  # an incoming gradient that is not all ones
            during = _("`MySigmoid.apply(x)` and `MySigmoid.backward`, x of shape "
                       "{shape}").format(shape=shape)
            reply = self.probe(probes.forward_backward, MySigmoid, (x,), grad_output=g,
                               method="apply", during=during)
            out, grads = self.judge(reply, during), reply["grads"]
            expect.close(out, torch.sigmoid(x), name="MySigmoid.apply(x)")
            s = torch.sigmoid(x)
            expect.that(grads is not None and grads[0] is not None,
                        checked=_("the gradient of `MySigmoid.apply(x)`"),
                        expected=_("a gradient for `x` from your `backward`"),
                        found=_("none"), hint=_("Return the gradient with respect to `x`."))
            expect.close(grads[0], g * s * (1 - s),
                         subject=_("`x.grad` from `MySigmoid.backward` (x of shape "
                                   "{shape})").format(shape=shape),
                         atol=1e-8, rtol=1e-6,
                         hint=_("Multiply the incoming `grad_output` by the local derivative "
                                "s * (1 - s). `torch.autograd.gradcheck(MySigmoid.apply, "
                                "(x,))` compares the same thing on your side."))
        self._check_shared_gradient(MySigmoid)

    def _check_shared_gradient(self, MySigmoid):  # noqa: N803 - the learner's class name
        """One incoming gradient feeding two branches: a backward that scales
        ``grad_output`` in place hands the second branch a gradient already scaled."""
        x1, x2 = self.randn(4, dtype=F64), self.randn(4, dtype=F64)
        g = self.randn(4, dtype=F64)
        during = _("a backward pass through `MySigmoid.apply(x1) + MySigmoid.apply(x2)`")
        reply = self.probe(two_branches, MySigmoid, x1, x2, g, during=during)
        expect.that(not reply["changed"],
                    checked=_("the incoming gradient after {during}").format(during=during),
                    expected=_("`grad_output` left as it was"),
                    found=_("`grad_output` changed in place"),
                    hint=_("Return a new tensor, `grad_output * s * (1 - s)`: the same "
                           "`grad_output` may also feed another branch of the graph."))
        for x, grad, name in [(x1, reply["grads"][0], "x1.grad"),
                              (x2, reply["grads"][1], "x2.grad")]:
            s = torch.sigmoid(x)
            expect.close(grad, g * s * (1 - s), name=name, atol=1e-8, rtol=1e-6,
                         hint=_("Multiply the incoming `grad_output` by the local derivative "
                                "s * (1 - s), into a new tensor."))
