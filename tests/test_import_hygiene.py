"""Does `import labkit` do nothing: no network, no disk writes, no matplotlib changes?"""

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import builtins, os, socket, sys
    import matplotlib
    # dict.items reads the raw values: rcParams["backend"] would itself import pyplot.
    def snapshot():
        return {k: str(v) for k, v in dict.items(matplotlib.rcParams)}
    before = snapshot()
    opened = []
    real_open = builtins.open
    def watch_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            opened.append(str(file))
        return real_open(file, mode, *args, **kwargs)
    builtins.open = watch_open
    def no_network(*args, **kwargs):
        raise AssertionError("network used during import")
    socket.socket.connect = no_network
    socket.create_connection = no_network

    import labkit
    import labkit.check, labkit.data, labkit.notebook, labkit.env, labkit.settings
    import labkit.train, labkit.plot, labkit.widgets

    assert not opened, opened
    assert snapshot() == before, "rcParams changed"
    heavy = [m for m in ("matplotlib.pyplot", "ipywidgets", "IPython", "torchvision",
                         "nbclient", "jupytext") if m in sys.modules]
    assert not heavy, f"imported at import time: {heavy}"
    print("clean")
""")


def test_import_is_clean():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_plain_import_does_not_load_submodules():
    code = "import sys, labkit; print(sorted(m for m in sys.modules if m.startswith('labkit')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['labkit']"
