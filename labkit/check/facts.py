"""Facts about a learner's return value that do not survive the trip to the check.

Values cross to the check as plain data: tensors arrive detached, a NumPy float arrives
as a float. What the exercise may demand of the value itself is read here, beside the
learner's code: its exact type, whether it is a tensor you could call ``backward()`` on
and which inputs its graph leads back to, and whether values logged in a list still
hold a graph (``running_loss += loss`` keeps every step's graph alive).
"""

from __future__ import annotations

import torch

MAX_NODES = 20_000
MAX_LISTED = 5


def type_path(value) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else (
        f"{kind.__module__}.{kind.__qualname__}")


def of(value, inputs: dict[str, torch.Tensor]) -> dict:
    """Plain facts about ``value``; ``inputs`` are the arguments that require gradients."""
    out = {"type": type_path(value)}
    if isinstance(value, torch.Tensor):
        out["grad_fn"] = type(value.grad_fn).__name__ if value.grad_fn is not None else None
        out["requires_grad"] = value.requires_grad
        out["reaches"] = sorted(_reached(value, inputs)) if value.grad_fn is not None else []
    elif isinstance(value, (list, tuple, dict)):
        out["with_graph"] = _with_graph(value)
    return out


def _reached(value: torch.Tensor, inputs: dict[str, torch.Tensor]) -> set[str]:
    """Names of the inputs whose gradient a backward pass from ``value`` would reach."""
    wanted = {id(t): name for name, t in inputs.items()}
    found, seen, todo = set(), set(), [value.grad_fn]
    while todo and len(seen) < MAX_NODES:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)  # an AccumulateGrad node: a leaf
        if variable is not None and id(variable) in wanted:
            found.add(wanted[id(variable)])
        todo.extend(next_node for next_node, _index in node.next_functions)
    return found


def _with_graph(value, path: str = "", depth: int = 0) -> list[str]:
    """Paths (``[3]``, ``['loss']``) of the tensors inside ``value`` that hold a graph."""
    out: list[str] = []
    if depth > 4:
        return out
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        where = f"{path}[{key!r}]"
        if isinstance(item, torch.Tensor) and item.grad_fn is not None:
            out.append(where)
        elif isinstance(item, (list, tuple, dict)):
            out.extend(_with_graph(item, where, depth + 1))
        if len(out) >= MAX_LISTED:
            break
    return out[:MAX_LISTED]
