"""What an exercise demands of one call of learner code, and the judging of it.

A ``Contract`` travels in two halves. ``spec()`` is plain data for the learner's side,
where ``probes.guarded_call`` runs the call inside a guard and reports what happened;
``judge(reply, during)`` runs in the check and turns that report into ``Incorrect`` or
the value. ``Exercise.call`` does both; a probe that builds its own setting (a model and
an optimizer, say) calls ``guarded_call`` itself and the check calls ``judge``.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.check import verdicts
from labkit.i18n import _


@dataclass(frozen=True)
class Contract:
    rule_out: tuple[str, ...] = ()  # tool groups of labkit.check.tools
    rule_text: str | None = None  # what was expected instead (a marked constant)
    writes: tuple = ()  # arguments (positions or keywords) the call may change
    restored: tuple = ()  # arguments it may change if they come back, up to rounding
    no_grad: bool = False  # run under torch.no_grad()
    leaves: tuple = ()  # tensor arguments handed over as leaves that require gradients
    differentiable: tuple = ()  # the value's graph must reach these arguments
    returns: type | None = None  # the Python type of the value (float, int, ...)
    no_graph: bool = False  # no tensor in the value holds a graph
    printed: bool = False  # keep what the call prints
    count: bool = False  # count the work (see Exercise.no_loop)

    def spec(self) -> dict:
        return {"rule_out": tuple(self.rule_out), "writes": tuple(self.writes),
                "restored": tuple(self.restored), "no_grad": self.no_grad,
                "grad": tuple(dict.fromkeys((*self.leaves, *self.differentiable))),
                "capture": self.printed, "count": self.count}

    def judge(self, reply: dict, during: str):
        """The value, once the report shows the call kept the contract."""
        report = reply["report"]
        verdicts.tools_used(report, during, _(self.rule_text) if self.rule_text else None)
        verdicts.arguments_kept(report, during)
        if self.returns is not None:
            verdicts.returns(report, self.returns, during)
        if self.differentiable:
            verdicts.differentiable(report, names_of(report, self.differentiable), during)
        if self.no_graph:
            verdicts.no_graph(report, during)
        return reply["value"]


def names_of(report: dict, keys: tuple) -> tuple[str, ...]:
    """The learner's names for the arguments at ``keys`` (positions or keywords)."""
    names = report.get("names", {})
    return tuple(names.get(str(k), str(k)) for k in keys)
