"""``labkit release``, ``labkit grade`` and ``labkit gradebook``: argument handling only."""

from __future__ import annotations

import sys
from pathlib import Path


def run(args) -> int:
    try:
        if args.command == "release":
            return release(args.out, force=args.force, course=args.course,
                           language=args.language, graded=args.graded,
                           hints=not args.no_hints, wheel_url=args.wheel_url)
        if args.command == "grade":
            return _grade(args)
        if args.command == "collect":
            from labkit.grade.collect import collect

            manifest = collect(args.zip, args.out, kind=args.format)
            print(f"Collected {len(manifest['students'])} student(s) into {args.out}/ "
                  f"(manifest.json); {len(manifest['refused'])} entry(ies) refused, "
                  f"{len(manifest['skipped'])} not a submission")
            for item in manifest["refused"]:
                print(f"  refused {item['entry']!r}: {item['reason']}")
            return 0
        if args.command == "verify":
            from labkit.grade.verify import verify

            found = verify(chapters=args.chapter, extra_checks=args.extra_checks,
                           course_root=args.course, jobs=args.jobs, timeout=args.timeout,
                           unsafe=args.unsafe)
            return 1 if found else 0
        return _gradebook(args)
    except (FileNotFoundError, ValueError) as err:
        print(f"labkit {args.command}: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:  # no isolation available, --sandbox without bubblewrap
        print(f"labkit {args.command}: {err}", file=sys.stderr)
        return 2


def release(out: Path, *, force: bool = False, course=None, language: str = "en",
            graded: bool = False, hints: bool = True, wheel_url: str | None = None,
            echo=print) -> int:
    """Write the learner notebooks into ``out``, in English or a translation (the same
    code cells and cell ids, so either grades alike); never overwrite a changed file
    silently. ``graded``: an assignment with no solutions in reach (and no hints unless
    ``hints``), its package and requirement line beside the notebooks
    (``labkit.grade.graded_release``)."""
    from labkit.grade.course import Course
    from labkit.notebook.build import learner_notebook, to_text
    from labkit.notebook.project import repository_url
    from labkit.notebook.translate import chapter_table, translated

    root = Course(course).root
    url = repository_url(root)
    out = Path(out)
    planned, changed = {}, []
    wheel_name = requirement_line = None
    if graded:
        from labkit.grade import graded_release, student_wheel
        from labkit.notebook.project import installed_version

        wheel_name = f"labkit-{installed_version()}+{student_wheel.LOCAL}-py3-none-any.whl"
        requirement_line = graded_release.requirement(wheel_name, wheel_url)
    for source in sorted((root / "notebooks" / "src").glob("[0-9]*.py")):
        target = out / f"{source.stem}.ipynb"
        notebook = learner_notebook(source, url)
        if language != "en":
            notebook = translated(notebook, chapter_table(root, language, source.stem),
                                  language, url)
        if graded:
            notebook = graded_release.graded_notebook(notebook, requirement_line)
        text = to_text(notebook)
        planned[target] = text
        if target.exists() and target.read_text() != text:
            changed.append(target)
    if changed and not force:
        echo("labkit release: these files differ from the release and were not "
             "overwritten (use --force to replace them):")
        for path in changed:
            echo(f"  {path}")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for target, text in planned.items():
        target.write_text(text)
    if graded:
        wheel = student_wheel.build(out, hints=hints)
        (out / "requirements.txt").write_text(requirement_line + "\n")
        echo(f"Wrote {len(planned)} graded notebooks, {wheel.name} and requirements.txt "
             f"to {out}/ (hand out all three; no reference solution is in them)")
        return 0
    echo(f"Wrote {len(planned)} learner notebooks to {out}/")
    return 0


def _grade(args) -> int:
    from labkit.grade.batch import Shard, grade

    grade(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
          memory_mb=args.memory, chapter=args.chapter, extra_checks=args.extra_checks,
          shard=Shard.parse(args.shard), sandbox=args.sandbox, unsafe=args.unsafe,
          duplicates=args.duplicates, show_hidden=args.show_hidden, salt=salt_of(args),
          course_root=args.course, progress=not args.quiet and sys.stderr.isatty(),
          students=args.student, force=args.force)
    print(f"Gradebook: {args.out / 'gradebook.csv'} (and lms.csv, feedback/, pictures)")
    _assignment(args, args.out, roots=args.submissions)
    return 0


def _assignment(args, folder: Path, roots=()) -> None:
    """With an assignment, a roster or overrides (now or stored by an earlier run):
    remember them and write the assignment's exports."""
    from labkit.grade import assignment_run
    from labkit.grade.gradebook import Gradebook

    given = {k: getattr(args, k, None) for k in assignment_run.KEYS}
    if not any(v for k, v in given.items() if k != "course") and \
            not assignment_run.load(folder):
        return
    assignment_run.save(folder, roots, **given)
    book = Gradebook(folder)
    try:
        assignment_run.write(folder, book)
    finally:
        book.close()


def salt_of(args, environ=None) -> str | None:
    """The grading secret, from a file or the environment: never from the command line,
    where every process on the machine (a student's among them) can read it."""
    import os

    environ = os.environ if environ is None else environ
    if args.salt is not None:
        raise ValueError("--salt puts the secret where any process can read it (the "
                         "process list); put it in a file and pass --salt-file FILE, or "
                         "set LABKIT_GRADE_SALT")
    if args.salt_file is not None:
        salt = Path(args.salt_file).read_text().strip()
        if not salt:
            raise ValueError(f"--salt-file {args.salt_file}: the file is empty")
        return salt
    return environ.get("LABKIT_GRADE_SALT") or None


def _gradebook(args) -> int:
    from labkit.grade import report
    from labkit.grade.batch import write_outputs
    from labkit.grade.gradebook import FILE, Gradebook, merge

    if args.action == "merge":
        book = merge(args.folders, args.out)
        write_outputs(book, args.out)
        print(f"Merged {len(args.folders)} gradebooks into {args.out / FILE}")
        return 0
    if not (args.folder / FILE).exists():
        raise FileNotFoundError(f"{args.folder / FILE}: no gradebook here; run labkit grade "
                                "first")
    if args.action == "import":
        from labkit.grade import assignment_run

        book = Gradebook(args.folder)
        try:
            assignment_run.import_scores(args.folder, args.scores, book)
        finally:
            book.close()
        return 0
    book = Gradebook(args.folder)
    if args.format == "lms":
        path = report.write_lms(book, args.folder / "lms.csv")
    else:
        path = report.write_csv(book, args.folder / "gradebook.csv")
        from labkit.grade.feedback import write_feedback

        write_feedback(book, args.folder / "feedback", show_hidden=args.show_hidden)
    print(f"Wrote {path}")
    _assignment(args, args.folder)
    return 0
