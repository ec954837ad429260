"""The check's side of a guarded call: what the guard's report means for the learner.

Each function raises ``Incorrect`` with the fixed message form, or returns quietly.
They run in the check (the grader's process), on the plain data the guard sent back.
"""

from __future__ import annotations

from labkit.check.signals import Incorrect
from labkit.check.tools import words_of
from labkit.i18n import N_, _

# What `fingerprint.changes` says changed, in words.
_CHANGES = {"values": N_("its values"), "gradient": N_("its `.grad`"),
            "storage": N_("its data (`.data` or `set_`)"), "shape": N_("its shape"),
            "requires_grad": N_("its `requires_grad`"),
            "swapped": N_("a tensor there swapped for another, added or removed")}


def tools_used(report: dict, during: str, expected: str | None = None) -> None:
    """A ruled-out tool was used: incorrect, naming the tool and the learner's line."""
    used = report.get("used") or []
    if not used:
        return
    first = used[0]
    found = _("`{name}`, from {group}").format(name=first["name"],
                                                group=_(words_of(first["group"])))
    if first.get("where"):
        found = _("{found}, at {where}").format(found=found, where=first["where"])
    if expected is None:
        expected = _("the computation written out, without {group}").format(
            group=_(words_of(first["group"])))
    raise Incorrect(_("how {during} computes its result").format(during=during), expected,
                    found, _("Write the computation out yourself, as the exercise asks."))


def arguments_kept(report: dict, during: str, hint: str | None = None) -> None:
    """An argument the call was not meant to change was changed in place: incorrect."""
    changed = report.get("changed") or []
    if not changed:
        return
    path, what = changed[0]
    raise Incorrect(
        _("the arguments after {during}").format(during=during),
        _("the arguments left as they were"),
        _("your function changed its argument `{path}` in place ({what})").format(
            path=path, what=_(_CHANGES.get(what, what))),
        hint or _("Compute into new tensors: in-place operations (names ending in `_`, "
                  "`x[...] = ...`, `+=`, `.data = ...`) change the caller's tensor."))


def returns(report: dict, kind: type, during: str, hint: str | None = None) -> None:
    """The value is of the Python type the exercise asks for (a float, not a tensor)."""
    found = report.get("facts", {}).get("type", "?")
    ok = {float: ("float", "numpy.float64", "numpy.float32"),
          int: ("int", "numpy.int64", "numpy.int32"),
          bool: ("bool", "numpy.bool_", "numpy.bool")}.get(kind, (kind.__qualname__,))
    if found not in ok:
        raise Incorrect(_("the type of the value {during} returns").format(during=during),
                        f"`{kind.__qualname__}`", f"`{found}`", hint)


def differentiable(report: dict, inputs: tuple[str, ...], during: str,
                   hint: str | None = None) -> None:
    """The value is a tensor with a ``grad_fn`` whose graph leads back to ``inputs``."""
    facts = report.get("facts", {})
    checked = _("whether you could call `backward()` on what {during} returns").format(
        during=during)
    if facts.get("grad_fn") is None:
        found = (_("a tensor with no `grad_fn` (cut off from the graph, e.g. by `.detach()`, "
                   "`.item()` or `torch.tensor(...)`)") if "grad_fn" in facts
                 else _("a `{type}`, not a tensor").format(type=facts.get("type", "?")))
        raise Incorrect(checked, _("a tensor with a `grad_fn`"), found, hint or _(
            "Return the tensor your computation produced, without `.detach()`, `.item()` or "
            "a new `torch.tensor(...)`."))
    missing = [name for name in inputs if name not in facts.get("reaches", [])]
    if missing:
        raise Incorrect(checked, _("a graph that leads back to `{name}`").format(
                            name=missing[0]),
                        _("a graph that does not reach `{name}`").format(name=missing[0]),
                        hint)


def no_graph(report: dict, during: str, hint: str | None = None) -> None:
    """Logged values hold no autograd graph (each one would keep its step's graph alive)."""
    facts = report.get("facts", {})
    held = facts.get("with_graph") or ([""] if facts.get("grad_fn") else [])
    if held:
        raise Incorrect(
            _("the values {during} keeps").format(during=during),
            _("plain numbers (e.g. `loss.item()`), which hold no graph"),
            _("a tensor with a `grad_fn` at `{where}`: it keeps that step's whole graph "
              "in memory").format(where=held[0] or "result"),
            hint or _("Log `loss.item()`, not `loss`: the tensor keeps its graph alive."))


def no_loop(works: list[int], sizes: tuple[int, ...], during: str,
            hint: str | None = None) -> None:
    """The work does not grow with the input: no Python loop over the data."""
    if _grows(works, sizes):
        raise Incorrect(
            _("how the work of {during} grows with the input").format(during=during),
            _("the same operations for every input size (no loop, comprehension, `map` or "
              "recursion over the data)"),
            _("{low} steps for size {n_low} and {high} for size {n_high}: a loop over the "
              "data").format(low=works[0], n_low=sizes[0], high=works[-1], n_high=sizes[-1]),
            hint or _("Use whole-tensor operations (broadcasting, indexing, reductions) "
                      "instead of visiting the entries one by one."))


def loops(works: list[int], sizes: tuple[int, ...], during: str,
          hint: str | None = None) -> None:
    """The work grows with the input: the loops the exercise asks for are really there."""
    if not _grows(works, sizes):
        raise Incorrect(
            _("how the work of {during} grows with the input").format(during=during),
            _("loops that visit every position"),
            _("the same number of steps ({count}) for every input size").format(
                count=works[0]),
            hint or _("Write the loops yourself, as the exercise asks."))


def _grows(works: list[int], sizes: tuple[int, ...]) -> bool:
    """Each step up in size adds work in proportion: at least half an operation per
    extra element (a vectorised call does the same operations at every size)."""
    steps = zip(works, works[1:], sizes, sizes[1:], strict=False)
    return all(high - low >= max(1, (n_high - n_low) // 2)
               for low, high, n_low, n_high in steps)
