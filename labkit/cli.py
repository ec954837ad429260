"""The ``labkit`` command: doctor, build, site, i18n, and for instructors release, grade,
gradebook.

Every mistake a user can make ends the same way: one line on stderr that names the
cause and the fix, exit code 2, no traceback. Options are checked before any work
starts. ``-q`` and ``-v`` work on every command; ``-v`` also shows the traceback of an
unexpected error, for a bug report.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from labkit.cli_paths import UsageError, writable_folder


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own complaints: one line, not the usage
        print(f"{self.prog}: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    talk = common.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true",
                      help="print only problems and results (no progress bars)")
    talk.add_argument("-v", "--verbose", action="store_true",
                      help="print more detail (and the traceback of an unexpected error)")
    return common


def parser() -> argparse.ArgumentParser:
    from labkit import __version__

    top = _Parser(prog="labkit", description="Tools for the PyTorch course.")
    top.add_argument("--version", action="version", version=f"labkit {__version__}")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _common()
    sub.add_parser("doctor", parents=[common],
                   help="check every part the course needs; exit 1 when one is missing")
    build = sub.add_parser("build", parents=[common],
                           help="build learner and solved notebooks from notebooks/src")
    build.add_argument("--root", type=Path, default=Path.cwd(), help="course repository root")
    mode = build.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if a committed notebook or README is stale")
    mode.add_argument("--solved-only", action="store_true",
                      help="write only the solved notebooks under build/ (used by the tests)")
    _site_command(sub, common)
    _instructor_commands(sub, common)
    _translation_commands(sub, common)
    return top


def main(argv: list[str] | None = None) -> int:
    args = None
    try:
        args = parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(f"labkit {getattr(args, 'command', '')}: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a disk full, a file that vanished: the cause, in one line
        if getattr(args, "verbose", False):
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"labkit {args.command if args else ''}: {where}{err.strerror or err}; "
              "check the path and its permissions, then run again", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("labkit: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
    except Exception as err:
        if getattr(args, "verbose", False):
            raise
        print(f"labkit {args.command if args else ''}: unexpected error "
              f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}; run it "
              "again with -v for the traceback and report it", file=sys.stderr)
        return 1


# --- doctor and build -----------------------------------------------------------------
def _doctor(args) -> int:
    from labkit.doctor import format_parts, parts
    from labkit.env import format_report, report

    found = parts()
    if not args.quiet:  # the machine first; the parts' versions are in the table below
        named = {part.name for part in found}
        print(format_report([row for row in report() if row[0] not in named]))
        print()
    print(format_parts(found, only_missing=args.quiet))
    return 0 if all(p.found for p in found) else 1


def _build(args) -> int:
    from labkit.notebook import RegionError
    from labkit.notebook import build as build_notebooks

    root = args.root.resolve()
    if not (root / "notebooks" / "src").is_dir():
        raise UsageError(f"{root} has no notebooks/src; run it in the course repository or "
                         "pass --root PATH")
    try:
        stale = build_notebooks(root, write_learner=not (args.check or args.solved_only),
                                write_solved=not args.check)
    except (RegionError, KeyError, ValueError) as err:
        raise UsageError(str(err)) from None
    if args.check and stale:
        print("Out of date (run `make build`, then commit):", file=sys.stderr)
        for path in stale:
            print(f"  {path}", file=sys.stderr)
        return 1
    if not args.quiet:
        for path in stale:
            print(f"{'stale (not written)' if args.solved_only else 'wrote'}: {path}")
    if args.verbose:
        print(f"{len(stale)} file(s) {'stale' if args.check else 'changed'}.")
    return 0


# --- the course site ------------------------------------------------------------------
def _site_command(sub, common) -> None:
    site = sub.add_parser("site", parents=[common],
                          help="build the course site (every chapter, both languages)")
    site.add_argument("--root", type=Path, default=Path.cwd(), help="course repository root")
    site.add_argument("--out", type=Path, default=None,
                      help="folder for the site (default: build/site)")
    site.add_argument("--executed", type=Path, default=None,
                      help="folder of executed notebooks to reuse (default: build/executed; "
                           "missing ones are run)")
    site.add_argument("--jobs", type=int, default=None,
                      help="notebooks run at once (default: 2 or the cores, whichever is less)")


def _site(args) -> int:
    root = args.root.resolve()
    if not (root / "notebooks" / "src").is_dir():
        raise UsageError(f"{root} has no notebooks/src; run it in the course repository or "
                         "pass --root PATH")
    out = writable_folder(args.out or root / "build" / "site", "--out")
    jobs = None if args.jobs is None else _positive_int(args.jobs, "--jobs",
                                                        "number of notebooks run at once")
    from labkit.site import build_site

    index = build_site(root, out, executed=args.executed or root / "build" / "executed",
                       jobs=jobs, echo=(lambda *a: None) if args.quiet else print)
    if not args.quiet:
        print(f"Site: {index}")
    return 0


# --- translations -----------------------------------------------------------------------
def _translation_commands(sub, common) -> None:
    i18n = sub.add_parser("i18n", parents=[common],
                          help="translation catalogs: update, check, stats, font")
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
        raise UsageError(f"{root} has no notebooks/src; run it in the course repository or "
                         "pass --root PATH")
    if args.action == "update":
        changed = catalogs.update(root, args.lang)
        for path in changed if not args.quiet else []:
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


# --- for instructors ------------------------------------------------------------------
def _instructor_commands(sub, common) -> None:
    release = sub.add_parser("release", parents=[common],
                             help="write the learner notebooks to hand out")
    release.add_argument("--out", type=Path, default=Path("release"), help="folder to write")
    release.add_argument("--force", action="store_true",
                         help="overwrite notebooks in --out that were changed since")
    release.add_argument("--course", type=Path, default=None, help="course repository root")
    release.add_argument("--language", default="en", choices=["en", "zh"],
                         help="the notebooks' language (zh: Chinese prose and messages)")
    release.add_argument("--graded", action="store_true",
                         help="an assignment for marks: no solution in the notebooks or "
                              "the package they install (a student wheel written beside them)")
    release.add_argument("--no-hints", action="store_true",
                         help="with --graded: hints are withheld too")
    release.add_argument("--wheel-url", default=None,
                         help="with --graded: where students' setup cells download the "
                              "wheel (a URL; default: the file beside the notebook)")

    grade = sub.add_parser("grade", parents=[common],
                           help="grade submitted notebooks into a gradebook")
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
    fence = grade.add_mutually_exclusive_group()
    fence.add_argument("--sandbox", action="store_true",
                       help="run each child as a fresh interpreter inside bubblewrap (bwrap)")
    fence.add_argument("--unsafe", action="store_true",
                       help="grade even where nothing keeps student code from reading "
                            "the grader's files (see the README)")
    grade.add_argument("--duplicates", choices=("ambiguous", "newest"), default="ambiguous",
                       help="two files for one student and chapter: grade neither "
                            "(ambiguous, the default) or the newest")
    grade.add_argument("--show-hidden", action="store_true",
                       help="put expected values of hidden inputs into the feedback")
    grade.add_argument("--salt-file", type=Path, default=None,
                       help="file holding the secret for the hidden inputs' seeds (shards "
                            "share one); or set LABKIT_GRADE_SALT")
    grade.add_argument("--salt", default=None, help=argparse.SUPPRESS)
    grade.add_argument("--course", type=Path, default=None, help="course repository root")
    _assignment_options(grade)
    grade.add_argument("--student", action="append", default=None,
                       help="grade only this student's folder (repeat for more)")
    grade.add_argument("--force", action="store_true",
                       help="grade again what is graded and unchanged (with --student: "
                            "a regrade of that student)")

    collect = sub.add_parser("collect", parents=[common],
                             help="unpack an LMS bulk download (Canvas or Moodle zip) into "
                                  "one folder per student and a manifest of times")
    collect.add_argument("zip", type=Path, help="the zip the LMS gave you")
    collect.add_argument("--out", type=Path, required=True, help="folder for the submissions")
    collect.add_argument("--format", choices=("auto", "canvas", "moodle"), default="auto",
                         help="the LMS's naming (default: recognise each entry)")

    verify = sub.add_parser("verify", parents=[common],
                            help="grade each chapter's reference solution and a blank "
                                 "notebook through every public and hidden check; exit 1 "
                                 "unless the reference gets full points and the blank none")
    verify.add_argument("--chapter", action="append", default=None,
                        help="only this chapter (repeat for more; default: every chapter)")
    verify.add_argument("--extra-checks", type=Path, default=None,
                        help="folder of hidden checks (*.py with CHAPTER and EXERCISES)")
    verify.add_argument("--jobs", type=int, default=None, help="parallel workers")
    verify.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per notebook (default 600)")
    verify.add_argument("--unsafe", action="store_true",
                        help="run where no isolation is available (the course's own code)")
    verify.add_argument("--course", type=Path, default=None, help="course repository root")

    book = sub.add_parser("gradebook", parents=[common], help="export or merge gradebooks")
    actions = book.add_subparsers(dest="action", required=True, parser_class=_Parser)
    export = actions.add_parser("export", parents=[common], help="write the CSV files again")
    export.add_argument("folder", type=Path)
    export.add_argument("--format", choices=("csv", "lms"), default="csv")
    export.add_argument("--show-hidden", action="store_true")
    _assignment_options(export)
    scores = actions.add_parser("import", parents=[common],
                                help="bring back the written answers' scores (a filled-in "
                                     "assignment/written/answers.csv) and export again")
    scores.add_argument("folder", type=Path, help="the --out folder of `labkit grade`")
    scores.add_argument("scores", type=Path, help="answers.csv with points filled in")
    merge = actions.add_parser("merge", parents=[common], help="join shard gradebooks")
    merge.add_argument("folders", nargs="+", type=Path)
    merge.add_argument("--out", type=Path, required=True, help="folder for the joined gradebook")


def _assignment_options(command) -> None:
    command.add_argument("--assignment", type=Path, default=None,
                         help="assignment file (TOML or JSON): points per exercise, due "
                              "date, late policy, written questions (see the README)")
    command.add_argument("--roster", type=Path, default=None,
                         help="roster.csv (id,name,email[,section]): exports keyed by id, "
                              "missing students listed")
    command.add_argument("--overrides", type=Path, default=None,
                         help="overrides.csv (student,exercise,points,reason); points "
                              "may be `excused`")


def _check_assignment_files(args) -> None:
    for flag in ("assignment", "roster", "overrides"):
        path = getattr(args, flag, None)
        if path is not None and not path.is_file():
            raise UsageError(f"--{flag} {path}: no such file; give the path of your "
                             f"{flag} file")


def _positive_int(value: int, flag: str, what: str, *, floor: int = 1,
                  ceiling: int | None = None) -> int:
    if value < floor or (ceiling is not None and value > ceiling):
        upto = f" to {ceiling}" if ceiling else " or more"
        raise UsageError(f"{flag} {value}: give the {what} as a whole number from "
                         f"{floor}{upto}")
    return value


def check_grade_options(args) -> list:
    """Refuse bad ``labkit grade`` options before any work; return the submissions.

    One function so that a new flag's check has one place to go.
    """
    from labkit.grade.commands import salt_of
    from labkit.grade.discover import find

    try:
        salt_of(args)  # the secret's flags first: a refused one must not wait on anything
    except ValueError as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"--salt-file {args.salt_file}: {err.strerror or err}; give a "
                         "readable file that holds the grading secret") from None
    if args.jobs is not None:
        _positive_int(args.jobs, "--jobs", "number of parallel workers", ceiling=1024)
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= 86_400):
        raise UsageError(f"--timeout {args.timeout:g}: give the seconds each submission may "
                         "run, more than 0 and at most 86400 (a day); the default is 300")
    _positive_int(args.memory, "--memory", "megabytes each submission may use", floor=64)
    if args.shard is not None:
        from labkit.grade.batch import Shard

        try:
            Shard.parse(args.shard)
        except (ValueError, KeyError) as err:
            raise UsageError(str(err).strip("'")) from None
    _check_chapters([args.chapter] if args.chapter is not None else [])
    for path in args.submissions:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder; give the folder of "
                             "submissions (submissions/<student>/<chapter>.ipynb)")
        if path.is_file() and path.suffix != ".ipynb":
            raise UsageError(f"{path} is not a notebook (.ipynb); give notebooks or the "
                             "folder that holds them")
    found = find(args.submissions, chapter=args.chapter)
    if not found:
        raise UsageError(f"no notebooks (*.ipynb) found in {', '.join(map(str, args.submissions))}"
                         "; give the folder that holds submissions/<student>/<chapter>.ipynb")
    writable_folder(args.out, "--out")
    return found


def _check_chapters(chapters) -> None:
    from labkit.exercises import CHAPTERS

    for chapter in chapters:
        if chapter not in CHAPTERS:
            import difflib

            close = difflib.get_close_matches(chapter, CHAPTERS, n=1)
            tip = f"did you mean {close[0]}? " if close else ""
            raise UsageError(f"--chapter {chapter}: no such chapter; {tip}choose one of "
                             f"{', '.join(CHAPTERS)}")


def _instructor(args) -> int:
    from labkit.grade.commands import run

    if args.command == "grade":
        check_grade_options(args)
        _check_assignment_files(args)
    elif args.command == "collect":
        import zipfile

        if not zipfile.is_zipfile(args.zip):
            raise UsageError(f"{args.zip}: not a zip file; give the bulk download from "
                             "Canvas (Download Submissions) or Moodle (Download all "
                             "submissions)")
        writable_folder(args.out, "--out")
    elif args.command == "verify":
        _check_chapters(args.chapter or [])
        if args.jobs is not None:
            _positive_int(args.jobs, "--jobs", "number of parallel workers", ceiling=1024)
    elif args.command == "release":
        if (args.no_hints or args.wheel_url) and not args.graded:
            raise UsageError("--no-hints and --wheel-url belong to a graded release; add "
                             "--graded, or leave them out for a practice release")
        writable_folder(args.out, "--out")
    elif args.action == "merge":
        from labkit.grade.gradebook import FILE

        for folder in args.folders:
            if not (folder / FILE).is_file():
                raise UsageError(f"{folder} holds no {FILE}; give the --out folders of "
                                 "`labkit grade` runs")
        writable_folder(args.out, "--out")
    else:  # export and import write into the gradebook's own folder
        _check_assignment_files(args)
        if args.action == "import" and not args.scores.is_file():
            raise UsageError(f"{args.scores}: no such file; give the answers.csv you "
                             "filled in (from assignment/written/)")
        writable_folder(args.folder, "the gradebook folder", must_exist=True)
    return run(args)


COMMANDS = {"doctor": _doctor, "build": _build, "site": _site, "i18n": _i18n,
            "release": _instructor, "grade": _instructor, "gradebook": _instructor,
            "verify": _instructor, "collect": _instructor}


if __name__ == "__main__":
    sys.exit(main())
