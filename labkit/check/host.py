"""Where learner objects live, and the one door a check reaches them through.

A check never holds a learner object. It asks a *host* to look a variable up, or to
run a *probe* (a function of labkit's, see ``labkit.check.probes``) on learner objects;
what comes back is plain data or a ``Handle``. Two hosts serve the same requests:

- ``LocalHost``: in a notebook, the learner's own ``globals()``, in the same process.
- the grader's remote host (``labkit.grade.child``): the learner's objects live in a
  child process; requests and replies cross a pipe as bytes.

Both run ``LearnerSide.handle`` on the learner's side and ``decode`` the reply on the
check's side, so a check behaves the same in a notebook and in the grader.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import pickle
from collections.abc import Mapping

import torch

from labkit import i18n
from labkit.check import plain
from labkit.check.describe import cut
from labkit.check.handle import _HandleRef, is_handle
from labkit.check.origin import learner_line
from labkit.check.signals import Incorrect, LearnerError, NotAttempted, is_stub_error
from labkit.i18n import _

PLACEHOLDER = ...


class ProbeFailed(RuntimeError):
    """A probe itself failed on the learner's side (a checker bug, not the learner's)."""


class NotCallable(TypeError):
    """Raised by the call probe when the learner's value cannot be called."""

    def __init__(self, type_name: str):
        super().__init__(type_name)
        self.type_name = type_name


def call_learner(fn, *args, **kwargs):
    """Call a learner object from a probe: whatever it raises is the learner's.

    Errors raised right at the call (a wrong signature) or inside library code the
    learner's object runs (an ``nn.Sequential`` of built-in layers) have no learner
    line in their traceback; this marks them as the learner's all the same.
    """
    if not callable(fn):
        raise NotCallable(type(fn).__name__)
    try:
        return fn(*args, **kwargs)
    except (Incorrect, NotAttempted, LearnerError):
        raise
    except (Exception, SystemExit) as err:
        err.__labkit_learner__ = getattr(fn, "__name__", type(fn).__name__)
        raise


def probe_name(function) -> str:
    """``module:qualname`` of a probe function, as it travels in a request."""
    module, qualname = function.__module__, function.__qualname__
    if "<locals>" in qualname or module == "__main__":
        raise ValueError(f"probe {qualname!r} must be a module-level function of a module "
                         "that the learner's side can import")
    return f"{module}:{qualname}"


# --- the learner's side -------------------------------------------------------------

class LearnerSide:
    """Keeps learner objects and answers requests about them with bytes."""

    def __init__(self, namespace: Mapping, *, allowed_modules: tuple[str, ...] = ("labkit.",)):
        self.namespace = namespace
        self.objects: dict[int, object] = {}
        self._numbers = itertools.count(1)
        self._ids: dict[int, int] = {}
        self.allowed_modules = allowed_modules

    def keep(self, obj) -> int:
        number = self._ids.get(id(obj))
        if number is None or self.objects.get(number) is not obj:
            number = next(self._numbers)
            self.objects[number] = obj
            self._ids[id(obj)] = number
        return number

    def handle(self, request_bytes: bytes) -> bytes:
        try:
            request = pickle.loads(request_bytes)
        except Exception as err:
            return plain.encode(("probe_error", type(err).__name__, cut(str(err), 300)))
        try:
            if request["op"] == "lookup":
                reply = self._lookup(request["name"])
            else:
                reply = self._probe(request)
            return plain.encode(reply)
        except plain.TooLarge as err:
            return plain.encode(("too_large", err.reason))
        except plain.Refused as refused:  # the learner's value cannot travel: their answer
            return plain.encode(("incorrect", _("the value your code gave back"),
                                 refused.reason, _("a value a check cannot receive"), None))

    def _lookup(self, name: str):
        if name not in self.namespace:
            return ("missing",)
        value = self.namespace[name]
        if value is PLACEHOLDER:
            return ("placeholder",)
        return ("ok", plain.export(value, self.keep))

    def _probe(self, request: dict):
        with i18n.language(request.get("language")):
            return self._probe_in_language(request)

    def _probe_in_language(self, request: dict):
        during = _(request.get("during") or "your code")
        try:
            function = self._resolve_probe(request["probe"])
            args = self._resolve(request["args"])
            kwargs = self._resolve(request["kwargs"])
        except Exception as err:
            return ("probe_error", type(err).__name__, cut(str(err), 300))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(request.get("seed", 0))
            try:
                value = function(*args, **kwargs)
                return ("ok", plain.export(value, self.keep))
            except NotCallable as err:
                return ("incorrect", during, _("something callable (a function or a class)"),
                        _("a `{type}`").format(type=err.type_name), None)
            except Incorrect as sig:
                return ("incorrect", sig.checked, sig.expected, sig.found, sig.hint)
            except NotAttempted as sig:
                return ("not_attempted", sig.reason)
            except LearnerError as sig:
                return ("learner_error", sig.type_name, sig.message, sig.where, sig.during)
            except (Exception, SystemExit) as err:
                return _classify(err, during, _learner_objects(request, self))

    def _resolve_probe(self, name: str):
        module_name, _colon, qualname = name.partition(":")
        if not any(module_name.startswith(p) or module_name == p.rstrip(".")
                   for p in self.allowed_modules):
            raise ValueError(f"probe {name!r} is not from an allowed module")
        target = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        return target

    def _resolve(self, value):
        if type(value) is _HandleRef:
            return self.objects[value.ref]
        if type(value) in (list, tuple):
            return type(value)(self._resolve(v) for v in value)
        if type(value) is dict:
            return {k: self._resolve(v) for k, v in value.items()}
        return value


def _learner_objects(request: dict, side: LearnerSide) -> list[str]:
    """Type names of the learner objects a probe was given (its handles)."""
    found: list[str] = []

    def walk(value):
        if type(value) is _HandleRef:
            found.append(type(side.objects.get(value.ref)).__name__)
        elif type(value) in (list, tuple):
            for item in value:
                walk(item)
        elif type(value) is dict:
            for item in value.values():
                walk(item)

    walk((request.get("args"), request.get("kwargs")))
    return found


def _classify(err: BaseException, during: str, learner_objects=()):
    """An exception inside a probe: the learner's stub, the learner's error, a learner
    object that is not what the step needs, or a probe bug."""
    if is_stub_error(err):
        return ("not_attempted",
                _("{during} still raises `NotImplementedError`: replace the placeholder with "
                  "your code, run the cell, then check again.").format(during=during))
    where = learner_line(err)
    if where is None:
        marked = getattr(err, "__labkit_learner__", None)
        if marked is None and learner_objects and isinstance(
                err, (AttributeError, TypeError, ValueError, KeyError, IndexError)):
            # labkit's probe could not use what the learner gave it (a function where a
            # model belongs, a class where an instance does): the learner's answer is wrong
            return ("incorrect", during, _("an object this step can use"),
                    _("a `{type}` that it cannot use ({error})").format(
                        type=learner_objects[0], error=cut(f"{type(err).__name__}: {err}",
                                                           120)), None)
        if marked is None:
            return ("probe_error", type(err).__name__, cut(str(err), 300))
        where = _("in a call of your `{name}`").format(name=marked)
    return ("learner_error", type(err).__name__, cut(str(err), 300), where, during)


# --- the check's side ---------------------------------------------------------------

def probe_seed(seed: int, number: int) -> int:
    """The global seed a probe's call runs under: fixed by the check's seed and the
    probe's number, but one-way, so learner code that reads ``torch.initial_seed()``
    learns nothing of the seed the check draws its hidden inputs from."""
    digest = hashlib.sha256(f"labkit-probe:{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 2**63


class Host:
    """The check's side of the door: ``lookup`` a variable, ``run`` a probe."""

    def __init__(self):
        self.seed = 0
        self._requests = itertools.count()

    def exchange(self, request: bytes) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def lookup(self, name: str):
        """("missing",), ("placeholder",) or ("ok", value)."""
        reply = self._ask({"op": "lookup", "name": name})
        if reply[0] in ("missing", "placeholder", "ok"):
            return reply
        return self._raise(reply)

    def run(self, probe, args: tuple, kwargs: dict, *, during: str):
        request = {"op": "probe", "probe": probe_name(probe), "args": _refs(args),
                   "kwargs": _refs(kwargs), "during": during,
                   "seed": probe_seed(self.seed, next(self._requests)),
                   # messages made on the learner's side speak the check's language
                   "language": i18n.current()}
        reply = self._ask(request)
        if reply[0] == "ok":
            return reply[1]
        return self._raise(reply)

    def _ask(self, request: dict):
        data = self.exchange(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        return plain.decode(data, self)

    def _raise(self, reply):
        kind = reply[0]
        if kind == "incorrect":
            raise Incorrect(*reply[1:5])
        if kind == "not_attempted":
            raise NotAttempted(reply[1])
        if kind == "learner_error":
            raise LearnerError(*reply[1:5])
        if kind == "too_large":
            raise LearnerError("ValueError",
                               _("the result is too large to check ({why})").format(
                                   why=reply[1]), "", _("your code"))
        raise ProbeFailed(f"{reply[1]}: {reply[2]}" if len(reply) > 2 else str(reply))


def _refs(value):
    if is_handle(value):
        return value.ref()
    if type(value) in (list, tuple):
        return type(value)(_refs(v) for v in value)
    if type(value) is dict:
        return {k: _refs(v) for k, v in value.items()}
    return value


class LocalHost(Host):
    """Learner objects in this process (a notebook's ``globals()``), same protocol."""

    def __init__(self, namespace: Mapping, **options):
        super().__init__()
        self.side = LearnerSide(namespace, **options)

    def exchange(self, request: bytes) -> bytes:
        return self.side.handle(request)
