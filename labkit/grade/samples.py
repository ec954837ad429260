"""Sample submissions made from the chapters themselves: the reference solutions put
into the learner notebook, as a student would hand them in. The tests grade them (every
check must pass under the grader too) and the throughput benchmark mixes them with
wrong, broken and hostile ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path


def exercise_cells(nb: dict) -> list[dict]:
    """The cells that hold the learner's answers (tagged by the build)."""
    from labkit.notebook.build import EXERCISE

    return [c for c in nb["cells"] if EXERCISE in c.get("metadata", {}).get("tags", [])]


def learner_and_answers(root: Path, chapter: str) -> tuple[dict, list[str]]:
    """The learner notebook as handed out, and the solved source of each exercise cell."""
    from labkit.notebook.build import learner_notebook, solved_notebook, to_text
    from labkit.notebook.project import repository_url

    source = root / "notebooks" / "src" / f"{chapter}.py"
    url = repository_url(root)
    learner = json.loads(to_text(learner_notebook(source, url)))
    solved = json.loads(to_text(solved_notebook(source, url)))
    return learner, ["".join(c["source"]) for c in exercise_cells(solved)]


def solved_submission(root: Path, chapter: str, *, keep: int | None = None) -> dict:
    """The learner notebook with the first ``keep`` exercise cells answered (all: None)."""
    learner, answers = learner_and_answers(root, chapter)
    nb = copy.deepcopy(learner)
    cells = exercise_cells(nb)
    for cell, answer in list(zip(cells, answers, strict=True))[:keep]:
        cell["source"] = answer
    return nb

