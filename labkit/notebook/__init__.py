"""Building learner and solved notebooks from chapter sources."""

from labkit.notebook.build import build, chapters, learner_notebook, solved_notebook
from labkit.notebook.regions import RegionError, learner, solved

__all__ = ["RegionError", "build", "chapters", "learner", "learner_notebook", "solved",
           "solved_notebook"]
