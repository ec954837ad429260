"""Step 6, record: the submission's status, notes and rows into the gradebook, at once.

Always runs, whatever ended the submission (the loop in ``labkit.grade.pipeline``
calls it last), so every submission found has exactly one row per student and
chapter: graded, or a status that says why not.
"""

from __future__ import annotations


def recorder(book, version: str):
    """The ``finish`` step for ``pipeline.grade``: writes into ``book``."""
    def step(work) -> None:
        book.record(work, version)
    return step
