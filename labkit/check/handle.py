"""A handle: how a check holds a learner object without touching it.

A check sees plain data (tensors, numbers, strings and lists, tuples and dicts of
them) by value. Everything else the learner made (a function, a class, a model) stays
where the learner's code runs and reaches the check as a ``Handle``. The only things a
check may do with a handle are pass it to ``self.call`` or ``self.probe``. Anything else
(an attribute, ``isinstance``, iteration, arithmetic, truth) raises ``TouchedLearnerObject``,
which ``run_check`` reports as the learner's incorrect answer: plain data was expected
where the learner's code gave an object (a model instead of a number).
"""

from __future__ import annotations


class TouchedLearnerObject(RuntimeError):
    """A check used a learner object directly instead of through a call or a probe.

    Checks expect plain data where a correct answer gives plain data, so this happens
    when the learner's code returned something else (``run_check`` says so)."""

    def __init__(self, type_name: str, operation: str):
        super().__init__(
            f"the check used {operation} on the learner's `{type_name}` directly. Checks "
            "reach learner objects only through self.call(...) or self.probe(...), which "
            "return plain data.")
        self.type_name, self.operation = type_name, operation


def is_handle(value) -> bool:
    # type() and `is`: isinstance would itself count as touching the object.
    return type(value) is Handle


def _refuse(operation: str):
    def method(self, *args, **kwargs):
        kind = object.__getattribute__(self, "_type")
        raise TouchedLearnerObject(kind, operation)
    return method


class Handle:
    """An opaque reference to a learner object kept by a host (see labkit.check.host)."""

    __slots__ = ("_ref", "_type", "_host")

    def __init__(self, ref: int, type_name: str, host):
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_host", host)

    @property
    def type_name(self) -> str:
        """The learner object's type name, for messages only (the learner can choose it)."""
        return object.__getattribute__(self, "_type")

    def __repr__(self) -> str:
        return f"<learner object: {self.type_name}>"

    def __getattr__(self, name):  # only reached for names Handle does not define
        _refuse(f"`.{name}`")(self)

    @property
    def __class__(self):  # noqa: PLE0307 - makes isinstance(handle, SomeClass) refuse
        _refuse("`isinstance`")(self)

    __setattr__ = _refuse("attribute assignment")
    __delattr__ = _refuse("attribute deletion")
    __call__ = _refuse("a direct call (use self.call)")
    __iter__ = _refuse("iteration")
    __len__ = _refuse("`len`")
    __bool__ = _refuse("truth testing")
    __getitem__ = _refuse("indexing")
    __setitem__ = _refuse("item assignment")
    __contains__ = _refuse("`in`")
    __eq__ = _refuse("`==`")
    __ne__ = _refuse("`!=`")
    __lt__ = _refuse("`<`")
    __le__ = _refuse("`<=`")
    __gt__ = _refuse("`>`")
    __ge__ = _refuse("`>=`")
    __add__ = __radd__ = _refuse("arithmetic")
    __sub__ = __rsub__ = _refuse("arithmetic")
    __mul__ = __rmul__ = _refuse("arithmetic")
    __matmul__ = __rmatmul__ = _refuse("arithmetic")
    __truediv__ = __rtruediv__ = _refuse("arithmetic")
    __neg__ = _refuse("arithmetic")
    __float__ = _refuse("`float`")
    __int__ = _refuse("`int`")
    __index__ = _refuse("`int`")
    __enter__ = _refuse("`with`")
    __hash__ = object.__hash__  # identity only: handles may be dict keys

    def __reduce__(self):
        return (_HandleRef, (object.__getattribute__(self, "_ref"),))

    def ref(self) -> _HandleRef:
        return _HandleRef(object.__getattribute__(self, "_ref"))


class _HandleRef:
    """What travels to the learner's side in place of a handle: just its number."""

    __slots__ = ("ref",)

    def __init__(self, ref: int):
        self.ref = ref

    def __reduce__(self):
        return (_HandleRef, (self.ref,))
