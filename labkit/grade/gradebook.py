"""The gradebook: one SQLite file, written only by the grader, one row per judged exercise.

Tables:

- ``submissions``: one row per student and chapter: file, content hash, grader
  version, status (``labkit.grade.statuses``), reason and notes (stored as English
  templates with their fields, ``labkit.grade.text``), the notebook's language, the
  isolation its child ran under, cells run, time.
- ``results``: one row per student, chapter and exercise: status, points, seed, grader
  version, submission hash and the check's message.
- ``runs``: one row per grading run: when, the grader version, and the protections
  that took effect (printed at the start of the run too).
- ``meta``: the grading salt (seeds of hidden inputs) and the format version.

A submission's rows are written in one transaction when it is done (WAL mode), so a
grader killed mid-run loses at most the submissions in progress; a re-run skips those
already graded, unchanged and final, and grades the rest.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from labkit.grade.statuses import FINAL
from labkit.grade.text import Text, dump
from labkit.i18n import N_

FILE = "gradebook.sqlite"
SUBMISSION_COLUMNS = ("student", "chapter", "path", "sha256", "grader_version", "status",
                      "reason", "cells", "notes", "seconds", "finished", "language",
                      "isolation")
RESULT_COLUMNS = ("student", "chapter", "exercise", "position", "status", "points",
                  "max_points", "seed", "grader_version", "sha256", "message", "public")
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
CREATE TABLE IF NOT EXISTS runs (
    started TEXT NOT NULL, grader_version TEXT NOT NULL, isolation TEXT NOT NULL,
    protections TEXT NOT NULL);
"""
_ADDED = {"language": "TEXT", "isolation": "TEXT"}  # columns newer than the first format


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
            have = {row[1] for row in self.db.execute("PRAGMA table_info(submissions)")}
            for column, kind in _ADDED.items():
                if column not in have:
                    self.db.execute(f"ALTER TABLE submissions ADD COLUMN {column} {kind}")
            row = self.db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
            if row is None:
                self.salt = salt or secrets.token_hex(16)
                self.db.execute("INSERT INTO meta VALUES ('salt', ?)", (self.salt,))
            else:
                if salt and salt != row[0]:
                    raise ValueError(f"{self.path} was graded with another salt; use the "
                                     "same one, or a new output folder")
                self.salt = row[0]

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # --- writing ------------------------------------------------------------------------
    def add_run(self, version: str, isolation: str, protections: dict) -> None:
        with self.lock:
            self.db.execute("INSERT INTO runs VALUES (?, ?, ?, ?)",
                            (time.strftime("%Y-%m-%dT%H:%M:%S"), version, isolation,
                             json.dumps(protections, sort_keys=True)))

    def is_done(self, student: str, chapter: str, sha256: str, version: str) -> bool:
        with self.lock:
            row = self.db.execute(
                "SELECT sha256, grader_version, finished, status FROM submissions "
                "WHERE student=? AND chapter=?", (student, chapter)).fetchone()
        return row is not None and row[:3] == (sha256, version, 1) and row[3] in FINAL

    def record(self, work, version: str) -> None:
        """Replace the student's rows for this chapter with ``work``'s, all at once."""
        student, chapter = work.key
        cells = [{"cell": c.index, "from": c.origin, "seconds": round(c.seconds, 3),
                  "error": c.error} for c in work.cells]
        notes = list(work.notes)
        if work.output_dropped:
            notes.append(Text(N_("output past the limit was dropped ({count:,} characters)"),
                              {"count": work.output_dropped}))
        reason = json.dumps(work.reason.to_json(), ensure_ascii=False) if work.reason else ""
        submission = (student, chapter, work.shown_paths or work.found.shown, work.sha256,
                      version, work.status, reason, json.dumps(cells), dump(notes),
                      round(work.seconds, 3), 1, work.language,
                      work.protections.get("level"))
        with self.lock:
            self.db.execute("BEGIN")
            try:
                self.db.execute("DELETE FROM results WHERE student=? AND chapter=?",
                                (student, chapter))
                self.db.execute(f"INSERT OR REPLACE INTO submissions "
                                f"({', '.join(SUBMISSION_COLUMNS)}) VALUES "
                                f"({', '.join('?' * len(SUBMISSION_COLUMNS))})", submission)
                self.db.executemany(
                    f"INSERT OR REPLACE INTO results VALUES "
                    f"({', '.join('?' * len(RESULT_COLUMNS))})",
                    [(student, chapter, r.exercise, r.position, r.status, r.points,
                      r.max_points, r.seed, version, work.sha256, r.message, r.public)
                     for r in work.rows])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # --- reading ------------------------------------------------------------------------
    def submissions(self) -> list[dict]:
        with self.lock:
            cur = self.db.execute(f"SELECT {', '.join(SUBMISSION_COLUMNS)} FROM submissions "
                                  "ORDER BY student, chapter")
            return [dict(zip(SUBMISSION_COLUMNS, r, strict=True)) for r in cur.fetchall()]

    def results(self) -> list[dict]:
        with self.lock:
            cur = self.db.execute(
                f"SELECT {', '.join(RESULT_COLUMNS)} FROM results "
                "ORDER BY student, chapter, position, exercise")
            return [dict(zip(RESULT_COLUMNS, r, strict=True)) for r in cur.fetchall()]

    def runs(self) -> list[dict]:
        with self.lock:
            rows = self.db.execute("SELECT started, grader_version, isolation, protections "
                                   "FROM runs ORDER BY rowid").fetchall()
        return [{"started": s, "grader_version": v, "isolation": i,
                 "protections": json.loads(p)} for s, v, i, p in rows]

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
        source = Gradebook(folder)  # brings an older gradebook's columns up to date
        subs = [s for s in source.submissions() if s["finished"]]
        results: dict[tuple, list] = {}
        for row in source.results():
            results.setdefault((row["student"], row["chapter"]), []).append(row)
        source.close()
        with target.lock:
            target.db.execute("BEGIN")
            for sub in subs:
                key = (sub["student"], sub["chapter"])
                target.db.execute("DELETE FROM results WHERE student=? AND chapter=?", key)
                target.db.execute(
                    f"INSERT OR REPLACE INTO submissions ({', '.join(SUBMISSION_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(SUBMISSION_COLUMNS))})",
                    tuple(sub[c] for c in SUBMISSION_COLUMNS))
                target.db.executemany(
                    f"INSERT OR REPLACE INTO results VALUES "
                    f"({', '.join('?' * len(RESULT_COLUMNS))})",
                    [tuple(r[c] for c in RESULT_COLUMNS) for r in results.get(key, [])])
            target.db.execute("COMMIT")
    return target
