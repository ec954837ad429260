"""How long does `import labkit` take once torch is imported? Target: under 0.2 s.

Runs each measurement in a fresh interpreter and prints the median of several runs:

    .venv/bin/python benchmarks/import_time.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys

TARGET_S = 0.2
PROBE = """
import time, torch
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""
MODULES = ["labkit", "labkit.check", "labkit.data", "labkit.train, labkit.plot, labkit.widgets"]


def measure(module: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                             capture_output=True, text=True, check=True).stdout
        times.append(float(out))
    return statistics.median(times)


def main() -> None:
    print(f"{'import':<45} {'median (s)':>10}")
    for module in MODULES:
        seconds = measure(module)
        flag = "" if seconds < TARGET_S else "  over target"
        print(f"{module:<45} {seconds:>10.4f}{flag}")
    print(f"target: under {TARGET_S} s each, with torch already imported")


if __name__ == "__main__":
    main()
