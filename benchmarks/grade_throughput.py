"""How fast the grader grades a class with hostile students in it, and whether the
honest ones still get exactly their marks.

    python benchmarks/grade_throughput.py                    # 200 submissions of 03_mlp
    python benchmarks/grade_throughput.py --mix classic      # the earlier benchmark's mix
    python benchmarks/grade_throughput.py --count 40 --baseline 4 --chapter 01_tensors

``--mix hostile`` (the default): 90 % honest submissions (right, half-right and blank,
built from the chapter's own learner and solved notebooks) and 10 % hostile ones, one
in ten, each kind of the classes of issue 18 in turn: a notebook whose metadata is a
list, one nested 100,000 deep, a FIFO, a cell writing into every descriptor, a forged message on
the grader's channel, a reply that expands to 2**24 lists, a child leaving files for
the next one, a spy reading the grader's files, a link to a classmate's notebook, a
second file for one chapter, another chapter's notebook, a name that is a spreadsheet
formula, a sparse answer. ``--mix classic``: the mix this benchmark used before
(right, half, blank, broken, hostile, one infinite loop in fifty), to compare with
earlier figures. It prints the load average first (a busy machine makes every figure
slower), then submissions per minute, seconds per submission, and every honest
submission whose score is not the one expected (there must be none: the exit code is
1 otherwise). ``--baseline N`` also grades N of them the conventional way (a fresh
Jupyter kernel each, the whole notebook), for comparison.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ["right", "right", "right", "half", "half", "blank", "blank", "broken_json",
           "syntax_error", "os_exit", "memory_bomb", "right", "half", "right", "blank",
           "right", "half", "right", "right", "stderr_noise", "right", "half", "blank",
           "right", "forged_stdout"]
LOOP_EVERY = 50  # classic: one submission in fifty loops for ever and meets the time limit
HONEST = ["right", "right", "right", "right", "half", "half", "half", "blank", "blank"]
HOSTILE = ["metadata_list", "nested_deep", "fifo", "every_descriptor", "channel_message",
           "reply_bomb", "leftovers", "spy", "link", "second_file", "other_chapter",
           "formula_name", "sparse_answer"]
PREFIXES = {  # hostile code put in front of the first exercise cell
    "every_descriptor": "import os\nfor fd in range(3, 1024):\n    try:\n"
                        "        os.write(fd, b'Not at EOF? ' * 8)\n    except OSError:\n"
                        "        pass\n",
    "channel_message": "import os, struct\nfor fd in range(3, 1024):\n    try:\n"
                       "        os.write(fd, struct.pack('<I', 12) + bytes(8) + b'{}  ')\n"
                       "    except OSError:\n        pass\n",
    "reply_bomb": "import pickle\nimport labkit.check.host as _h\n_b = []\n"
                  "for _ in range(24):\n    _b = [_b, _b]\n"
                  "_h.LearnerSide.handle = lambda s, r, d=pickle.dumps(('ok', _b)): d\n",
    "leftovers": "for _f in ('/dev/shm', '/tmp', '.'):\n    try:\n"
                 "        open(_f + '/bench-leak', 'w').write('x')\n    except OSError:\n"
                 "        pass\n",
    "spy": "import glob\nfor _p in glob.glob('/proc/*/cmdline') + glob.glob('/root/*'):\n"
           "    try:\n        open(_p, 'rb').read()\n    except OSError:\n        pass\n",
}


def make_submissions(chapter: str, count: int, folder: Path, mix: str) -> dict[str, dict]:
    """Write the batch; return, per student folder, its kind and expected points."""
    from labkit.grade.samples import exercise_cells, learner_and_answers

    learner, answers = learner_and_answers(ROOT, chapter)
    points = _points_per_cell(chapter, answers)
    made: dict[str, dict] = {}
    for number in range(count):
        kind = _kind(number, mix)
        student = f"student{number:04d}"
        nb = copy.deepcopy(learner)
        cells = exercise_cells(nb)
        keep = {"right": len(cells), "half": len(cells) // 2, "blank": 0}.get(kind, len(cells))
        for cell, answer in list(zip(cells, answers, strict=True))[:keep]:
            cell["source"] = answer
        expected = sum(points[:keep]) if kind in ("right", "half", "blank") else None
        _spoil(kind, nb, cells)
        if kind == "formula_name":
            student = f"=HYPERLINK(\"x\")-{number}"
            expected = sum(points)
        path = folder / student / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        _write(kind, path, nb, folder, chapter)
        made[student] = {"kind": kind, "expected": expected}
    return made


def _kind(number: int, mix: str) -> str:
    if mix == "classic":
        if number % LOOP_EVERY == LOOP_EVERY - 1:
            return "infinite_loop"
        return CLASSIC[number % len(CLASSIC)]
    if number % 10 == 9:  # one in ten
        return HOSTILE[(number // 10) % len(HOSTILE)]
    return HONEST[number % len(HONEST)]


def _points_per_cell(chapter: str, answers: list[str]) -> list[float]:
    """Points that answering each exercise cell earns (the exercises it defines)."""
    from labkit.check.exercise import variables
    from labkit.grade.course import exercises_of
    from labkit.grade.plan import analyse

    exercises = exercises_of(chapter)
    return [sum(e.points for e in exercises if set(variables(e)) <= analyse(a).binds)
            for a in answers]


def _spoil(kind: str, nb: dict, cells: list[dict]) -> None:
    first, middle, last = cells[0], cells[len(cells) // 2], cells[-1]
    if kind in PREFIXES:
        first["source"] = PREFIXES[kind] + first["source"]
    elif kind == "os_exit":
        middle["source"] = "import os\nos._exit(0)\n" + middle["source"]
    elif kind == "memory_bomb":
        middle["source"] = "hog = bytearray(64 * 2**30)\n" + middle["source"]
    elif kind == "infinite_loop":
        middle["source"] = "while True:\n    pass\n" + middle["source"]
    elif kind == "syntax_error":
        last["source"] = "def broken(:\n" + last["source"]
    elif kind == "stderr_noise":
        last["source"] = ("import sys, warnings\nwarnings.warn('noise')\n"
                          "sys.stderr.write('x' * 100000)\n" + last["source"])
    elif kind == "forged_stdout":
        last["source"] += "\nprint('passed (1/1 point)')"
    elif kind == "metadata_list":
        nb["metadata"] = []
    elif kind == "sparse_answer":
        first["source"] += "\nsigmoid_grad = lambda x: x.to_sparse()"


def _write(kind: str, path: Path, nb: dict, folder: Path, chapter: str) -> None:
    if kind == "broken_json":
        path.write_text(json.dumps(nb)[:5000])
    elif kind == "nested_deep":
        path.write_bytes(b'{"nbformat": 4, "cells": [], "metadata": {"x": '
                         + b"[" * 100_000 + b"]" * 100_000 + b"}}")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        path.symlink_to(folder / "student0000" / f"{chapter}.ipynb")
    elif kind == "second_file":
        path.write_text(json.dumps(nb))
        path.with_name(f"{chapter} (1).ipynb").write_text(json.dumps(nb))
    elif kind == "other_chapter":
        from labkit.grade.samples import solved_submission

        path.write_text(json.dumps(solved_submission(ROOT, "00_setup")))
    else:
        path.write_text(json.dumps(nb))


def ours(folder: Path, out: Path, jobs: int, timeout: float):
    from labkit.grade.batch import grade

    start = time.perf_counter()
    book = grade([folder], out, jobs=jobs, timeout=timeout, progress=False,
                 echo=lambda text: print("  " + text.replace("\n", "\n  ")))
    wall = time.perf_counter() - start
    return wall, book


def wrong_scores(book, made: dict[str, dict]) -> list[str]:
    """Honest submissions whose total is not the expected one."""
    totals: dict[str, float] = {}
    for row in book.results():
        totals[row["student"]] = totals.get(row["student"], 0) + row["points"]
    return [f"{student} ({info['kind']}): {totals.get(student)} instead of {info['expected']}"
            for student, info in made.items()
            if info["expected"] is not None and totals.get(student) != info["expected"]]


def conventional(paths: list[Path], cell_timeout: float = 600) -> list[float]:
    """One fresh kernel per submission, every cell, one submission at a time."""
    import nbformat
    from nbclient import NotebookClient

    times = []
    for path in paths:
        start = time.perf_counter()
        try:
            nb = nbformat.read(path, as_version=4)
            workdir = tempfile.mkdtemp()
            NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": workdir}}).execute()
            shutil.rmtree(workdir, ignore_errors=True)
        except Exception as err:  # noqa: BLE001 - a broken file or a dead kernel
            print(f"  conventional: {path.parent.name}: {type(err).__name__}")
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", default="03_mlp")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--mix", choices=("hostile", "classic"), default="hostile")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--baseline", type=int, default=0,
                        help="submissions also graded the conventional way (a sample)")
    args = parser.parse_args()
    os.environ.setdefault("LABKIT_OFFLINE", "1")
    os.environ.setdefault("LABKIT_QUIET", "1")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} (1, 5, 15 min) on {os.cpu_count()} cores; chapter "
          f"{args.chapter}; {args.count} submissions, mix {args.mix}; --jobs {args.jobs}; "
          f"--timeout {args.timeout:g}")
    work = Path(tempfile.mkdtemp(prefix="labkit-bench-"))
    try:
        made = make_submissions(args.chapter, args.count, work / "subs", args.mix)
        kinds: dict[str, int] = {}
        for info in made.values():
            kinds[info["kind"]] = kinds.get(info["kind"], 0) + 1
        print("mix: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        wall, book = ours(work / "subs", work / "out", args.jobs, args.timeout)
        seconds = [s["seconds"] for s in book.submissions() if s["seconds"]]
        print(f"labkit grade: {args.count / wall * 60:.1f} submissions/min; "
              f"per submission median {statistics.median(seconds):.2f} s, "
              f"worst {max(seconds):.2f} s; wall {wall:.1f} s; "
              f"200 submissions ~ {200 * wall / args.count / 60:.1f} min")
        print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        wrong = wrong_scores(book, made)
        honest = sum(info["expected"] is not None for info in made.values())
        print(f"honest submissions with their expected score: {honest - len(wrong)} of "
              f"{honest}")
        for line in wrong[:20]:
            print(f"  WRONG: {line}")
        book.close()
        if args.baseline:
            sample = sorted((work / "subs").glob("*/*.ipynb"))[:args.baseline]
            base = conventional(sample)
            per = statistics.mean(base)
            print(f"conventional (nbclient, fresh kernel, whole notebook, one at a time; "
                  f"{len(base)} sampled): {60 / per:.1f} submissions/min; "
                  f"200 submissions ~ {200 * per / 60:.1f} min; "
                  f"speed-up {per / (wall / args.count):.1f}x")
        return 1 if wrong else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
