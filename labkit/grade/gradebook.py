"""The gradebook: one SQLite file, written only by the grader, one row per judged exercise.

Tables:

- ``submissions``: one row per student and chapter: file, content hash, grader
  version, status (graded, invalid, timeout, memory, crashed), reason, cells run, time.
- ``results``: one row per student, chapter and exercise: status, points, seed, grader
  version, submission hash and the check's message.
- ``meta``: the grading salt (seeds of hidden inputs) and the format version.

Each result is committed as it is judged (WAL mode), so a grader killed mid-run loses at
most the exercise in progress; a re-run skips submissions already graded and unchanged.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from pathlib import Path

FILE = "gradebook.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT NOT NULL, chapter TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
    grader_version TEXT NOT NULL, status TEXT, reason TEXT, cells TEXT, notes TEXT,
    seconds REAL, finished INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (student, chapter));
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL, chapter TEXT NOT NULL, exercise TEXT NOT NULL,
    position INTEGER NOT NULL, status TEXT NOT NULL, points REAL NOT NULL,
    max_points REAL NOT NULL, seed INTEGER, grader_version TEXT NOT NULL,
    sha256 TEXT NOT NULL, message TEXT NOT NULL, public TEXT NOT NULL,
    PRIMARY KEY (student, chapter, exercise));
"""


def grader_version() -> str:
    """labkit's version plus a digest of the exercise code: a changed check regrades."""
    import hashlib

    from labkit import __version__

    folder = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("exercises/*.py"), *folder.glob("check/*.py"),
                        *folder.glob("grade/*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:10]}"


class Gradebook:
    def __init__(self, folder: Path, *, salt: str | None = None):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True)
        except FileExistsError:
            pass  # an existing folder keeps the permissions its owner gave it
        else:
            os.chmod(self.folder, 0o700)  # a new folder: only the grader's user reads it
        self.path = self.folder / FILE
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
            if row is None:
                self.salt = salt or secrets.token_hex(16)
                self.db.execute("INSERT INTO meta VALUES ('salt', ?)", (self.salt,))
            else:
                if salt and salt != row[0]:
                    raise ValueError(f"{self.path} was graded with another --salt; use the "
                                     "same one, or a new output folder")
                self.salt = row[0]

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # --- resuming -------------------------------------------------------------------------
    def is_done(self, student: str, chapter_key: str, sha256: str, version: str) -> bool:
        with self.lock:
            row = self.db.execute(
                "SELECT sha256, grader_version, finished FROM submissions "
                "WHERE student=? AND chapter=?", (student, chapter_key)).fetchone()
        return row is not None and row == (sha256, version, 1)

    def start(self, student, chapter, path, sha256, version) -> None:
        """Forget this student's earlier rows for the chapter, then mark it in progress."""
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM results WHERE student=? AND chapter=?",
                            (student, chapter))
            self.db.execute("DELETE FROM submissions WHERE student=? AND chapter=?",
                            (student, chapter))
            self.db.execute("INSERT INTO submissions (student, chapter, path, sha256, "
                            "grader_version, status) VALUES (?, ?, ?, ?, ?, 'grading')",
                            (student, chapter, str(path), sha256, version))
            self.db.execute("COMMIT")

    def add_row(self, student, chapter, row, sha256, version) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (student, chapter, row.exercise, row.position, row.status, row.points,
                 row.max_points, row.seed, version, sha256, row.message, row.public))

    def finish(self, student, chapter, graded) -> None:
        cells = [{"cell": c.index, "from": c.origin, "seconds": round(c.seconds, 3),
                  "error": c.error} for c in graded.cells]
        notes = list(graded.notes)
        if graded.output_dropped:
            notes.append(f"output past the limit was dropped ({graded.output_dropped:,} "
                         "characters)")
        with self.lock:
            self.db.execute(
                "UPDATE submissions SET status=?, reason=?, cells=?, notes=?, seconds=?, "
                "finished=1 WHERE student=? AND chapter=?",
                (graded.status, graded.reason, json.dumps(cells), json.dumps(notes),
                 round(graded.seconds, 3), student, chapter))

    # --- reading ------------------------------------------------------------------------
    def submissions(self) -> list[dict]:
        with self.lock:
            cur = self.db.execute("SELECT * FROM submissions ORDER BY student, chapter")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def results(self) -> list[dict]:
        with self.lock:
            cur = self.db.execute(
                "SELECT * FROM results ORDER BY student, chapter, position, exercise")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def snapshot(self) -> tuple[list, list]:
        """Everything but timings: what two equal gradings must share."""
        subs = [{k: v for k, v in s.items() if k not in ("seconds", "cells", "path")}
                for s in self.submissions()]
        return subs, self.results()


def merge(folders, out: Path) -> Gradebook:
    """Join shard gradebooks into ``out``; a student and chapter graded twice keeps the
    newest finished row."""
    target = Gradebook(out)
    for folder in folders:
        path = Path(folder) / FILE
        if not path.exists():
            raise FileNotFoundError(f"{path}: no gradebook in {folder}")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        with target.lock:
            target.db.execute("BEGIN")
            for row in source.execute("SELECT * FROM submissions WHERE finished=1"):
                target.db.execute("DELETE FROM results WHERE student=? AND chapter=?",
                                  row[:2])
                target.db.execute("INSERT OR REPLACE INTO submissions VALUES "
                                  "(?,?,?,?,?,?,?,?,?,?,?)", row)
                for result in source.execute(
                        "SELECT * FROM results WHERE student=? AND chapter=?", row[:2]):
                    target.db.execute("INSERT OR REPLACE INTO results VALUES "
                                      "(?,?,?,?,?,?,?,?,?,?,?,?)", result)
            target.db.execute("COMMIT")
        source.close()
    return target
