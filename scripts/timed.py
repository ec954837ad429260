"""Run one phase of `make test` and say how long it took and how loaded the machine was.

    python scripts/timed.py "unit tests" -- python -m pytest ...

Each phase appends a line to build/test-times.txt; `--summary` prints them all (and
starts a new list with `--reset`). The load average is printed beside each time:
several people share the test machines, and a phase on a busy machine takes longer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

LOG = Path(__file__).resolve().parents[1] / "build" / "test-times.txt"


def _load() -> str:
    try:
        return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "load unknown"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--reset"]:
        LOG.parent.mkdir(parents=True, exist_ok=True)
        LOG.write_text("")
        return 0
    if argv[:1] == ["--summary"]:
        lines = LOG.read_text().splitlines() if LOG.exists() else []
        total = sum(float(line.split("\t")[1]) for line in lines)
        print("\nTest phases (wall-clock seconds, machine load at the end):")
        for line in lines:
            name, seconds, load = line.split("\t")
            print(f"  {float(seconds):7.1f} s  {name}  ({load})")
        print(f"  {total:7.1f} s  in all ({total / 60:.1f} min)")
        return 0
    name, command = argv[0], argv[argv.index("--") + 1:]
    start = time.monotonic()
    code = subprocess.call(command)
    seconds = time.monotonic() - start
    print(f"[phase] {name}: {seconds:.1f} s ({_load()})", flush=True)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("a") as log:
        log.write(f"{name}\t{seconds:.1f}\t{_load()}\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
