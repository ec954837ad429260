"""Settings for the whole test session, notebooks included.

Kernels started by nbval inherit this process's environment, so the switches set
here reach every notebook: no network, no progress bars, short training, and a
data folder inside build/ that the tests own.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent

os.environ["LABKIT_OFFLINE"] = "1"
os.environ["LABKIT_QUIET"] = "1"
os.environ["LABKIT_FAST"] = "1"
os.environ.setdefault("LABKIT_DATA", str(ROOT / "build" / "test-data"))
# The suite runs one notebook per core (pytest -n 2); a second PyTorch thread per
# kernel would only fight the other kernel for the same core and slow both down.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Learner notebooks: every check must say "not attempted". Solved notebooks set
# LABKIT_EXPECT=passed in their first cell (see labkit/notebook/build.py).
os.environ["LABKIT_EXPECT"] = "not-attempted"


def pytest_configure(config):
    # Write the offline MNIST files once, before any worker or kernel needs them.
    if not hasattr(config, "workerinput"):
        from labkit.data import ensure_mnist

        ensure_mnist(os.environ["LABKIT_DATA"], verbose=False)


def pytest_collection_modifyitems(config, items):
    """Spread the work over the test workers (`pytest -n 2 --dist loadgroup`).

    Each notebook run is its own group, the longest first, so the two workers run two
    notebooks at a time and finish together; every other test stays with the tests of
    its file (a file's module fixtures, some of which start kernels, are made once).
    """
    import pytest

    def is_notebook(item):
        return item.get_closest_marker("notebook") is not None

    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            group = item.nodeid if is_notebook(item) else item.nodeid.split("::")[0]
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: not is_notebook(item))  # stable: keeps their order
