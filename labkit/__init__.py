"""labkit: plots, widgets, offline data and exercise checks for the PyTorch course.

Importing labkit does nothing else: submodules load when first used, e.g.
``from labkit import data, exercises``.
"""

import importlib

__version__ = "0.1.0"

__all__ = ["check", "data", "env", "exercises", "history", "i18n", "notebook", "plot",
           "settings", "train", "widgets"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"labkit.{name}")
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")
