"""What the browser tests share: where pictures go, timings, and the Chromium check.

Kept out of conftest.py on purpose: pytest loads a conftest under its own module name,
so state kept there would not be the state the test modules import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser.server import REPO, SKIP_HINT, find_chromium

SHOTS = REPO / "build" / "browser"
TIMES: dict[str, float] = {}  # test name -> seconds
PHASES: dict[str, dict[str, float]] = {}  # notebook -> {phase: seconds}


def chromium_or_skip() -> str:
    """The Chromium to drive; skips the calling module (or test) when there is none."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("browser tests skipped: Playwright is not installed "
                    "(pip install -e '.[test]')", allow_module_level=True)
    path = find_chromium()
    if path is None:
        pytest.skip(f"browser tests skipped: no Chromium found; {SKIP_HINT}",
                    allow_module_level=True)
    return path


def shots_for(notebook: Path) -> Path:
    """build/browser/<notebook path without .ipynb>/ (translations keep their folder)."""
    return SHOTS / notebook.relative_to(REPO / "notebooks").with_suffix("")
