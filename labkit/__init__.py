"""labkit: plots, widgets, offline data and exercise checks for the PyTorch course.

Importing labkit does nothing else: submodules load when first used, e.g.
``from labkit import data, exercises``. ``labkit.__version__`` is read on first use from
the one place that holds it, pyproject.toml (see `labkit.notebook.project.version`).
"""

import importlib

__all__ = ["check", "data", "env", "exercises", "extras", "history", "i18n", "notebook",
           "plot", "settings", "train", "widgets"]


def __getattr__(name):
    if name == "__version__":
        from labkit.notebook.project import installed_version

        return installed_version()
    if name in __all__:
        return importlib.import_module(f"labkit.{name}")
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")
