"""Run a notebook once, top to bottom, and keep the executed copy.

The copy is what the course site shows and what the tests check, so each notebook
runs once per build: the tests write ``build/executed/`` and the site reuses it. A copy
records what it was made from (the notebook's SHA-256 and labkit's switches that change
outputs, LABKIT_FAST and LABKIT_OFFLINE); `is_current` says whether it still stands for
the notebook, so a changed notebook, or a site built with other switches, runs again.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from labkit import settings

CELL_TIMEOUT_S = 600


class NotebookError(RuntimeError):
    """A cell failed; the message names the notebook, the cell and the error."""


def made_from(source: Path) -> dict:
    """What an executed copy of ``source`` records about how it was made."""
    return {"sha256": hashlib.sha256(Path(source).read_bytes()).hexdigest(),
            "fast": settings.fast(), "offline": settings.offline()}


def is_current(executed: Path, source: Path) -> bool:
    """True when ``executed`` was made from ``source`` as it is, with today's switches."""
    import json

    try:
        meta = json.loads(Path(executed).read_text(encoding="utf-8"))["metadata"]
    except (OSError, ValueError, KeyError):
        return False
    recorded = meta.get("labkit", {}).get("executed") or {}
    wanted = made_from(source)
    return {key: recorded.get(key) for key in wanted} == wanted  # "seconds" is extra


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()
             and not line.lstrip().startswith("#")]
    return (lines[0] if lines else source.strip()[:60])[:80]


def execute(source: Path, target: Path, *, timeout: float = CELL_TIMEOUT_S,
            kernel_name: str = "python3"):
    """Run every cell of ``source`` in a fresh kernel started in its folder; write the
    executed copy to ``target`` and return it. Raise NotebookError at the first error."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    source, target = Path(source), Path(target)
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(source.parent)}})
    start = time.monotonic()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as err:
        index = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and any(
            o.get("output_type") == "error" for o in cell.get("outputs", []))), None)
        where = (f"cell {index + 1} `{_first_line(nb.cells[index].source)}`"
                 if index is not None else "a cell")
        summary = str(err).strip().splitlines()
        raise NotebookError(f"{source.name}, {where}: {summary[-1] if summary else err}") from err
    nb.metadata.setdefault("labkit", {})["executed"] = {
        **made_from(source), "seconds": round(time.monotonic() - start, 1)}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    nbformat.write(nb, partial)
    os.replace(partial, target)  # a reader never sees half a notebook
    return nb


def execute_stale(pairs: list[tuple[Path, Path]], *, jobs: int = 2, echo=print) -> list[Path]:
    """Execute each (source, target) whose target is not current, ``jobs`` at a time;
    return the targets that were run. The first failure is raised after all finish."""
    todo = [(s, t) for s, t in pairs if not is_current(t, s)]
    for source, _ in todo:
        echo(f"running {source.parent.name}/{source.name}")
    errors = []

    def run(pair):
        try:
            execute(*pair)
        except NotebookError as err:
            errors.append(err)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(run, todo))
    if errors:
        raise errors[0]
    return [t for _, t in todo]
