"""A whole graded assignment for a class, timed step by step.

    python benchmarks/graded_assignment.py                 # 200 students, 03_mlp, 2 jobs
    python benchmarks/graded_assignment.py --count 40 --jobs 2

The flow an instructor runs: a graded release (of a scratch copy of the course whose
chapter has one written question), a class made from the handout (right, half-right,
blank, late, one copying solutions "the old way" in every tenth place, 2 % never hand
in), a Canvas bulk zip, ``labkit collect``, ``labkit grade`` with a roster and an
assignment file, written scores imported, overrides applied, every export written.
It prints the load average first (a busy machine makes every figure slower), the
seconds of each step and the total, and checks the totals of the right and blank
students (the exit code is 1 if one is off).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "explain"
KINDS = ["right", "right", "half", "blank", "right", "half", "right", "late", "right",
         "copier"]
COPIER = ("from labkit.exercises import exercises_of\n"
          "for _e in exercises_of('{chapter}'):\n    try:\n        exec(_e.solution)\n"
          "    except Exception:\n        pass\n")


def course(folder: Path, chapter: str) -> Path:
    (folder / "notebooks" / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, folder / name)
    source = (ROOT / "notebooks" / "src" / f"{chapter}.py").read_text()
    source += (f'\n# %% [markdown] tags=["answer:{QUESTION}"]\n'
               "# *Explain your choice of learning rate.*\n")
    (folder / "notebooks" / "src" / f"{chapter}.py").write_text(source)
    return folder


def run(argv) -> str:
    from labkit.cli import main

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(argv)
    if code != 0:
        sys.exit(f"labkit {' '.join(argv[:2])} failed ({code}):\n{said.getvalue()}")
    return said.getvalue()


def make_zip(handout: dict, answers: list[str], count: int, path: Path, chapter: str):
    from labkit.grade.samples import exercise_cells

    kinds = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(count):
            sid = str(10_000 + number)
            if number % 50 == 49:
                kinds[sid] = "missing"
                continue
            kind = KINDS[number % len(KINDS)]
            nb = copy.deepcopy(handout)
            cells = exercise_cells(nb)
            keep = {"half": len(cells) // 2, "blank": 0, "copier": 0}.get(kind, len(cells))
            for cell, answer in list(zip(cells, answers, strict=True))[:keep]:
                cell["source"] = answer
            if kind == "copier":
                for cell in cells:
                    cell["source"] = COPIER.format(chapter=chapter)
            for cell in nb["cells"] if kind not in ("blank", "copier") else []:
                if f"answer:{QUESTION}" in cell.get("metadata", {}).get("tags", []):
                    cell["source"] = f"Student {sid}: a small rate, because the loss rose."
            when = (2026, 12, 3, 9, 0, 0) if kind == "late" else (2026, 11, 30, 12, 0, 0)
            info = zipfile.ZipInfo(f"student{sid}_{sid}_{90_000 + number}_{chapter}.ipynb",
                                   date_time=when)
            archive.writestr(info, json.dumps(nb))
            kinds[sid] = kind
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", default="03_mlp")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("LABKIT_OFFLINE", "1")
    os.environ.setdefault("LABKIT_GRADE_SALT", "benchmark")
    from labkit.grade.samples import learner_and_answers

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} cores; {args.count} students of {args.chapter}, "
          f"--jobs {args.jobs}")
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="labkit-assignment-") as scratch:
        base = Path(scratch)
        start = time.perf_counter()
        root = course(base / "course", args.chapter)
        run(["release", "--graded", "--course", str(root), "--out", str(base / "handout"),
             "-q"])
        times["graded release (notebooks + wheel)"] = time.perf_counter() - start
        handout = json.loads((base / "handout" / f"{args.chapter}.ipynb").read_text())
        _learner, answers = learner_and_answers(root, args.chapter)
        kinds = make_zip(handout, answers, args.count, base / "canvas.zip", args.chapter)
        (base / "roster.csv").write_text("id,name,email,section\n" + "".join(
            f"{sid},Student {sid},{sid}@example.edu,A\n" for sid in kinds))
        (base / "assignment.toml").write_text(
            f'name = "Assignment 3"\nchapter = "{args.chapter}"\n'
            'due = "2026-12-01T23:59:00+00:00"\n[late]\nper_day = 10\ncap = 50\n'
            f"[written.{QUESTION}]\npoints = 2\n")
        step = time.perf_counter()
        run(["collect", str(base / "canvas.zip"), "--out", str(base / "subs"), "-q"])
        times["collect"] = time.perf_counter() - step
        step = time.perf_counter()
        grades = base / "grades"
        run(["grade", str(base / "subs"), "--out", str(grades), "--course", str(root),
             "--roster", str(base / "roster.csv"), "--assignment",
             str(base / "assignment.toml"), "--jobs", str(args.jobs), "--timeout", "120",
             "-q"])
        times["grade + exports"] = time.perf_counter() - step
        step = time.perf_counter()
        table = grades / "assignment" / "written" / "answers.csv"
        rows = list(csv.DictReader(io.StringIO(table.read_text())))
        for row in rows:
            row["points"] = "2" if row["answer"].startswith("Student") else ""
        with open(base / "scored.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        run(["gradebook", "import", str(grades), str(base / "scored.csv"), "-q"])
        times["import written scores"] = time.perf_counter() - step
        step = time.perf_counter()
        first = next(sid for sid, kind in kinds.items() if kind == "half")
        (base / "overrides.csv").write_text(
            f"student,exercise,points,reason\n{first},{QUESTION},excused,benchmark\n")
        run(["gradebook", "export", str(grades), "--overrides", str(base / "overrides.csv"),
             "-q"])
        times["overrides + every export"] = time.perf_counter() - step
        total = time.perf_counter() - start
        result = {r["id"]: r for r in csv.DictReader(io.StringIO(
            (grades / "assignment" / "grades.csv").read_text()))}
    for name, seconds in times.items():
        print(f"{name:>36}: {seconds:8.1f} s")
    print(f"{'whole flow':>36}: {total:8.1f} s ({args.count / total * 60:.1f} students per "
          "minute)")
    wrong = []
    for sid, kind in kinds.items():
        row = result[sid]
        if kind == "right" and row["total"] != row["max"]:
            wrong.append(f"{sid} right: {row['total']} of {row['max']}")
        if kind in ("blank", "copier", "missing") and row["total"] != "0":
            wrong.append(f"{sid} {kind}: {row['total']}")
        if kind == "late" and float(row["penalty"]) <= 0:
            wrong.append(f"{sid} late: no penalty")
    for line in wrong:
        print("unexpected:", line)
    print(f"{len(wrong)} unexpected totals; {sum(k == 'missing' for k in kinds.values())} "
          "missing listed as missing")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
