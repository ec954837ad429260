"""Batch grading for instructors: ``labkit grade SUBMISSIONS --out DIR``.

The verdict is reached in the grader's process; student code runs only in isolated
child processes (``isolation``, ``process``, ``child``), reached through the same check
code the notebooks use. One submission goes through a list of steps (``pipeline``):

read (open and validate) -> restore (protected cells back) -> plan (cells needed)
-> run (the child) -> judge (check each exercise) -> record (gradebook);

``batch`` finds the submissions (``discover``), runs the steps over them in parallel,
and writes the reports (``report``, ``feedback``). Statuses: ``statuses``.
"""

__all__: list[str] = []
