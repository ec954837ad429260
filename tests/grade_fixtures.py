"""Golden submissions for the grader: one small notebook per case, named after it.

Each case starts from chapter 01's learner notebook (as committed) and changes a few
cells, so the fixtures follow the chapter when it changes. ``EXPECTED`` gives each
case's submission status and points; ``STATUSES`` the exercise statuses where they
matter. The seven exercises, in notebook order: rows_of_class, pick_scores, one_hot,
batch_scores, standardize_rows, pairwise_sq_dists, fix_mse.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from labkit.exercises import ch01_tensors

ROOT = Path(__file__).resolve().parents[1]
LEARNER = ROOT / "notebooks" / "01_tensors.ipynb"
ORDER = ["rows_of_class", "pick_scores", "one_hot", "batch_scores", "standardize_rows",
         "pairwise_sq_dists", "fix_mse"]
VARIABLE = {"fix_mse": "mse"}  # the exercise whose learner name differs
RIGHT = {e.name: e.solution for e in ch01_tensors.EXERCISES}
WRONG = {
    "rows_of_class": "def rows_of_class(x, labels, k):\n    return x[labels != k]",
    "pick_scores": "def pick_scores(scores, labels):\n    return scores[:, labels]",
    "one_hot": "def one_hot(labels, num_classes):\n"
               "    return torch.zeros(len(labels), int(labels.max()) + 1)",
    "batch_scores": "def batch_scores(queries, keys):\n    return queries @ keys.mT * 2",
    "standardize_rows": "def standardize_rows(x):\n    return (x - x.mean()) / x.std()",
    "pairwise_sq_dists": "def pairwise_sq_dists(a, b):\n    return torch.cdist(a, b)",
    "fix_mse": "def mse(pred, target):\n    return ((pred.squeeze(1) - target) ** 2).sum()",
}
# Answers that match only the notebook's own example inputs.
HARD_CODED = {
    "pick_scores": "def pick_scores(scores, labels):\n"
                   "    return torch.tensor([3.0, 4.0, 10.0])",
    "rows_of_class": "def rows_of_class(x, labels, k):\n"
                     "    return torch.tensor([[0.0, 1.0, 2.0], [6.0, 7.0, 8.0]])",
}

FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"
FIND_GRADEBOOK = '''\
import glob, os
for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        args = open(cmdline, "rb").read().decode(errors="ignore").split("\\0")
    except OSError:
        continue
    if "--out" in args:
        out = args[args.index("--out") + 1]
        for name in ("gradebook.sqlite", "gradebook.csv", "planted.txt"):
            try:
                open(os.path.join(out, name), "w").write("all marks to me")
            except OSError:
                pass
for name in ("gradebook.sqlite", "../gradebook.sqlite", "../../gradebook.csv"):
    try:
        open(name, "w").write("all marks to me")
    except OSError:
        pass
'''
# A process that leaves its group and its environment behind, to outlive grading.
ESCAPE = ('import subprocess\nsubprocess.Popen(["sleep", "613"], start_new_session=True, '
          'env={}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)')
PATCH_TORCH = ("import torch\ntorch.allclose = lambda *a, **k: True\n"
               "torch.equal = lambda *a, **k: True\n"
               "torch.Tensor.__eq__ = lambda *a, **k: True\n")
PATCH_LABKIT = '''\
import labkit.check.expect as expect
import labkit.check.exercise as exercise
for name in ("close", "tensor", "that", "equal", "is_type"):
    setattr(expect, name, lambda *a, **k: None)
exercise.Exercise.check = lambda *a, **k: None
'''
FORGED = "\n".join(f'print("`{n}`: passed (1/1 point)")' for n in ORDER)


def _load() -> dict:
    return json.loads(LEARNER.read_text())


def _exercise_cells(nb) -> dict[str, dict]:
    cells = {}
    for cell in nb["cells"]:
        if "exercise" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        for name in ORDER:
            if f"def {VARIABLE.get(name, name)}(" in source:
                cells[name] = cell
    return cells


def _answer(nb, answers: dict, *, prefix: dict | None = None, suffix: dict | None = None):
    cells = _exercise_cells(nb)
    for name, source in answers.items():
        cells[name]["source"] = source
    for name, code in (prefix or {}).items():
        cells[name]["source"] = code + "\n" + "".join(cells[name]["source"])
    for name, code in (suffix or {}).items():
        cells[name]["source"] = "".join(cells[name]["source"]) + "\n" + code
    return nb


def _add_cell_after_imports(nb, source: str):
    index = next(i for i, c in enumerate(nb["cells"])
                 if "exercises.bind(" in "".join(c["source"]))
    nb["cells"].insert(index + 1, {"cell_type": "code", "id": "learner-added",
                                   "metadata": {}, "outputs": [], "execution_count": None,
                                   "source": source})
    return nb


def _drop(nb, predicate):
    nb["cells"] = [c for c in nb["cells"] if not predicate(c)]
    return nb


def right(nb):
    return _answer(nb, RIGHT)


def _with(answers, **kwargs):
    return lambda nb: _answer(nb, answers, **kwargs)


def _first(n):
    return {k: RIGHT[k] for k in ORDER[:n]}


CASES = {
    "correct": right,
    "blank": lambda nb: nb,
    "wrong": _with(WRONG),
    "partly_right": _with(_first(3)),
    "syntax_error": lambda nb: _answer(right(nb), {"one_hot": "def one_hot(labels, n:\n"}),
    "exception_at_import": lambda nb: _answer(
        right(nb), {}, prefix={"rows_of_class": "import no_such_module_anywhere"}),
    "infinite_loop": lambda nb: _answer(
        right(nb), {}, prefix={"batch_scores": "while True:\n    pass"}),
    "memory_bomb": lambda nb: _answer(
        right(nb), {}, prefix={"one_hot": "hog = bytearray(64 * 2**30)"}),
    "fork_bomb": lambda nb: _answer(right(nb), {}, prefix={"batch_scores": FORK_BOMB}),
    "sys_exit": lambda nb: _answer(right(nb), {}, suffix={"one_hot": "import sys\nsys.exit()"}),
    "os_exit_after_points": lambda nb: _answer(
        right(nb), {}, prefix={"batch_scores": "import os\nos._exit(0)"}),
    "segfault": lambda nb: _answer(
        right(nb), {}, prefix={"batch_scores": "import ctypes\nctypes.string_at(0)"}),
    "huge_output": lambda nb: _answer(
        right(nb), {}, prefix={"rows_of_class": 'print("x" * 20_000_000)'}),
    "stderr_noise": lambda nb: _answer(right(nb), {}, prefix={"rows_of_class": (
        "import sys, warnings\nfrom tqdm import tqdm\n"
        "warnings.warn('a deprecation warning')\n"
        "for _ in tqdm(range(50), file=sys.stderr):\n    pass\n"
        "sys.stderr.write('Traceback (most recent call last): fake\\n')")}),
    "edited_protected_cell": lambda nb: _edit_imports(_answer(nb, WRONG), PATCH_TORCH),
    "deleted_check_cell": lambda nb: _drop(
        right(nb), lambda c: "".join(c["source"]).strip() == "q.one_hot.check()"),
    "deleted_exercise_cell": lambda nb: _drop(
        right(nb), lambda c: "def one_hot(" in "".join(c["source"])),
    "patched_torch_allclose": lambda nb: _add_cell_after_imports(_answer(nb, WRONG),
                                                                 PATCH_TORCH),
    "patched_check_module": lambda nb: _add_cell_after_imports(_answer(nb, WRONG),
                                                               PATCH_LABKIT),
    "forged_stdout": lambda nb: _answer(nb, WRONG, suffix={"fix_mse": FORGED}),
    "writes_next_to_gradebook": lambda nb: _answer(
        right(nb), {}, prefix={"rows_of_class": FIND_GRADEBOOK}),
    "hard_coded_answers": _with(HARD_CODED),
    "leaves_processes": lambda nb: _answer(right(nb), {}, prefix={"rows_of_class": ESCAPE}),
}
RAW = {
    "malformed_json": b'{"cells": [',
    "empty_file": b"",
    "not_a_notebook": b'["a", "list"]',
    "old_nbformat": json.dumps({"nbformat": 3, "cells": [], "worksheets": []}).encode(),
}

EXPECTED = {  # case: (submission status, points)
    "correct": ("graded", 7), "blank": ("graded", 0), "wrong": ("graded", 0),
    "partly_right": ("graded", 3), "syntax_error": ("graded", 6),
    "exception_at_import": ("graded", 6), "infinite_loop": ("timeout", 3),
    "memory_bomb": ("memory", 6), "fork_bomb": ("graded", 6), "sys_exit": ("graded", 7),
    "os_exit_after_points": ("crashed", 3), "segfault": ("crashed", 3),
    "huge_output": ("graded", 7), "stderr_noise": ("graded", 7),
    "edited_protected_cell": ("graded", 0), "deleted_check_cell": ("graded", 7),
    "deleted_exercise_cell": ("graded", 6), "patched_torch_allclose": ("graded", 0),
    "patched_check_module": ("graded", 0), "forged_stdout": ("graded", 0),
    "writes_next_to_gradebook": ("graded", 7), "hard_coded_answers": ("graded", 0),
    "leaves_processes": ("graded", 7),
    "malformed_json": ("invalid", None), "empty_file": ("invalid", None),
    "not_a_notebook": ("invalid", None), "old_nbformat": ("invalid", None),
}
STATUSES = {  # exercise statuses that matter, by case
    "blank": dict.fromkeys(ORDER, "not_attempted"),
    "wrong": dict.fromkeys(ORDER, "incorrect"),
    "infinite_loop": {"one_hot": "passed", "batch_scores": "timeout", "fix_mse": "timeout"},
    "os_exit_after_points": {"one_hot": "passed", "batch_scores": "crashed",
                             "fix_mse": "crashed"},
    "segfault": {"batch_scores": "crashed"},
    "deleted_exercise_cell": {"one_hot": "missing", "batch_scores": "passed"},
    "syntax_error": {"one_hot": "not_attempted"},
    "patched_torch_allclose": dict.fromkeys(ORDER, "incorrect"),
    "patched_check_module": dict.fromkeys(ORDER, "incorrect"),
    "forged_stdout": dict.fromkeys(ORDER, "incorrect"),
    "hard_coded_answers": {"pick_scores": "incorrect", "rows_of_class": "incorrect"},
}


def _edit_imports(nb, code: str):
    for cell in nb["cells"]:
        if "exercises.bind(" in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]) + "\n" + code
    return nb


def write_all(folder: Path, cases=None) -> dict[str, Path]:
    """Write each case as ``folder/<case>/01_tensors.ipynb``; return the paths."""
    paths = {}
    for name, build in CASES.items():
        if cases is not None and name not in cases:
            continue
        nb = build(copy.deepcopy(_load()))
        path = folder / name / "01_tensors.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb, indent=1))
        paths[name] = path
    for name, data in RAW.items():
        if cases is not None and name not in cases:
            continue
        path = folder / name / "01_tensors.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[name] = path
    return paths
