"""Which cells an exercise needs: a dependency analysis of the cells' code.

Running every cell of every notebook is what makes grading slow: a chapter trains
models in cells no exercise depends on. For each exercise we walk back from its check
cell and keep the cells that bind, or may change, a name the exercise needs, then the
names those cells read, and so on. When in doubt a cell is kept: a cell that does not
parse, a name passed to a call or used with a method (it may be changed in place).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

_BUILTINS = set(dir(builtins)) | {"get_ipython", "display"}


@dataclass
class CellCode:
    source: str
    parsed: bool = True
    binds: set[str] = field(default_factory=set)  # names assigned, defined or imported
    rebinds: set[str] = field(default_factory=set)  # bound unconditionally, never read
    reads: set[str] = field(default_factory=set)
    changes: set[str] = field(default_factory=set)  # objects possibly changed in place
    defines: set[str] = field(default_factory=set)  # def / class names

    def mentions(self, names: set[str]) -> bool:
        return any(re.search(rf"\b{re.escape(n)}\b", self.source) for n in names)


def python_of(source: str) -> str:
    """The cell as plain Python: IPython's own transform turns magics into calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def analyse(source: str) -> CellCode:
    info = CellCode(source)
    try:
        tree = ast.parse(python_of(source))
    except (SyntaxError, ValueError, RecursionError):
        info.parsed = False
        return info
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (info.binds if isinstance(node.ctx, (ast.Store, ast.Del)) else info.reads).add(
                node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.binds.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                info.binds.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Call):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                info.changes |= _root_names(arg)
            if isinstance(node.func, ast.Attribute):
                info.changes |= _root_names(node.func.value)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)):
            info.changes |= _root_names(node.value)
        elif isinstance(node, ast.AugAssign):
            info.changes |= _root_names(node.target)
        elif isinstance(node, ast.Global):
            info.binds.update(node.names)
    for node in tree.body:  # top-level, unconditional bindings
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.defines.add(node.name)
            info.rebinds.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and getattr(node, "value", None):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            info.rebinds |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            info.rebinds |= {(a.asname or a.name).split(".")[0] for a in node.names}
    info.rebinds -= info.reads
    info.reads -= _BUILTINS
    return info


def _root_names(node) -> set[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def needed_cells(cells: list[CellCode], names, before: int) -> list[int]:
    """Indices of the cells before ``before`` that the names depend on, in order.

    A function reads its globals when it is called, so a name it reads may be bound by
    a later cell: the walk repeats, with what the chosen cells read, until nothing new
    is chosen.
    """
    wanted, chosen = set(names), set()
    for _ in range(20):
        found = set(_walk_back(cells, wanted, before))
        if found <= chosen:
            break
        chosen |= found
        wanted = set(names).union(*(cells[i].reads for i in chosen))
    return sorted(chosen)


def _walk_back(cells: list[CellCode], names, before: int) -> list[int]:
    functions = set().union(*(c.defines for c in cells)) if cells else set()
    wanted = set(names)
    chosen = []
    for index in range(min(before, len(cells)) - 1, -1, -1):
        cell = cells[index]
        if not cell.parsed:
            take = cell.mentions(wanted)
        else:
            changed = (cell.changes & wanted) - functions
            take = bool(cell.binds & wanted or changed)
        if not take:
            continue
        chosen.append(index)
        if cell.parsed:
            wanted -= cell.rebinds
            wanted |= cell.reads
    return chosen
