"""A chapter's files: its source, and the notebooks built from it, in each language.

The chapter ids come from the one registry, ``labkit.exercises``; ``chapters(repo)``
pairs each with its source ``notebooks/src/NN_name.py`` and refuses a source that names
no registered chapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labkit.notebook import regions


@dataclass(frozen=True)
class Chapter:
    source: Path

    @property
    def stem(self) -> str:
        return self.source.stem

    def learner_path(self, repo: Path) -> Path:
        return repo / "notebooks" / f"{self.stem}.ipynb"

    def solved_path(self, repo: Path) -> Path:
        return repo / "build" / "solved" / f"{self.stem}.ipynb"

    def translated_learner_path(self, repo: Path, lang: str) -> Path:
        return repo / "notebooks" / lang / f"{self.stem}.ipynb"

    def translated_solved_path(self, repo: Path, lang: str) -> Path:
        return repo / "build" / "solved" / lang / f"{self.stem}.ipynb"


def chapters(repo: Path) -> list[Chapter]:
    """The chapters of the registry whose source is in ``repo``, in course order.

    A source that names no chapter of the registry is an error; the course's own tests
    also require every registered chapter to have its source."""
    from labkit.exercises import CHAPTERS

    folder = repo / "notebooks" / "src"
    sources = {p.stem: p for p in folder.glob("[0-9]*.py")}
    extra = sorted(set(sources) - set(CHAPTERS))
    if extra:
        raise FileNotFoundError(
            "; ".join(f"{sources[c]} has no exercise folder labkit/exercises/ch{c}/"
                      for c in extra)
            + ". Every chapter has both (see CONTRIBUTING.md, 'Add a chapter').")
    return [Chapter(sources[c]) for c in CHAPTERS if c in sources]


def read_source(path: Path):
    import jupytext

    try:
        return jupytext.read(path, fmt="py:percent")
    except Exception as err:
        raise regions.RegionError(f"{path}: jupytext could not read it: {err}") from err


def teaches(path: Path, nb=None) -> str:
    """The chapter's one-line summary for README, from its header's ``labkit: teaches``
    (``nb``: the source already read)."""
    meta = (nb if nb is not None else read_source(path)).metadata.get("labkit", {})
    text = meta.get("teaches") if isinstance(meta, dict) else None
    if not text:
        raise regions.RegionError(
            f"{path}: the header needs a summary line for README, e.g.\n"
            "#   labkit:\n#     teaches: \"what the chapter teaches, in one line\"")
    return " ".join(str(text).split())
