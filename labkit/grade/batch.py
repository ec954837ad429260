"""Grade a batch: find submissions, read them all, settle identities, grade in parallel.

1. Sweep what killed graders left, choose the isolation and print it (``protect``).
2. Find the files (``discover``) and read every one (``read``, the pipeline's first
   step), so that identities, duplicates and unchanged files are known before any
   student code runs. A file that cannot be read is recorded ``invalid`` at once; two
   files for one student and chapter are ``ambiguous`` (or the newest is taken).
3. Grade the rest, ``--jobs`` at a time, each through the whole pipeline
   (``pipeline.STEPS``); the read step runs again and must find the same bytes.
4. Write the CSV files, the feedback and the pictures (``report``).
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from labkit.grade import (
    discover,
    feedback,
    judge,
    pipeline,
    plan,
    protect,
    read,
    report,
    restore,
    run,
)
from labkit.grade.course import Course
from labkit.grade.gradebook import Gradebook
from labkit.grade.process import Settings
from labkit.grade.record import recorder
from labkit.grade.text import Text
from labkit.grade.version import grader_version
from labkit.i18n import N_

STEPS = (read.step, restore.step, plan.step, run.step, judge.step)  # then record


@dataclass(frozen=True)
class Options:
    settings: Settings
    salt: str
    protections: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str | None, environ=os.environ) -> Shard | None:
        """``I/N`` (I from 0 to N-1), or ``auto`` / ``auto/N`` from Slurm or Kubernetes."""
        if not text:
            return None
        index_text, _, count_text = text.partition("/")
        if index_text == "auto":
            if "SLURM_ARRAY_TASK_ID" in environ:
                index = int(environ["SLURM_ARRAY_TASK_ID"]) - int(
                    environ.get("SLURM_ARRAY_TASK_MIN", 0))
                count = int(count_text or environ["SLURM_ARRAY_TASK_COUNT"])
            elif "JOB_COMPLETION_INDEX" in environ:
                index = int(environ["JOB_COMPLETION_INDEX"])
                if not count_text:
                    raise ValueError("Kubernetes gives the index but not the count: use "
                                     "--shard auto/N with N = the Job's completions")
                count = int(count_text)
            else:
                raise ValueError("--shard auto needs SLURM_ARRAY_TASK_ID or "
                                 "JOB_COMPLETION_INDEX in the environment")
        else:
            try:
                index, count = int(index_text), int(count_text)
            except ValueError:
                raise ValueError(f"--shard {text!r}: write I/N, e.g. 0/4 for the first of "
                                 "four shards") from None
        if not 0 <= index < count:
            raise ValueError(f"--shard {text!r}: I must be between 0 and N-1")
        return cls(index, count)

    def takes(self, key: tuple[str, str]) -> bool:
        digest = hashlib.sha256("/".join(key).encode()).hexdigest()
        return int(digest[:12], 16) % self.count == self.index


def grade(paths, out: Path, *, jobs: int | None = None, timeout: float = 300,
          memory_mb: int = 2048, chapter: str | None = None, extra_checks=None,
          shard: Shard | None = None, isolation: str = "auto", sandbox: bool = False,
          unsafe: bool = False, duplicates: str = "ambiguous", show_hidden: bool = False,
          salt: str | None = None, course_root=None, progress: bool = True,
          students=None, force: bool = False, echo=print) -> Gradebook:
    """Grade the notebooks under ``paths`` into the gradebook in ``out``.

    ``students``: grade only these folders; ``force``: grade again even what is
    graded, unchanged and final (a regrade after a check changed outside the course's
    files, say)."""
    if duplicates not in ("ambiguous", "newest"):
        raise ValueError(f"--duplicates {duplicates!r}: use ambiguous or newest")
    requested = "sandbox" if sandbox else "unsafe" if unsafe else isolation
    start = time.perf_counter()
    out = Path(out)
    course = Course(course_root, extra_checks)
    found = discover.find(paths, chapter=chapter)
    if shard:
        found = [f for f in found if shard.takes(f.name_key)]
    if students:
        found = [f for f in found if f.student in set(students)]
        if not found:
            raise ValueError(f"--student {', '.join(students)}: no submission of that "
                             "name; give the folder's name as it is under the submissions")
    book = Gradebook(out, salt=salt)
    version = grader_version(course.code_files())
    settings, protections, run_folder = protect.prepare(requested, timeout=timeout,
                                                        memory_mb=memory_mb)
    try:
        echo("Protections in effect for student code:\n"
             + "\n".join(protect.describe(protections)))
        book.add_run(version, settings.isolation, protections)
        options = Options(settings, book.salt, protections)
        finish, log = recorder(book, version), pipeline.log_to(out / "grading.log")
        todo, skipped, similar = _settle(found, course, options, book, version, duplicates,
                                       finish, log, force=force)
        bar = _bar(len(todo), progress)
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            futures = [pool.submit(pipeline.grade, work, STEPS, log=log, finish=finish)
                       for work in todo]
            for future in as_completed(futures):
                future.result()
                bar.update(1)
        bar.close()
    finally:
        protect.finish(run_folder)
    write_outputs(book, out, show_hidden=show_hidden)
    echo(report.summary_text(book, time.perf_counter() - start, len(todo), skipped, similar))
    return book


def _settle(found, course, options, book, version, duplicates, finish, log, *,
            force=False):
    """Read every file once; record what cannot be graded; return what must be."""
    by_key: dict[tuple[str, str], list[pipeline.Work]] = {}
    for item in found:
        work = pipeline.Work(item, course, options)
        pipeline.grade(work, [read.step], log=log)
        work.nb = None  # read again when graded; a class's notebooks need not sit in memory
        by_key.setdefault(work.key, []).append(work)
    todo, skipped = [], 0
    for works in by_key.values():
        if len(works) > 1 and duplicates == "ambiguous":
            finish(_ambiguous(works))
            continue
        chosen, notes = works[0], []
        if len(works) > 1:
            chosen, notes = _newest(works)
        if chosen.status != "graded":  # unreadable: recorded now, nothing to run
            chosen.notes += notes
            finish(chosen)
        elif not force and book.is_done(*chosen.key, chosen.sha256, version):
            skipped += 1
        else:
            todo.append(pipeline.Work(chosen.found, course, options,
                                      expected_sha256=chosen.sha256, notes=notes))
    return todo, skipped, discover.similar_names({f.student for f in found})


def _ambiguous(works: list[pipeline.Work]) -> pipeline.Work:
    first = works[0]
    shown = sorted(w.found.shown for w in works)
    record = pipeline.Work(first.found, first.course, first.options, chapter=first.key[1],
                           language=first.language)
    record.status = "ambiguous"
    record.reason = Text(N_("{count} files for one chapter ({files}); none was graded. "
                            "Keep one, or grade with --duplicates newest"),
                         {"count": len(works), "files": ", ".join(shown)})
    record.sha256 = hashlib.sha256(" ".join(w.sha256 for w in works).encode()).hexdigest()
    record.shown_paths = "; ".join(shown)
    return record


def _newest(works: list[pipeline.Work]) -> tuple[pipeline.Work, list[Text]]:
    path = discover.newest([w.found.path for w in works])
    chosen = next(w for w in works if w.found.path == path)
    others = sorted(w.found.shown for w in works if w is not chosen)
    return chosen, [Text(N_("{count} other file(s) for this chapter were not graded "
                            "(older): {files}"),
                         {"count": len(others), "files": ", ".join(others)})]


def write_outputs(book: Gradebook, out: Path, *, show_hidden: bool = False) -> None:
    report.write_csv(book, out / "gradebook.csv")
    report.write_lms(book, out / "lms.csv")
    feedback.write_feedback(book, out / "feedback", show_hidden=show_hidden)
    report.write_pictures(book, out)


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="submission", desc="grading", disable=not enabled,
                leave=False)
