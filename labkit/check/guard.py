"""The guard around one call of learner code: what it used, how much work it did, what
it printed. It runs on the learner's side (the notebook, or the grader's child).

- **Ruled-out tools** (``labkit.check.tools``): a dispatch mode sees every ATen operator
  the call runs, and a profile hook sees every library function that runs, by its code
  object. Whatever the spelling, the use is recorded with the learner's line. Nothing is
  patched and nothing is raised: the call goes on, and the check says what was used.
- **Work**: with ``count=True`` the guard counts operators, function calls and the lines
  the learner's own code runs. A count that grows with the input is a loop over the data,
  whatever its syntax (``for``, a comprehension, ``map``, recursion).
- **Printed output**: with ``capture=True`` what the call prints is kept (up to a cap).
"""

from __future__ import annotations

import contextlib
import io
import sys

from labkit.check import origin, tools

MAX_USES = 5
MAX_PRINTED = 20_000


class _Capped(io.StringIO):
    def write(self, text) -> int:
        room = MAX_PRINTED - self.tell()
        if room > 0:
            super().write(str(text)[:room])
        return len(text)


class Guard:
    """``with Guard(rule_out=("autograd",), count=True) as guard: fn(x)``, then
    ``guard.report()``: plain data for the check."""

    def __init__(self, *, rule_out: tuple[str, ...] = (), count: bool = False,
                 capture: bool = False):
        self.watch = tools.watch(tuple(sorted(rule_out)))
        self.count, self.capture = count, capture
        self.used: list[dict] = []
        self.operators = self.calls = self.lines = 0
        self._stack = contextlib.ExitStack()
        self._printed = _Capped() if capture else None
        self._saved_hooks = None
        self._outer = None  # the frame that entered the guard: no learner line beyond it

    # --- entering and leaving -------------------------------------------------------------
    def __enter__(self) -> Guard:
        self._outer = sys._getframe(1)
        if self.capture:
            self._stack.enter_context(contextlib.redirect_stdout(self._printed))
        if self.watch.active or self.count:
            warm_up()
            # also keeps compiled code from hiding operators (see labkit.check.tools)
            self._stack.enter_context(_dispatch_mode(self))
            self._saved_hooks = (sys.getprofile(), sys.gettrace())
            sys.setprofile(self._profile)
            if self.count:
                sys.settrace(self._trace)
        return self

    def __exit__(self, *exc) -> bool:
        self._outer = None
        if self._saved_hooks is not None:
            sys.setprofile(self._saved_hooks[0])
            sys.settrace(self._saved_hooks[1])
            self._saved_hooks = None
        self._stack.close()
        return False

    # --- what the hooks see -----------------------------------------------------------------
    def _profile(self, frame, event, arg) -> None:
        if event == "call":
            self.calls += 1
            found = self.watch.group_of_code(frame.f_code)
            if found is not None:
                self._record(found[0], found[1] or _qualified(frame), frame.f_back)
        elif event == "c_call":
            self.calls += 1

    def _trace(self, frame, event, arg):
        if event == "call" and not origin.is_library(frame.f_code.co_filename):
            return self._line
        return None

    def _line(self, frame, event, arg):
        if event == "line":
            self.lines += 1
        return self._line

    def operator(self, name: str) -> None:
        self.operators += 1
        found = self.watch.group_of_operator(name)
        if found is not None:
            self._record(found, f"torch.ops.aten.{name}", sys._getframe(2))

    def _record(self, group: str, name: str, frame) -> None:
        # The first use of each group: what it calls in turn is the same use, though a
        # decorator's wrapper (a `<locals>` function) runs first and is named by what it
        # wraps, the next function of the group (`clip_grad_norm_`, not `_no_grad_wrapper`).
        for use in self.used:
            if use["group"] == group:
                if "<locals>" in use["name"] and "<locals>" not in name:
                    use["name"] = name
                return
        if len(self.used) >= MAX_USES:
            return
        self.used.append({"group": group, "name": name,
                          "where": origin.learner_caller(frame, self._outer) or ""})

    # --- the report -----------------------------------------------------------------------
    @property
    def work(self) -> int:
        return self.operators + self.calls + self.lines

    def report(self) -> dict:
        out = {"used": list(self.used)}
        if self.count:
            out["work"] = self.work
        if self.capture:
            out["printed"] = self._printed.getvalue()
        return out


def _qualified(frame) -> str:
    module = frame.f_globals.get("__name__", "?")
    name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return f"{module}.{name.removesuffix('.__init__')}"


_WARM = []


def warm_up() -> None:
    """Run a dispatch mode once, unwatched: its first use imports torch._dynamo (seconds
    of work that must not count as the learner's, nor be seen as library code they ran)."""
    if not _WARM:
        import torch

        with _dispatch_mode(None):
            torch.zeros(1).add(1)
        _WARM.append(True)


@contextlib.contextmanager
def _dispatch_mode(guard: Guard | None):
    from torch.utils._python_dispatch import TorchDispatchMode

    class Watching(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if guard is not None and func.namespace == "aten":
                guard.operator(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    with Watching():
        yield
