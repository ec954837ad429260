"""Run a notebook's code cells as a plain Python program, where Jupyter is not installed
(a GPU machine, say). Magics and shell lines are commented out; set-up and test-harness
cells are skipped.

    python scripts/notebook_as_script.py build/solved/05_gpu_and_ddp.ipynb out/chapter05

writes ``out/chapter05_body.py`` (the cells) and ``out/chapter05.py``, which runs the body
only as the main program: worker processes that re-import the main module (torchrun,
multiprocessing) then do not run the whole chapter again.
"""

import json
import sys
from pathlib import Path

RUNNER = '''\
import os

import matplotlib

matplotlib.use("Agg")
if __name__ == "__main__":
    BODY = os.path.join(os.path.dirname(os.path.abspath(__file__)), {body!r})
    exec(compile(open(BODY).read(), BODY, "exec"), globals())
'''


def main(notebook: str, stem: str) -> None:
    nb = json.loads(Path(notebook).read_text())
    parts = []
    for number, cell in enumerate(nb["cells"], start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or "harness" in tags or "setup" in tags:
            continue
        source = "".join(cell["source"])
        lines = [f"# {line}" if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        parts.append(f"# --- cell {number}\nprint('--- cell {number}', flush=True)\n"
                     + "\n".join(lines))
    body = Path(f"{stem}_body.py")
    body.parent.mkdir(parents=True, exist_ok=True)
    body.write_text("\n\n".join(parts) + "\n")
    Path(f"{stem}.py").write_text(RUNNER.format(body=body.name))


if __name__ == "__main__":
    main(*sys.argv[1:3])
