"""The course site: every chapter as a learner sees it after Run All (see build.py)."""

from labkit.site.build import build_site, pages
from labkit.site.execute import NotebookError, execute, is_current

__all__ = ["NotebookError", "build_site", "execute", "is_current", "pages"]
