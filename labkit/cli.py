"""The ``labkit`` command: ``labkit doctor`` and ``labkit build``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labkit", description="Tools for the PyTorch course.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="print the environment report (versions, device, data)")
    build = sub.add_parser("build", help="build learner and solved notebooks from notebooks/src")
    build.add_argument("--root", type=Path, default=Path.cwd(), help="course repository root")
    mode = build.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if a committed notebook or README is stale")
    mode.add_argument("--solved-only", action="store_true",
                      help="write only the solved notebooks under build/ (used by the tests)")
    args = parser.parse_args(argv)

    if args.command == "doctor":
        from labkit.env import format_report, report

        print(format_report(report()))
        return 0

    from labkit.notebook import RegionError
    from labkit.notebook import build as build_notebooks

    try:
        stale = build_notebooks(args.root.resolve(),
                                write_learner=not (args.check or args.solved_only),
                                write_solved=not args.check)
    except (RegionError, FileNotFoundError, KeyError, ValueError) as err:
        print(f"labkit build: {err}", file=sys.stderr)
        return 2
    if args.check and stale:
        print("Out of date (run `make build`, then commit):", file=sys.stderr)
        for path in stale:
            print(f"  {path}", file=sys.stderr)
        return 1
    for path in stale:
        print(f"{'stale (not written)' if args.solved_only else 'wrote'}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
