"""Does `import labkit` do nothing: no network, no disk writes, no matplotlib changes?"""

import json
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


# Each statement runs in a fresh fork of one interpreter that has imported torch (and no
# labkit module): one torch import instead of one per statement.
FORKS = textwrap.dedent("""
    import json, os, sys
    import torch
    found = []
    for statement in json.loads(sys.argv[1]):
        read, write = os.pipe()
        if os.fork() == 0:
            os.close(read)
            try:
                exec(statement, {})
                names = " ".join(m for m in sys.modules if m.startswith("labkit"))
                os.write(write, names.encode())
                os._exit(0)
            except BaseException as error:
                os.write(write, f"!{type(error).__name__}: {error}".encode())
                os._exit(1)
        os.close(write)
        with os.fdopen(read) as pipe:
            found.append(pipe.read())
        os.wait()
    print(json.dumps(found))
""")


def _labkit_modules_after(*statements: str) -> list[set[str]]:
    """The labkit modules loaded after each statement, each run on its own."""
    out = subprocess.run([sys.executable, "-c", FORKS, json.dumps(statements)],
                         capture_output=True, text=True, check=True).stdout
    found = json.loads(out)
    failed = [f"{s}: {f[1:]}" for s, f in zip(statements, found, strict=True) if f.startswith("!")]
    assert not failed, failed
    return [set(f.split()) for f in found]


def test_shared_model_helpers_are_a_leaf():
    """Does labkit.models import no other labkit module, and do train and plot not import
    each other at import time (no cycle train -> plot.live -> plot -> train)?"""
    models, train, plot = _labkit_modules_after(
        "import labkit.models", "import labkit.train", "import labkit.plot, labkit.widgets")
    assert models == {"labkit", "labkit.models"}
    assert not any(m.startswith("labkit.plot") for m in train)
    assert "labkit.train" not in plot


def test_no_module_imports_another_packages_private_module():
    """Do modules import only public modules of other labkit packages (no `_name` module
    from outside its own package)?"""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "labkit"
    offenders = []
    for path in root.rglob("*.py"):
        package = ".".join(("labkit", *path.relative_to(root).parent.parts))
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("labkit")):
                parent, _, last = node.module.rpartition(".")
                if last.startswith("_") and not last.startswith("__") and parent != package:
                    offenders.append(f"{path.relative_to(root)}: {node.module}")
    assert offenders == []
