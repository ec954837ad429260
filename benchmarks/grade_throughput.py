"""How fast the grader grades a class, next to the conventional way, in one run.

    python benchmarks/grade_throughput.py                      # 200 submissions of 03_mlp
    python benchmarks/grade_throughput.py --count 40 --baseline 4 --chapter 01_tensors

It writes N submissions of a chapter (a mix of right, half-right, blank, broken and
hostile ones, built from the chapter's own learner and solved notebooks), grades them
with `labkit grade` (a fork server, only the cells the exercises need, --jobs workers),
and then grades a sample the conventional way: one fresh Jupyter kernel per submission
(nbclient) running the whole notebook, one at a time. It prints submissions per minute
and seconds per submission (median and worst) for both, and the time to grade 200.
The load average comes first: a busy machine makes every figure slower.
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
KINDS = ["right", "right", "right", "half", "half", "blank", "blank", "broken_json",
         "syntax_error", "os_exit", "memory_bomb", "right", "half", "right", "blank",
         "right", "half", "right", "right", "stderr_noise", "right", "half", "blank",
         "right", "forged_stdout"]
LOOP_EVERY = 50  # one submission in fifty loops for ever and meets the time limit


def _exercise_cells(nb) -> list[dict]:
    return [c for c in nb["cells"] if "exercise" in c.get("metadata", {}).get("tags", [])]


def make_submissions(chapter: str, count: int, folder: Path) -> dict[str, int]:
    from labkit.notebook.build import learner_notebook, solved_notebook, to_text
    from labkit.notebook.project import repository_url

    source = ROOT / "notebooks" / "src" / f"{chapter}.py"
    url = repository_url(ROOT)
    learner = json.loads(to_text(learner_notebook(source, url)))
    solved = json.loads(to_text(solved_notebook(source, url)))
    answers = ["".join(c["source"]) for c in _exercise_cells(solved)]
    kinds: dict[str, int] = {}
    for number in range(count):
        kind = "infinite_loop" if number % LOOP_EVERY == LOOP_EVERY - 1 else KINDS[
            number % len(KINDS)]
        kinds[kind] = kinds.get(kind, 0) + 1
        nb = copy.deepcopy(learner)
        cells = _exercise_cells(nb)
        if kind in ("right", "half", "os_exit", "memory_bomb", "stderr_noise",
                    "forged_stdout", "infinite_loop", "syntax_error"):
            keep = len(cells) // 2 if kind == "half" else len(cells)
            for cell, answer in list(zip(cells, answers, strict=True))[:keep]:
                cell["source"] = answer
        last = cells[-1]
        middle = cells[len(cells) // 2]
        if kind == "os_exit":
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
        path = folder / f"student{number:04d}" / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        if kind == "broken_json":
            path.write_text(json.dumps(nb)[:5000])
        else:
            path.write_text(json.dumps(nb))
    return kinds


def ours(folder: Path, out: Path, jobs: int, timeout: float) -> tuple[float, list[float]]:
    from labkit.grade.batch import grade

    start = time.perf_counter()
    book = grade([folder], out, jobs=jobs, timeout=timeout, progress=False,
                 echo=lambda text: print("  " + text.replace("\n", "\n  ")))
    wall = time.perf_counter() - start
    seconds = [s["seconds"] for s in book.submissions()]
    book.close()
    return wall, seconds


def conventional(paths: list[Path], timeout: float) -> list[float]:
    """One fresh kernel per submission, every cell, one submission at a time."""
    import nbformat
    from nbclient import NotebookClient

    times = []
    for path in paths:
        start = time.perf_counter()
        try:
            nb = nbformat.read(path, as_version=4)
            workdir = tempfile.mkdtemp()
            NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": workdir}}).execute()
            shutil.rmtree(workdir, ignore_errors=True)
        except Exception as err:  # noqa: BLE001 - a broken file or a dead kernel
            print(f"  conventional: {path.parent.name}: {type(err).__name__}")
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", default="03_mlp")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--baseline", type=int, default=6,
                        help="submissions graded the conventional way (a sample)")
    args = parser.parse_args()
    os.environ.setdefault("LABKIT_OFFLINE", "1")
    os.environ.setdefault("LABKIT_QUIET", "1")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"chapter {args.chapter}; {args.count} submissions; --jobs {args.jobs}; "
          f"--timeout {args.timeout:g}")
    work = Path(tempfile.mkdtemp(prefix="labkit-bench-"))
    try:
        kinds = make_submissions(args.chapter, args.count, work / "subs")
        print("mix: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        wall, seconds = ours(work / "subs", work / "out", args.jobs, args.timeout)
        print(f"labkit grade: {args.count / wall * 60:.1f} submissions/min; "
              f"per submission median {statistics.median(seconds):.2f} s, "
              f"worst {max(seconds):.2f} s; wall {wall:.1f} s; "
              f"200 submissions ~ {200 * wall / args.count / 60:.1f} min")
        sample = sorted((work / "subs").glob("*/*.ipynb"))[:args.baseline]
        base = conventional(sample, args.timeout)
        if base:
            per = statistics.mean(base)
            print(f"conventional (nbclient, fresh kernel, whole notebook, one at a time; "
                  f"{len(base)} sampled): {60 / per:.1f} submissions/min; per submission "
                  f"median {statistics.median(base):.2f} s, worst {max(base):.2f} s; "
                  f"200 submissions ~ {200 * per / 60:.1f} min")
            print(f"speed-up: {per / (wall / args.count):.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
