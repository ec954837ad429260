"""Batch grading for instructors: ``labkit grade SUBMISSIONS --out DIR``.

The verdict is reached in the grader's process; student code runs only in a child
process (see ``labkit.grade.process``), reached through the same check code the
notebooks use. Modules, in the order a submission meets them:

submission (find and read) -> restore (protected cells back) -> plan (cells needed)
-> process/child (run them) -> judge (check each exercise) -> gradebook -> report.
"""

__all__: list[str] = []
