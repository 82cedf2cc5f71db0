"""`kms-policies access`: the KMS access the policies grant, or what a change does to it.

Loaded only for this subcommand, so the plain check pays nothing for it.
"""
from __future__ import annotations

import argparse
import os
import sys

from kms_hooks.access import CLASSES, Change, Row, diff, grows, merge, subject_rows
from kms_hooks.escape import printable
from kms_hooks.report.access import renderers
from kms_hooks.sources.base import ParseError, Source, SourceFile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

FORMATS = ("text", "markdown", "json")


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{prog} access",
        description="Review the KMS access that policies grant: who may do what with which "
                    "keys, under which conditions.  With --diff-base or --staged, only what a "
                    "change adds, widens, narrows or removes.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files to review; a directory is walked (git-tracked files inside "
                             "a git work tree); no PATH: the current directory; with "
                             "--diff-base or --staged, limits the change")
    parser.add_argument("--diff-base", metavar="REV",
                        help="compare with the merge base of REV and HEAD")
    parser.add_argument("--staged", action="store_true",
                        help="review the staged content of the git index (compared with HEAD, "
                             "or with --diff-base)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format (default: text)")
    parser.add_argument("--output-file", metavar="FILE",
                        help="write the report to FILE (such as $GITHUB_STEP_SUMMARY) instead "
                             "of standard output")
    parser.add_argument("--fail-on-new-access", metavar="CLASS[,CLASS]", default="",
                        help="exit 1 when the change adds or widens access of these classes ("
                             + ", ".join(CLASSES) + ", or all)")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (its extract entries say where policies are)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the report only")
    return parser


def main(prog: str, argv: Sequence[str], sources: tuple[str, ...]) -> int:
    args = build_parser(prog).parse_args(argv)
    classes = [c.strip() for c in args.fail_on_new_access.split(",") if c.strip()]
    if "all" in classes:
        classes = list(CLASSES)
    wrong = [c for c in classes if c not in CLASSES]
    if wrong:
        print(f"{prog} access: error: --fail-on-new-access takes classes of "
              f"{', '.join(CLASSES)} (or all), not {wrong[0]!r}", file=sys.stderr)
        return 2
    from kms_hooks.config import UsageError

    try:
        if args.diff_base or args.staged:
            changes, errors = _compare(args, sources)
            report = renderers(args.format)[1](changes)
            gate = grows(changes, classes)
            summary = _count(changes)
        else:
            found, errors = review(_files(args.paths or ["."]), _sources(args.config, sources))
            report = renderers(args.format)[0](found)
            gate = grows([Change("added", row) for row in found], classes)
            summary = f"{len(found)} access row{'s' if len(found) != 1 else ''}"
        _write(report, args.output_file)
    except UsageError as error:
        print(printable(f"{prog} access: error: {error}"), file=sys.stderr)
        return 2
    for problem in errors:
        print(problem, file=sys.stderr)
    if not args.quiet:
        if gate:
            summary += (f"; {len(gate)} add or widen access of the classes of "
                        f"--fail-on-new-access ({', '.join(classes)})")
        print(summary, file=sys.stderr)
    return 1 if gate or errors else 0


def _sources(config_path: str | None, names: tuple[str, ...]) -> list[Source]:
    from kms_hooks.config import load as load_config
    from kms_hooks.sources import load

    config = load_config(config_path)
    extra: list[Source] = []
    if config.extract:
        from kms_hooks.sources.extract import ExtractSource

        extra.append(ExtractSource(config.extract, config.root))
    return [*extra, *load(names)]


def review(files: Sequence[SourceFile], sources: list[Source]) -> tuple[list[Row], list[str]]:
    """The access rows of the files, and the files that could not be read."""
    from kms_hooks.engine import read_file

    found: list[Row] = []
    errors: list[str] = []
    for file in files:
        try:
            file.admit()  # links out of the repository and FIFOs are not read
            subjects, _ = read_file(file, sources)
            for subject in subjects:
                found.extend(subject_rows(subject))
        except ParseError as error:
            if not error.skipped:
                errors.append(_unreadable(file.path, error))
        except Exception as error:  # a bug must not hide the other files' access
            errors.append(printable(f"{file.path}: internal error: {type(error).__name__}: "
                                    f"{error}"))
        # What could not be read of a file read in part: the review of it is incomplete.
        errors.extend(_unreadable(file.path, partial) for partial in file.errors)
        file.release()
    return merge(found), errors


def _unreadable(path: str, error: ParseError) -> str:
    return printable(f"{path}:{error.span.line}:{error.span.column}: cannot read: "
                     f"{error.message}")


def _files(paths: Sequence[str]) -> list[SourceFile]:
    from kms_hooks.config import UsageError
    from kms_hooks.engine import expand_paths

    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or directory")
    named = set(paths)
    return [SourceFile(path, named=path in named) for path in expand_paths(paths)]


def _compare(args: argparse.Namespace,
             sources: tuple[str, ...]) -> tuple[list[Change], list[str]]:
    """The rows at the base and now, over the directories the change touched (a file's
    neighbours may say what its policies are attached to), and their difference."""
    from kms_hooks.gitio import (
        RevisionTree,
        changed_directories,
        head_or_empty_tree,
        merge_base,
        toplevel,
        work_tree_files,
    )

    top = toplevel()
    if top is None:
        from kms_hooks.gitio import GitError

        raise GitError("not inside a git work tree")
    base = merge_base(args.diff_base) if args.diff_base else head_or_empty_tree()
    directories = changed_directories(base, args.staged, args.paths)
    before_tree = RevisionTree(base, top)
    after_tree = RevisionTree(None, top) if args.staged else None
    before_files = [f for d in directories for f in before_tree.files(d)]
    if after_tree is not None:
        after_files = [f for d in directories for f in after_tree.files(d)]
    else:
        after_files = [f for d in directories if os.path.isdir(d) for f in work_tree_files(d)]
    # Sources remember the modules they read: each side gets its own.
    before, _ = review(before_files, _sources(args.config, sources))
    after, errors = review(after_files, _sources(args.config, sources))
    return diff(before, after), errors


def _count(changes: list[Change]) -> str:
    from kms_hooks.access import CHANGES

    counts = [f"{sum(1 for c in changes if c.change == name)} {name}" for name in CHANGES]
    return "access changes: " + ", ".join(counts)


def _write(report: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(report)
        return
    from kms_hooks.config import UsageError

    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(report)
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from None
