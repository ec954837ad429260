"""Every environment switch labkit understands, read at call time in one place.

Nothing here is cached: a notebook or a test can change ``os.environ`` and the
next labkit call sees it.

| variable          | meaning                                                        |
|-------------------|----------------------------------------------------------------|
| LABKIT_OFFLINE=1  | never touch the network (tests always set it)                   |
| LABKIT_QUIET=1    | no progress bars, no live plots: draw once at the end           |
| LABKIT_FAST=1     | shorten training loops (used by the test suite only)            |
| LABKIT_DATA=path  | where datasets live (default: ``~/.cache/labkit/data``)         |
| LABKIT_SEED=int   | seed for the random inputs of exercise checks                   |
| LABKIT_EXPECT=... | test harness only: make checks raise unless their outcome is    |
|                   | this one (``not-attempted`` for learner notebooks, ``passed``    |
|                   | for solved ones)                                                |
"""

from __future__ import annotations

import os
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def offline() -> bool:
    """True when labkit must not use the network."""
    return _flag("LABKIT_OFFLINE")


def quiet() -> bool:
    """True when progress bars and live plots are turned off."""
    return _flag("LABKIT_QUIET")


def fast() -> bool:
    """True when training loops should be shortened (test suite only)."""
    return _flag("LABKIT_FAST")


def data_root() -> Path:
    """Folder that holds datasets; created by the function that writes to it."""
    value = os.environ.get("LABKIT_DATA", "").strip()
    if value:
        return Path(value).expanduser()
    return Path.home() / ".cache" / "labkit" / "data"


def check_seed() -> int | None:
    """Seed for exercise checks' random inputs, or None for a fresh one."""
    value = os.environ.get("LABKIT_SEED", "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"LABKIT_SEED must be a whole number, got {value!r}. "
            "Unset it or set it to e.g. LABKIT_SEED=0."
        ) from None


def expected_outcome() -> str | None:
    """Outcome every check must have (test harness only), or None."""
    value = os.environ.get("LABKIT_EXPECT", "").strip().lower()
    return value or None
