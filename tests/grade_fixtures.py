"""Golden submissions for the grader: one small notebook per case, named after it.

Each case starts from chapter 01's learner notebook (as committed) and changes a few
cells, so the fixtures follow the chapter when it changes. ``EXPECTED`` gives each
case's submission status and points; ``STATUSES`` the exercise statuses where they
matter. The seven exercises, in notebook order: rows_of_class, pick_scores, one_hot,
batch_scores, standardize_rows, pairwise_sq_dists, fix_mse (an exercise the chapter gained
later, such as bilinear, is left unanswered: 0 points in every case).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from labkit.exercises import ch01_tensors

ROOT = Path(__file__).resolve().parents[1]
LEARNER = ROOT / "notebooks" / "01_tensors.ipynb"
ORDER = ["rows_of_class", "pick_scores", "one_hot", "batch_scores", "standardize_rows",
         "pairwise_sq_dists", "fix_mse"]
VARIABLE = {"fix_mse": "mse"}  # the exercise whose learner name differs
# Exercises added to the chapter later stay unanswered (0 points) in every case, so the
# points below keep their meaning.
RIGHT = {e.name: e.solution for e in ch01_tensors.EXERCISES if e.name in ORDER}
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


# --- hostile submissions (issue 18): each breaks, or spies on, something outside itself ---
WRITE_EVERY_DESCRIPTOR = '''\
import os
for fd in range(3, 1024):
    try:
        os.write(fd, b"Not at EOF? " * 8)
    except OSError:
        pass
'''
# A frame in the channel's own format, sent before the child's real reply.
SEND_ON_THE_CHANNEL = '''\
import json, os, struct
fake = json.dumps({"seconds": 0.0, "error": None, "memory": False, "dropped": 0}).encode()
for fd in range(3, 1024):
    try:
        os.fstat(fd)
        os.write(fd, struct.pack("<I", 8 + len(fake)) + bytes(8) + fake)
    except OSError:
        pass
'''
# Every reply to a check becomes a 1 kB pickle whose memo shares one list 2**24 times.
FORGED_REPLY_BOMB = '''\
import pickle
import labkit.check.host as _host
_bomb = []
for _ in range(24):
    _bomb = [_bomb, _bomb]
_host.LearnerSide.handle = lambda self, request, data=pickle.dumps(("ok", _bomb)): data
'''
LEAVE_FILES = '''\
for _folder in ("/dev/shm", "/tmp", "."):
    try:
        open(f"{_folder}/labkit-leak-answer", "w").write("rows_of_class = wrong")
    except OSError:
        pass
'''
READ_LEFTOVERS = '''\
import glob, time
for _ in range(30):  # the writer may still be starting
    LEAKED = [p for p in glob.glob("/dev/shm/*") + glob.glob("/tmp/**/*", recursive=True)
              if "labkit-leak" in p]
    if LEAKED:
        break
    time.sleep(0.1)
'''
FAKE_OUT_OF_MEMORY = 'raise ValueError("cannot allocate memory: out of memory, really")'
HTML_ERROR = ('def rows_of_class(x, labels, k):\n'
              '    raise ValueError("<script>alert(1)</script>\\n````\\n# pwned <b>x</b>")')
SPARSE_RESULT = ("def one_hot(labels, num_classes):\n"
                 "    return torch.eye(num_classes)[labels].to_sparse()")


def _move_check_above_answer(nb, name: str):
    cells = nb["cells"]
    check = next(i for i, c in enumerate(cells) if "".join(c["source"]).strip()
                 == f"q.{name}.check()")
    answer = next(i for i, c in enumerate(cells) if f"def {name}(" in "".join(c["source"]))
    cells.insert(answer, cells.pop(check))
    return nb


def _other_chapter(chapter: str):
    def build(nb):
        from labkit.grade.samples import solved_submission

        return solved_submission(ROOT, chapter)
    return build


def _answer_in(chapter: str, variable: str, source: str):
    def build(nb):
        from labkit.grade.samples import exercise_cells, learner_and_answers

        learner, _answers = learner_and_answers(ROOT, chapter)
        for cell in exercise_cells(learner):
            if variable in "".join(cell["source"]):
                cell["source"] = source
        return learner
    return build


# case: (student folder, file name, builder); several files may share a student.
HOSTILE = {
    "metadata_is_a_list": lambda nb: {**nb, "metadata": []},
    "tags_are_a_number": lambda nb: _tag_five(nb),
    "writes_into_every_descriptor": lambda nb: _answer(
        right(nb), {}, prefix={"batch_scores": WRITE_EVERY_DESCRIPTOR}),
    "sends_on_the_channel": lambda nb: _answer(
        right(nb), {}, prefix={"batch_scores": SEND_ON_THE_CHANNEL}),
    "forged_reply_bomb": lambda nb: _answer(
        right(nb), {}, prefix={"batch_scores": FORGED_REPLY_BOMB}),
    "leftovers_a_writer": lambda nb: _answer(
        right(nb), {}, prefix={"rows_of_class": LEAVE_FILES}),
    "leftovers_b_reader": lambda nb: _answer(
        right(nb), {}, prefix={"rows_of_class": READ_LEFTOVERS},
        suffix={"rows_of_class": "if LEAKED:\n    rows_of_class = None"}),
    "check_cell_moved_above_answer": lambda nb: _move_check_above_answer(
        right(nb), "rows_of_class"),
    "says_out_of_memory": lambda nb: _answer(
        right(nb), {}, suffix={"fix_mse": FAKE_OUT_OF_MEMORY}),
    "html_in_an_error": _with({"rows_of_class": HTML_ERROR}),
    "sparse_result": _with({"one_hot": SPARSE_RESULT}),
    "Bob Jones": right,
    "Bob_Jones": right,
    '=HYPERLINK("evil.example")': right,
    "<img src=x onerror=alert(1)>": right,
    "alice": right,
}
HOSTILE_EXPECTED = {  # case: (submission status, points or None)
    "metadata_is_a_list": ("invalid", None), "tags_are_a_number": ("invalid", None),
    "nested_100000_deep": ("invalid", None), "fifo": ("invalid", None),
    "writes_into_every_descriptor": ("crashed", 3), "sends_on_the_channel": ("crashed", 3),
    "forged_reply_bomb": ("crashed", 3), "leftovers_a_writer": ("graded", 7),
    "leftovers_b_reader": ("graded", 7), "check_cell_moved_above_answer": ("graded", 7),
    "says_out_of_memory": ("graded", 7), "html_in_an_error": ("graded", 0),
    "Bob Jones": ("graded", 7), "Bob_Jones": ("graded", 7),
    '=HYPERLINK("evil.example")': ("graded", 7), "<img src=x onerror=alert(1)>": ("graded", 7),
    "alice": ("graded", 7), "mallory": ("invalid", None), "twice": ("ambiguous", None),
}


def _tag_five(nb):
    nb["cells"][1].setdefault("metadata", {})["tags"] = 5
    return nb


def write_hostile(folder: Path) -> dict[str, Path]:
    """Write the hostile cases under ``folder``; return each student's folder."""
    made = {}
    for name, build in HOSTILE.items():
        path = folder / name / "01_tensors.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(build(copy.deepcopy(_load())), indent=1))
        made[name] = path.parent
    deep = folder / "nested_100000_deep" / "01_tensors.ipynb"
    deep.parent.mkdir()
    deep.write_bytes(b'{"nbformat": 4, "cells": [], "metadata": {"x": '
                     + b"[" * 100_000 + b"]" * 100_000 + b"}}")
    (folder / "fifo").mkdir()
    os.mkfifo(folder / "fifo" / "01_tensors.ipynb")
    (folder / "mallory").mkdir()
    (folder / "mallory" / "01_tensors.ipynb").symlink_to("../alice/01_tensors.ipynb")
    (folder / "twice").mkdir()
    (folder / "twice" / "01_tensors.ipynb").write_text(json.dumps(right(_load())))
    (folder / "twice" / "01_tensors (1).ipynb").write_text(json.dumps(_load()))
    setup = folder / "setup_as_tensors" / "01_tensors.ipynb"
    setup.parent.mkdir()
    setup.write_text(json.dumps(_other_chapter("00_setup")(None)))
    sparse = folder / "sparse_answer" / "04b_optimizers.ipynb"
    sparse.parent.mkdir()
    sparse.write_text(json.dumps(_answer_in(
        "04b_optimizers", "pick_lr =", "pick_lr = torch.tensor([2 / 26]).to_sparse()")(None)))
    return made
