"""The ``labkit`` command: doctor, build, and for instructors release, grade, gradebook."""

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
    _instructor_commands(sub)
    _translation_commands(sub)
    args = parser.parse_args(argv)

    if args.command == "i18n":
        return _i18n(args)

    if args.command in ("release", "grade", "gradebook"):
        from labkit.grade.commands import run

        return run(args)
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


def _translation_commands(sub) -> None:
    i18n = sub.add_parser("i18n", help="translation catalogs: update, check, stats")
    i18n.add_argument("action", choices=["update", "check", "stats", "font"],
                      help="update: refresh the catalogs from the English sources; "
                           "check: list what is untranslated, fuzzy or broken; "
                           "stats: count the translated entries; "
                           "font: cut the course's Chinese font for figures anew")
    i18n.add_argument("--lang", default="zh", help="language code (default: zh)")
    i18n.add_argument("--root", type=Path, default=Path.cwd(), help="course repository root")


def _i18n(args) -> int:
    from labkit.notebook import catalogs

    root = args.root.resolve()
    if not (root / "notebooks" / "src").is_dir():
        print(f"labkit i18n: {root} has no notebooks/src; run it in the course repository "
              "or pass --root", file=sys.stderr)
        return 2
    if args.action == "update":
        changed = catalogs.update(root, args.lang)
        for path in changed:
            print(f"updated: {path.relative_to(root)}")
        print(f"{len(changed)} catalog(s) changed.")
        return 0
    if args.action == "font":
        from labkit.notebook import figure_font

        try:
            glyphs, size = figure_font.write(root, lang=args.lang)
        except FileNotFoundError as err:
            print(f"labkit i18n font: {err}", file=sys.stderr)
            return 2
        print(f"wrote {figure_font.shipped(root).relative_to(root)}: {glyphs} glyphs, "
              f"{size / 1024:.0f} KiB")
        return 0
    if args.action == "stats":
        found = catalogs.counts(root, args.lang)
        print(f"{found['paragraphs']} paragraphs and {found['messages']} messages translated.")
        return 0
    problems = catalogs.problems(root, args.lang)
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s).")
    return 1 if problems else 0


def _instructor_commands(sub) -> None:
    release = sub.add_parser("release", help="write the learner notebooks to hand out")
    release.add_argument("--out", type=Path, default=Path("release"), help="folder to write")
    release.add_argument("--force", action="store_true",
                         help="overwrite notebooks in --out that were changed since")
    release.add_argument("--course", type=Path, default=None, help="course repository root")
    release.add_argument("--language", default="en", choices=["en", "zh"],
                         help="the notebooks' language (zh: Chinese prose and messages)")

    grade = sub.add_parser("grade", help="grade submitted notebooks into a gradebook")
    grade.add_argument("submissions", nargs="+", type=Path,
                       help="files or folders (submissions/<student>/<chapter>.ipynb)")
    grade.add_argument("--out", type=Path, required=True, help="folder for the gradebook")
    grade.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    grade.add_argument("--timeout", type=float, default=300.0,
                       help="seconds per submission (default 300)")
    grade.add_argument("--memory", type=int, default=2048, help="MB per submission (default 2048)")
    grade.add_argument("--chapter", default=None, help="grade every file as this chapter")
    grade.add_argument("--extra-checks", type=Path, default=None,
                       help="folder of hidden checks (*.py with CHAPTER and EXERCISES)")
    grade.add_argument("--shard", default=None,
                       help="grade the share I/N (0-based), or auto[/N] from Slurm/Kubernetes")
    grade.add_argument("--sandbox", action="store_true",
                       help="run student code inside bubblewrap (bwrap)")
    grade.add_argument("--show-hidden", action="store_true",
                       help="put expected values of hidden inputs into the feedback")
    grade.add_argument("--salt", default=None,
                       help="secret for the hidden inputs' seeds (shards share one)")
    grade.add_argument("--course", type=Path, default=None, help="course repository root")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")

    book = sub.add_parser("gradebook", help="export or merge gradebooks")
    actions = book.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the CSV files again")
    export.add_argument("folder", type=Path)
    export.add_argument("--format", choices=("csv", "lms"), default="csv")
    export.add_argument("--show-hidden", action="store_true")
    merge = actions.add_parser("merge", help="join shard gradebooks")
    merge.add_argument("folders", nargs="+", type=Path)
    merge.add_argument("--out", type=Path, required=True, help="folder for the joined gradebook")


if __name__ == "__main__":
    sys.exit(main())
