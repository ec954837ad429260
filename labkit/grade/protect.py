"""Before a run: sweep what killed graders left, prepare the children, choose the fence.

``prepare`` makes the run's folder, the children's data (``heldout``) and their view
(``view``), then starts one probe child per candidate level (strongest first) until one
isolates itself in full; that level is the run's, and every child after it must reach
it too or run nothing. With no level that protects reads, the grader refuses to run
unless told ``--unsafe``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

from labkit.grade import heldout, isolation, leftovers, view, withhold
from labkit.grade.process import LearnerProcess, LearnerProcessLost, Settings, warm_up


def prepare(requested: str, *, timeout: float, memory_mb: int, threads: int = 1):
    """(Settings for every child, the protections that took effect, the run folder)."""
    from labkit import settings as environment
    from labkit.grade import privileges

    levels = isolation.candidates(requested)
    swept = leftovers.sweep()
    run_folder = leftovers.new_run_folder()
    try:
        os.mkdir(run_folder / "root", 0o755)
        data, masked = heldout.prepare(run_folder / "data", environment.data_root())
        masked.update(withhold.masked_copies(run_folder / "withheld", view.labkit_package()))
        seen = view.build(data_dir=str(data), masked=masked)
        base = Settings(run_folder=str(run_folder), view=seen.to_config(), data_dir=str(data),
                        timeout=timeout, memory_mb=memory_mb, threads=threads,
                        nobody=privileges.nobody_ids() if privileges.real_root() else None,
                        drop_root=isolation.can_drop_root())
        if "bubblewrap" not in levels:
            warm_up()  # from this thread, which outlives the batch
        why_not = []
        for level in levels:
            problem = isolation.precheck(level)
            if problem is None:
                settings = replace(base, isolation=level, timeout=60)
                try:
                    probe = LearnerProcess(settings)
                except LearnerProcessLost as lost:
                    problem = lost.detail
                else:
                    probe.stop()
                    protections = {**probe.protections, "swept": str(len(swept))}
                    return replace(base, isolation=level), protections, run_folder
            why_not.append(f"{level}: {problem}")
        raise isolation.Unprotected(
            "no isolation that protects what student code can read works here ("
            + "; ".join(why_not) + "). Run as root or allow unprivileged user namespaces "
            "(namespaces), use a kernel with Landlock and a Python readable by `nobody` "
            "(landlock), install bubblewrap and pass --sandbox, or grade anyway with "
            "--unsafe (student code could then read any file the grader can).")
    except BaseException:
        shutil.rmtree(run_folder, ignore_errors=True)
        raise


def describe(protections: dict) -> list[str]:
    """The protections, one line each, for the start of a run."""
    order = ("level", "user", "reads", "writes", "network", "processes", "signals", "swept")
    labels = {"level": "isolation", "swept": "leftovers of killed runs removed"}
    return [f"  {labels.get(k, k)}: {protections[k]}" for k in order if k in protections]


def finish(run_folder: Path) -> None:
    shutil.rmtree(run_folder, ignore_errors=True)
