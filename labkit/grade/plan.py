"""Step 3, plan: which cells each exercise needs, and where in the notebook it is judged.

Running every cell of every notebook is what makes grading slow: a chapter trains
models in cells no exercise depends on. For each exercise we walk back from its check
cell and keep the cells that bind, or may change, a name the exercise needs, then the
names those cells read, and so on. When in doubt a cell is kept: a cell that does not
parse, a name passed to a call or used with a method (it may be changed in place).

An exercise is judged where "Run All" leaves the learner's answer: after its check cell
and after the last answer cell that binds one of its variables, wherever the learner
put the check cell. Exercises are judged in that order, so a submission that crashes later
keeps the points it had already earned.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from labkit.notebook.build import CHECK_CALL

_BUILTINS = set(dir(builtins)) | {"get_ipython", "display"}


@dataclass
class CellCode:
    source: str
    parsed: bool = True
    binds: set[str] = field(default_factory=set)  # names assigned, defined or imported
    rebinds: set[str] = field(default_factory=set)  # bound unconditionally, never read
    reads: set[str] = field(default_factory=set)
    deferred: set[str] = field(default_factory=set)  # read inside function bodies
    changes: set[str] = field(default_factory=set)  # objects possibly changed in place
    defines: set[str] = field(default_factory=set)  # def / class names
    imports: set[str] = field(default_factory=set)  # names bound by import

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
    _Scan(info).visit_scope(tree, frozenset(), top=True)
    info.deferred -= _BUILTINS
    for node in tree.body:  # top-level, unconditional bindings
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.defines.add(node.name)
            info.rebinds.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and getattr(node, "value", None):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            info.rebinds |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = {(a.asname or a.name).split(".")[0] for a in node.names}
            info.rebinds |= names
            info.imports |= names
    info.rebinds -= info.reads
    info.reads -= _BUILTINS
    return info


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Scan:
    """Global reads and bindings of a cell; a function's own local names are not reads,
    and only module-level code counts as changing an object in place."""

    def __init__(self, info: CellCode):
        self.info = info
        self.depth = 0  # > 0 inside a function body: its reads happen when it is called

    def visit_scope(self, node, local: frozenset, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child, local, top)

    def visit(self, node, local: frozenset, top: bool) -> None:
        info = self.info
        if isinstance(node, _FUNCTIONS):
            if not isinstance(node, ast.Lambda):
                if top or not local:
                    info.binds.add(node.name)
                for d in node.decorator_list:
                    self.visit(d, local, top)
            for d in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                self.visit(d, local, top)
            body = node.body if isinstance(node.body, list) else [node.body]
            inner = local | _arguments(node.args) | _locals(body)
            self.depth += 1
            for statement in body:
                self.visit(statement, inner, False)
            self.depth -= 1
            return
        if isinstance(node, _COMPREHENSIONS):
            targets = {n.id for g in node.generators for n in ast.walk(g.target)
                       if isinstance(n, ast.Name)}
            for child in ast.iter_child_nodes(node):
                self.visit(child, local | targets, top)
            return
        if isinstance(node, ast.ClassDef):
            if top or not local:
                info.binds.add(node.name)
            for child in [*node.bases, *node.keywords, *node.decorator_list]:
                self.visit(child, local, top)
            for statement in node.body:  # the class body's names are not module names
                self.visit(statement, local | {"<class body>"}, False)
            return
        if isinstance(node, ast.Name):
            if node.id in local:
                return
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                info.binds.add(node.id)
            else:
                info.reads.add(node.id)
                if self.depth:
                    info.deferred.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not local:
            for alias in node.names:
                info.binds.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Global):
            info.binds.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name and not local:
            info.binds.add(node.name)
        elif top or not local:
            self._changes(node, local)
        self.visit_scope(node, local, top)

    def _changes(self, node, local: frozenset) -> None:
        found = set()
        if isinstance(node, ast.Call):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                found |= _root_names(arg)
            if isinstance(node.func, ast.Attribute):
                found |= _root_names(node.func.value)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)):
            found |= _root_names(node.value)
        elif isinstance(node, ast.AugAssign):
            found |= _root_names(node.target)
        self.info.changes |= found - local


def _arguments(args: ast.arguments) -> frozenset:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a]
    return frozenset(a.arg for a in every)


def _locals(body) -> frozenset:
    """Names a function body assigns (its locals), minus those it declares global."""
    assigned, declared = set(), set()
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                assigned.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                assigned.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                assigned |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.ExceptHandler) and node.name:
                assigned.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                declared |= set(node.names)
    return frozenset(assigned - declared)


def _root_names(node) -> set[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def needed_cells(cells: list[CellCode], names, before: int) -> list[int]:
    """Indices of the cells before ``before`` that the names depend on, in order.

    A function reads its globals when it is called, so a name read inside a function
    body may be bound by a later cell: the walk repeats from the check, with those
    names added, until nothing new is chosen. (A name read at a cell's top level only
    needs the cells before that cell, which the walk already covers.)
    """
    wanted, chosen = set(names), set()
    for _ in range(20):
        found = set(_walk_back(cells, wanted, before))
        if found <= chosen:
            break
        chosen |= found
        wanted = set(names).union(*(cells[i].deferred for i in chosen))
    return sorted(chosen)


def _walk_back(cells: list[CellCode], names, before: int) -> list[int]:
    # Calling a function, or a module's function (`torch.manual_seed(0)`), does not
    # count as changing that function or module.
    functions = set().union(*(c.defines | c.imports for c in cells)) if cells else set()
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


@dataclass
class Plan:
    code: list[CellCode]
    order: list  # exercise classes, in the order they are judged
    positions: dict[str, int]  # exercise name -> index of the first cell after it
    needed: set[int]  # cells any exercise needs
    gone: dict[str, str]  # exercise name -> a variable whose defining cell was deleted


def step(work) -> None:
    from labkit.check.exercise import variables

    cells = work.restored.cells
    code = [analyse(c.source) for c in cells]
    variables_of = {e.name: set(variables(e)) for e in work.exercises}
    positions = judged_at(code, cells, variables_of)
    present = set().union(*(c.binds for c in code)) if code else set()
    deleted = set().union(*(analyse(c.source).binds for c in work.restored.missing)) if (
        work.restored.missing) else set()
    gone = {}
    for exercise in work.exercises:
        lost = sorted(n for n in variables_of[exercise.name] if n in deleted - present)
        if lost:
            gone[exercise.name] = lost[0]
    order = sorted(work.exercises, key=lambda e: positions[e.name])
    needed = set().union(*(needed_cells(code, variables_of[e.name], positions[e.name])
                           for e in work.exercises)) if work.exercises else set()
    work.plan = Plan(code, order, positions, needed, gone)


def judged_at(code: list[CellCode], cells, variables_of) -> dict[str, int]:
    """For each exercise, the index of the first cell after its check cell and after the
    last answer cell (an exercise cell, or one the learner added) that binds one of its
    variables: where "Run All" has left the learner's answer, wherever the learner put
    the check cell. Cells of the chapter itself that use the answer later (training
    with it, say) do not move the exercise: it is judged as the chapter checks it."""
    checks: dict[str, int] = {}
    for index, cell in enumerate(cells):
        for name in CHECK_CALL.findall(cell.source):
            checks.setdefault(name, index)
    out = {}
    for name, wanted in variables_of.items():
        last = max((i for i, (c, cell) in enumerate(zip(code, cells, strict=True))
                    if (cell.exercise or cell.origin == "added")
                    and (c.binds & wanted or (not c.parsed and c.mentions(wanted)))),
                   default=-1)
        out[name] = min(max(checks.get(name, len(code) - 1), last) + 1, len(code))
    return out
