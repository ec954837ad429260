"""A killed grading resumes to the same gradebook; shards merged equal the whole."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import grade_fixtures as golden
import pytest

from labkit.grade.batch import Shard, grade
from labkit.grade.gradebook import Gradebook, merge

# One worker runs this module: its shared fixture (a batch, an environment) is built once.
pytestmark = pytest.mark.xdist_group("resume_and_shards")

CASES = ["correct", "blank", "wrong", "partly_right", "syntax_error", "hard_coded_answers",
         "deleted_exercise_cell", "stderr_noise"]


def _snapshot(folder: Path):
    book = Gradebook(folder)
    try:
        return book.snapshot()
    finally:
        book.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    golden.write_all(folder / "subs", cases=CASES)
    whole = folder / "whole"
    grade([folder / "subs"], whole, jobs=2, timeout=60, salt="same", progress=False,
          echo=lambda text: None)
    return folder, whole


def _finished(out: Path) -> int:
    try:
        db = sqlite3.connect(out / "gradebook.sqlite", timeout=1)
        return db.execute("SELECT count(*) FROM submissions WHERE finished=1").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_killed_run_resumes_to_the_same_gradebook(batch):
    """Does SIGKILL mid-run, then a re-run, give what one uninterrupted run gives?"""
    folder, whole = batch
    out = folder / "killed"
    command = [sys.executable, "-m", "labkit", "grade", str(folder / "subs"), "--out", str(out),
               "--jobs", "1", "--quiet"]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "LABKIT_GRADE_SALT": "same"})
    deadline = time.monotonic() + 120
    while _finished(out) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _finished(out)
    assert 0 < done < len(CASES), "the run was not stopped midway"
    book = grade([folder / "subs"], out, jobs=2, timeout=60, salt="same", progress=False,
                 echo=lambda text: None)
    book.close()
    assert _snapshot(out) == _snapshot(whole)


def test_an_unchanged_submission_is_not_graded_again(batch, capsys):
    folder, whole = batch
    said = []
    grade([folder / "subs"], whole, jobs=1, timeout=60, salt="same", progress=False,
          echo=said.append)
    assert f"{len(CASES)} unchanged skipped" in said[-1]


def test_shards_merged_equal_the_whole(batch):
    folder, whole = batch
    parts = []
    for index in range(3):
        part = folder / f"shard{index}"
        grade([folder / "subs"], part, jobs=2, timeout=60, salt="same", progress=False,
              shard=Shard(index, 3), echo=lambda text: None)
        parts.append(part)
    counts = [_finished(p) for p in parts]
    assert sum(counts) == len(CASES) and max(counts) < len(CASES)
    merge(parts, folder / "merged").close()
    assert _snapshot(folder / "merged") == _snapshot(whole)


def test_shard_parsing():
    assert Shard.parse("1/4") == Shard(1, 4)
    assert Shard.parse("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1",
                                "SLURM_ARRAY_TASK_COUNT": "5"}) == Shard(2, 5)
    assert Shard.parse("auto/6", {"JOB_COMPLETION_INDEX": "5"}) == Shard(5, 6)
    for bad in ("4/4", "x", "auto"):
        with pytest.raises(ValueError):
            Shard.parse(bad, {})
