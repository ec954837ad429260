"""Turn a code cell with solution regions into its learner or its solved form.

In a chapter source, reference solutions sit between marker lines::

    def relu(x):
        ### BEGIN SOLUTION
        return x.clamp(min=0)
        ### END SOLUTION

The learner form replaces each region by ``# YOUR CODE HERE`` and a stub that keeps
the notebook running: inside a block, ``raise NotImplementedError()``; at top level,
``name = ...`` for every name the solution assigns (functions get a stub body). An
author who wants a different stub writes it between ``### BEGIN STUB`` and
``### END STUB`` right after the solution; the solved form drops stub regions.
"""

from __future__ import annotations

import ast
import re
import textwrap

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_STUB, END_STUB = "### BEGIN STUB", "### END STUB"
_MARKER = re.compile(r"^(\s*)(### (?:BEGIN|END) (?:SOLUTION|STUB))\s*$")


class RegionError(ValueError):
    """A solution or stub region is malformed; the message names the line and the fix."""


def _regions(lines: list[str], where: str):
    """Yield (kind, indent, start, end) for each region; start/end are marker line numbers."""
    open_kind, start, start_indent = None, 0, ""
    for number, line in enumerate(lines):
        match = _MARKER.match(line)
        if not match:
            if "### BEGIN" in line or "### END" in line:
                raise RegionError(f"{where}, line {number + 1}: a marker must stand alone "
                                  f"on its line, e.g. `{BEGIN}`; found {line.strip()!r}")
            continue
        indent, marker = match.groups()
        if marker.startswith("### BEGIN"):
            if open_kind:
                raise RegionError(f"{where}, line {number + 1}: {marker} inside an open "
                                  f"region that started on line {start + 1}; close it first")
            open_kind, start, start_indent = marker.split()[-1], number, indent
        else:
            kind = marker.split()[-1]
            if open_kind != kind:
                raise RegionError(f"{where}, line {number + 1}: {marker} without a matching "
                                  f"### BEGIN {kind}")
            yield kind, start_indent, start, number
            open_kind = None
    if open_kind:
        raise RegionError(f"{where}, line {start + 1}: ### BEGIN {open_kind} is never closed; "
                          f"add ### END {open_kind}")


def solved(source: str, where: str = "cell") -> str:
    """The cell with solutions kept (markers removed) and stub regions dropped."""
    lines = source.split("\n")
    drop = set()
    for kind, _, start, end in _regions(lines, where):
        drop |= {start, end} if kind == "SOLUTION" else set(range(start, end + 1))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def learner(source: str, where: str = "cell") -> str:
    """The cell with solutions replaced by stubs."""
    lines = source.split("\n")
    regions = list(_regions(lines, where))
    out, position = [], 0
    for index, (kind, indent, start, end) in enumerate(regions):
        out += lines[position:start]
        position = end + 1
        if kind == "STUB":
            out += lines[start + 1:end]
            continue
        has_explicit_stub = (
            index + 1 < len(regions) and regions[index + 1][0] == "STUB"
            and not any(s.strip() for s in lines[end + 1:regions[index + 1][2]])
        )
        out.append(f"{indent}# YOUR CODE HERE")
        if not has_explicit_stub:
            body = "\n".join(lines[start + 1:end])
            out += [indent + s for s in _auto_stub(body, bool(indent), where, start)]
    out += lines[position:]
    return "\n".join(out)


def _auto_stub(body: str, nested: bool, where: str, start: int) -> list[str]:
    if nested:
        return ["raise NotImplementedError()"]
    try:
        tree = ast.parse(textwrap.dedent(body))
    except SyntaxError as err:
        raise RegionError(f"{where}, solution starting on line {start + 1} does not parse: "
                          f"{err.msg} (line {err.lineno})") from None
    stub = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stub += [f"def {node.name}({ast.unparse(node.args)}):",
                     "    raise NotImplementedError()"]
        elif isinstance(node, ast.ClassDef):
            raise RegionError(f"{where}, line {start + 1}: put the solution inside the class "
                              "body, or give an explicit ### BEGIN STUB region")
        else:
            for name in _assigned_names(node):
                if f"{name} = ..." not in stub:
                    stub.append(f"{name} = ...")
    return stub


def _assigned_names(node: ast.stmt) -> list[str]:
    """Names a statement assigns, looking inside if/for/with/try but not into defs."""
    names, todo = [], [node]
    while todo:
        current = todo.pop(0)
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                ast.Lambda)) and current is not node:
            continue
        targets = []
        if isinstance(current, ast.Assign):
            targets = current.targets
        elif isinstance(current, (ast.AnnAssign, ast.AugAssign)):
            targets = [current.target]
        for target in targets:
            names += [sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name)]
        todo += list(ast.iter_child_nodes(current))
    return names
