"""Settings for the whole test session, notebooks included.

Kernels started by nbval inherit this process's environment, so the switches set
here reach every notebook: no network, no progress bars, short training, and a
data folder inside build/ that the tests own.
"""

import os
from pathlib import Path

import pytest

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


# Rough minutes on an idle 2-core machine for the test files that take longest (see
# `--durations`), so that the workers start them first and finish together.
SLOW_FILES = {
    "tests/grade/test_golden.py": 1.0, "tests/grade/test_resume_and_shards.py": 1.0,
    "tests/test_colab.py": 1.0, "tests/grade/test_chapters.py": 0.5,
    "tests/test_import_hygiene.py": 0.4, "tests/grade/test_isolation.py": 0.3,
    "tests/exercises/test_ch05_gpu_and_ddp.py": 0.3,
    "tests/exercises/test_ch06_deployment.py": 0.3,
}

# Long groups that partly wait (the browser self-test waits for widgets and the kernel
# between its faults): first, so that the other worker's work fills their waits.
WAITING_FIRST = ("tests/browser/test_selftest.py",)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    """Spread the work over the test workers (`pytest -n 2 --dist loadgroup`).

    Each notebook run is its own group; every other test stays with the tests of its
    file (a file's module fixtures, some of which start kernels, are made once). The
    longest groups go first (notebooks in their own order, longest chapter first, then
    the slow files), so that the two workers finish together.
    """
    def is_notebook(item):
        return item.get_closest_marker("notebook") is not None

    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            group = item.nodeid if is_notebook(item) else item.nodeid.split("::")[0]
            item.add_marker(pytest.mark.xdist_group(group))

    def rank(item):
        if item.nodeid.startswith(WAITING_FIRST):
            return -1, 0.0
        if is_notebook(item):
            return 0, 0.0
        return 1, -SLOW_FILES.get(item.nodeid.split("::")[0], 0.0)

    items.sort(key=rank)  # a stable sort: tests keep their order within a group
