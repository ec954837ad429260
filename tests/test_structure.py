"""The shape of labkit: an engine that knows no content, chapters that stand alone, small
exercise modules, and imports that never go round in a circle."""

import ast
from pathlib import Path

import pytest

LABKIT = Path(__file__).resolve().parents[1] / "labkit"
EXERCISES = LABKIT / "exercises"
MAX_EXERCISE_LINES = 260


def _imports(path: Path) -> set[str]:
    """Every labkit module ``path`` imports (at top level or inside functions)."""
    package = ".".join(("labkit", *path.relative_to(LABKIT).parent.parts))
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("labkit")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.startswith("labkit"):
                found.add(module)
                found |= {f"{module}.{a.name}" for a in node.names}
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(LABKIT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in LABKIT.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    """module -> the labkit modules it imports (names that are modules only). A package
    that hands work to its own submodules is not a circle with them."""
    return {name: {m for m in _imports(path) if m in MODULES and m != name
                   and not (path.name == "__init__.py" and m.startswith(f"{name}."))}
            for name, path in MODULES.items()}


def test_the_check_engine_imports_no_chapter():
    """Does labkit/check (and the grader) stay free of chapter content?"""
    offenders = [f"{name} imports {m}" for name, path in MODULES.items()
                 if name.startswith(("labkit.check", "labkit.grade"))
                 for m in _imports(path) if m.startswith("labkit.exercises.ch")]
    assert offenders == []
    offenders = [f"{name} imports {m}" for name, path in MODULES.items()
                 if name.startswith("labkit.check")
                 for m in _imports(path) if m.startswith("labkit.exercises")]
    assert offenders == []


def test_chapters_never_import_each_other():
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith("labkit.exercises.ch"):
            continue
        own = ".".join(name.split(".")[:3])
        offenders += [f"{name} imports {m}" for m in _imports(path)
                      if m.startswith("labkit.exercises.") and not m.startswith(own)]
    assert offenders == []


def test_every_chapter_is_a_folder_of_small_modules():
    loose = [p.name for p in EXERCISES.glob("ch*.py")]
    assert loose == [], "a chapter is a folder labkit/exercises/chNN_name/"
    long = [f"{p.relative_to(LABKIT)}: {n} lines"
            for p in EXERCISES.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_EXERCISE_LINES]
    assert long == [], f"split these exercise modules (at most ~250 lines): {long}"


def test_no_import_circle_in_labkit():
    """Is the import graph of labkit's modules free of cycles?"""
    graph = _graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend(stack[stack.index(nxt):] + [node, nxt] if nxt in stack
                             else [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, [*stack, node]):
                return True
        state[node] = 2
        return False

    for node in sorted(graph):
        if state.get(node) is None and visit(node, []):
            break
    assert cycle == [], " -> ".join(cycle)


@pytest.mark.parametrize("name", ["labkit.check", "labkit.exercises"])
def test_packages_that_must_stay_light_import_no_chapter_at_import(name):
    import subprocess
    import sys

    code = (f"import sys, {name}; "
            "print(sorted(m for m in sys.modules if m.startswith('labkit.exercises.ch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
