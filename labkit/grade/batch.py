"""Grade a batch: find submissions, pick this shard's share, grade in parallel, report.

Each worker thread grades one submission at a time through its own child process, so
``--jobs`` children run at once; results reach the gradebook as they are judged.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from labkit.grade import report
from labkit.grade.course import Course
from labkit.grade.gradebook import Gradebook, grader_version
from labkit.grade.judge import Options, judge
from labkit.grade.submission import content_hash, find


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


def shared_data_folder() -> str:
    """MNIST files readable by the children (which may run as another user)."""
    from labkit.data import ensure_mnist

    folder = Path(tempfile.gettempdir()) / "labkit-grade-data"
    folder.mkdir(mode=0o755, exist_ok=True)
    ensure_mnist(folder, verbose=False)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | (0o755 if path.is_dir() else 0o444))
    return str(folder)


def grade(paths, out: Path, *, jobs: int | None = None, timeout: float = 300,
          memory_mb: int = 2048, chapter: str | None = None, extra_checks=None,
          shard: Shard | None = None, sandbox: bool = False, show_hidden: bool = False,
          salt: str | None = None, course_root=None, progress: bool = True,
          echo=print) -> Gradebook:
    if sandbox:
        from labkit.grade.sandbox import bwrap_path

        bwrap_path()  # fails early, with the fix, when bubblewrap is missing
    start = time.perf_counter()
    out = Path(out)
    course = Course(course_root, extra_checks)
    submissions = find(paths, chapter=chapter)
    if shard:
        submissions = [s for s in submissions if shard.takes(s.key)]
    book = Gradebook(out, salt=salt)
    version = grader_version()
    jobs = jobs or os.cpu_count() or 1
    options = Options(timeout=timeout, memory_mb=memory_mb, sandbox=sandbox,
                      salt=book.salt, chapter=chapter, jobs=jobs,
                      data_dir=shared_data_folder(), hide=(str(out.resolve()),))
    todo, skipped = [], 0
    for sub in submissions:
        sha = content_hash(sub.path)
        if book.is_done(sub.student, sub.key[1], sha, version):
            skipped += 1
        else:
            todo.append((sub, sha))

    def work(item):
        sub, sha = item
        key_chapter = sub.key[1]
        book.start(sub.student, key_chapter, sub.path, sha, version)
        graded = judge(sub, course, options, sha256=sha,
                       on_row=lambda row: book.add_row(sub.student, key_chapter, row, sha,
                                                       version))
        book.finish(sub.student, key_chapter, graded)
        return graded

    if todo and not sandbox:
        from labkit.grade.process import warm_up

        warm_up()
    bar = _bar(len(todo), progress)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in as_completed([pool.submit(work, item) for item in todo]):
            future.result()
            bar.update(1)
    bar.close()
    write_outputs(book, out, show_hidden=show_hidden)
    echo(report.summary_text(book, time.perf_counter() - start, len(todo), skipped))
    return book


def write_outputs(book: Gradebook, out: Path, *, show_hidden: bool = False) -> None:
    report.write_csv(book, out / "gradebook.csv")
    report.write_lms(book, out / "lms.csv")
    report.write_feedback(book, out / "feedback", show_hidden=show_hidden)
    report.write_pictures(book, out)


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="submission", desc="grading", disable=not enabled,
                leave=False)
