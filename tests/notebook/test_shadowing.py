"""A widget's callback runs long after its cell: later cells must not rebind its names.

Chapter 00 once had `label = widgets.Label()` with a slider callback that set
`label.value`, and a later cell's `image, label = train_set[i]`: after Run All the slider
did nothing, and the AttributeError showed only in JupyterLab's log console.

For every learner notebook, this test finds the names that must keep their meaning once
a widget is shown: names bound to an ipywidgets object, and the globals read by a
callback (`.observe`, `.on_click`, `.on_submit`, `interactive`, `interact`,
`interactive_output`, labkit's `explore`), following the notebook's own functions they
call. A later top-level binding of such a name (assignment, loop, import, def, with)
fails, naming both cells.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted(
    p for p in (REPO / "notebooks").glob("*/*.ipynb") if p.parent.name != "src")
CALLBACK_METHODS = {"observe", "on_click", "on_submit", "on_trait_change"}
CALLBACK_FUNCTIONS = {"interactive", "interact", "interact_manual", "interactive_output",
                      "explore"}


def _python(source: str) -> ast.Module:
    """A cell as Python: IPython magics (%pip, !ls) become plain calls first."""
    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the notebook's namespace."""
    names = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.ClassDef)) and child is not node:
            names.add(child.name)
    # Comprehension variables stay local in Python 3.
    for comp in ast.walk(node):
        if isinstance(comp, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for gen in comp.generators:
                names -= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
    return names


def _free_names(function: ast.AST) -> set[str]:
    """Globals a function reads: loaded names that are neither local nor builtins."""
    local = set()
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = function.args
        local |= {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a}
    body = function.body if isinstance(function.body, list) else [function.body]
    for stmt in body:
        for child in ast.walk(stmt):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                local.add(child.id)
            elif isinstance(child, ast.arg):
                local.add(child.arg)
    declared = {n for stmt in body for child in ast.walk(stmt)
                if isinstance(child, (ast.Global, ast.Nonlocal)) for n in child.names}
    loaded = {child.id for stmt in body for child in ast.walk(stmt)
              if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)}
    return (loaded - local | (loaded & declared)) - set(dir(builtins))


def _widget_modules(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names of the ipywidgets module, names imported from it)."""
    modules, members = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "ipywidgets"}
        elif isinstance(node, ast.ImportFrom) and node.module == "ipywidgets":
            members |= {a.asname or a.name for a in node.names}
    return modules, members


def watched_names(notebook: Path) -> list[tuple[str, int, str, set[int]]]:
    """(name, cell number, why, cells that may bind it) for every name to keep."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [(n, _python(c.source)) for n, c in enumerate(nb.cells, start=1)
             if c.cell_type == "code"]
    modules, members = set(), set()
    functions: dict[str, ast.AST] = {}
    watched = []
    for number, tree in cells:
        m, f = _widget_modules(tree)
        modules, members = modules | m, members | f
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[node.name] = node
        for node in tree.body:
            # A widget bound to a name: `name = widgets.Something(...)`.
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                func = node.value.func
                is_widget = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                             and func.value.id in modules) or (
                    isinstance(func, ast.Name) and func.id in members)
                if is_widget:
                    for target in node.targets:
                        for name in ast.walk(target):
                            if isinstance(name, ast.Name):
                                watched.append((name.id, number, "holds a widget"))
        # Callbacks: what they read, following the notebook's own functions.
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or not call.args:
                continue
            name = (call.func.attr if isinstance(call.func, ast.Attribute) and
                    call.func.attr in CALLBACK_METHODS else
                    getattr(call.func, "id", getattr(call.func, "attr", None)))
            if name not in CALLBACK_METHODS | CALLBACK_FUNCTIONS:
                continue
            callback = call.args[0]
            pending = ([callback.id] if isinstance(callback, ast.Name) else []) + (
                sorted(_free_names(callback)) if isinstance(callback, ast.Lambda) else [])
            seen = set()
            while pending:
                current = pending.pop()
                if current in seen:
                    continue
                seen.add(current)
                if current in functions:
                    pending += sorted(_free_names(functions[current]))
            for used in sorted(seen):
                watched.append((used, number, f"is read by the callback given to `{name}`"))
    bindings = {number: _bound_all(tree) for number, tree in cells}
    return [(name, number, why, {n for n, b in bindings.items() if n > number and name in b})
            for name, number, why in watched]


def _bound_all(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        names |= _bound(node)
    return names


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_widget_names_are_not_rebound_later(notebook):
    problems = [f"`{name}` {why} (cell {cell}) but cell {later} binds it again"
                for name, cell, why, rebinding in watched_names(notebook)
                for later in sorted(rebinding)]
    assert not problems, f"{notebook.name}: " + "; ".join(problems)


SHADOWED = '''\
import ipywidgets as widgets
slider = widgets.IntSlider()
label = widgets.Label()
def show(change=None):
    label.value = str(slider.value)
slider.observe(show, names="value")
'''


@pytest.mark.parametrize("later, caught", [
    ("for i in range(3):\n    image, label = i, i", True),   # the chapter 00 bug
    ("def show(change):\n    pass", True),                      # the callback replaced
    ("labels = [1, 2]\nvalue = 3", False),                      # other names are fine
    ("[label for label in range(3)]", False),                   # comprehensions are local
])
def test_the_check_catches_a_rebound_widget(tmp_path, later, caught):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SHADOWED),
                                         nbformat.v4.new_code_cell(later)])
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    found = [name for name, _, _, later_cells in watched_names(path) if later_cells]
    assert bool(found) is caught, found
