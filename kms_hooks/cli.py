"""Command-line entry points: one `main(argv) -> int` per hook, sharing their options."""
from __future__ import annotations

import os
import re
import sys
import time

from kms_hooks.config import FAIL_ON
from kms_hooks.model import SEVERITIES, SEVERITY_RANK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence, TextIO

    import argparse

    from kms_hooks.config import Config
    from kms_hooks.engine import Options, Outcome
    from kms_hooks.gitio import ChangedLines
    from kms_hooks.sources.base import Source, SourceFile

FORMAT_CHOICES = ("text", "json", "sarif", "github")
INSTALL_HOOK = "install-git-hook"
ACCESS = "access"


def help_formatter() -> type[argparse.HelpFormatter]:
    import argparse

    class HelpFormatter(argparse.HelpFormatter):
        """argparse's formatter, sized without `shutil`: argparse makes one for each option it
        adds, and shutil (with the compression modules it loads) is most of argparse's
        start-up."""

        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None) -> None:
            if width is None:
                width = _columns() - 2
            super().__init__(prog, indent_increment, max_help_position, width)

    return HelpFormatter


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it: COLUMNS, else the
    terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
        if columns > 0:
            return columns
    except (KeyError, ValueError):
        pass
    stdout = sys.__stdout__
    try:
        return (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
    except (ValueError, OSError):
        return 80


def build_parser(prog: str) -> argparse.ArgumentParser:
    import argparse

    from kms_hooks import __version__

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check AWS KMS permissions in policy files against AWS's guidance.",
        formatter_class=help_formatter(),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files to check (default: the current directory); a directory is "
                             "walked (inside a git work tree: tracked files and untracked ones "
                             f"git does not ignore); `{prog} {INSTALL_HOOK}` writes a git "
                             f"pre-commit hook; `{prog} {ACCESS} --help`: the access review")
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    parser.add_argument("--format", choices=FORMAT_CHOICES, default=None,
                        help="output format (default: text; github under GitHub Actions)")
    parser.add_argument("--output-file", metavar="FILE",
                        help="write the report to FILE instead of standard output")
    parser.add_argument("--fail-on", choices=FAIL_ON, default=None,
                        help="exit 1 when a finding at or above this severity is reported "
                             "(default: warning)")
    parser.add_argument("--trusted-account", action="append", default=[], metavar="ID",
                        help="an account whose keys may be used (repeatable; enables KMS105)")
    parser.add_argument("--select", action="append", default=[], metavar="ID",
                        help="run only these rules: ids, prefixes such as KMS1, or names "
                             "(repeatable, or a comma list: KMS101,KMS2)")
    parser.add_argument("--ignore", action="append", default=[], metavar="ID",
                        help="do not run these rules (ids, prefixes or names; repeatable, or "
                             "a comma list)")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: [tool.kms-hooks] in pyproject.toml, "
                             "else .kms-hooks.toml, from here up to the git root)")
    parser.add_argument("--baseline", metavar="FILE",
                        help="report only findings not recorded in FILE")
    parser.add_argument("--write-baseline", metavar="FILE",
                        help="record the current findings in FILE and exit 0")
    parser.add_argument("--staged", action="store_true",
                        help="check the staged content of the git index, not the working tree")
    parser.add_argument("--diff-base", metavar="REV",
                        help="report only findings on lines added or changed since the merge "
                             "base of REV and HEAD")
    parser.add_argument("--fix", action="store_true",
                        help="apply the safe fixes in place, then report what remains (exit 1 "
                             "when a file changed)")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff: also the fixes that narrow access or change "
                             "what a deployment does")
    parser.add_argument("--diff", action="store_true",
                        help="print the fixes as a unified diff, write nothing (exit 1 when "
                             "there is one)")
    parser.add_argument("--explain", metavar="ID",
                        help="print a rule's documentation (by id or name) and exit")
    parser.add_argument("--list-rules", action="store_true",
                        help="print the rules (with --format json: as JSON) and exit")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="say which files were skipped and how each policy was read")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    return parser


# What build_parser's options are when none is given (a test keeps the two the same).
DEFAULTS: dict[str, object] = {
    "paths": [], "format": None, "output_file": None, "fail_on": None, "trusted_account": [],
    "select": [], "ignore": [], "config": None, "baseline": None, "write_baseline": None,
    "staged": False, "diff_base": None, "fix": False, "unsafe_fixes": False, "diff": False,
    "explain": None, "list_rules": False, "verbose": 0, "quiet": False,
}


def parse_arguments(prog: str, argv: list[str]) -> argparse.Namespace:
    """The options and paths of a run.  A hook call passes paths alone: those need no parser,
    and argparse, with the gettext and locale modules it loads, is a fifth of such a call."""
    if any(word.startswith("-") for word in argv):
        return build_parser(prog).parse_args(argv)
    from types import SimpleNamespace

    defaults = {name: list(value) if isinstance(value, list) else value
                for name, value in DEFAULTS.items()}
    return SimpleNamespace(**{**defaults, "paths": list(argv)})  # type: ignore[return-value]


def _say(line: str) -> None:
    """One line on stderr, escaped: file names and values come from the repository."""
    from kms_hooks.escape import printable, shortened

    print(printable(shortened(line)), file=sys.stderr)


def _usage_error(prog: str, message: str) -> int:
    _say(f"{prog}: error: {message}")
    return 2


def _file_names(argv: list[str]) -> tuple[list[str], list[str]]:
    """The options, and the file names that look like options, of a run under pre-commit.

    pre-commit (which sets PRE_COMMIT=1 for its hooks) passes file names after the hook's
    `args`, without `--`: a committed file named `--write-baseline=x` or `-v` would be acted on
    as an option.  Under pre-commit a word that names an existing file, or a first word that
    does (`install-git-hook`, `access`), is a file to check, never an option or a command."""
    if os.environ.get("PRE_COMMIT") != "1":
        return argv, []
    options: list[str] = []
    names: list[str] = []
    for position, word in enumerate(argv):
        named = (word.startswith("-") or position == 0) and os.path.lexists(word)
        (names if named else options).append(word)
    return options, names


def run(prog: str, argv: Sequence[str] | None) -> int:
    from kms_hooks.sources import HOOKS

    argv, file_names = _file_names(list(sys.argv[1:] if argv is None else argv))
    if argv[:1] == [INSTALL_HOOK] and not file_names:
        return install_git_hook(prog, argv[1:])
    if argv[:1] == [ACCESS] and not file_names:
        from kms_hooks.access_command import main as access

        return access(prog, argv[1:], HOOKS[prog])
    args = parse_arguments(prog, argv)
    args.paths.extend(file_names)
    if args.list_rules:
        from kms_hooks.rules.docs import rule_table, rules_json

        return _write_report(prog, args, rules_json() if args.format == "json" else rule_table())
    if args.explain:
        from kms_hooks.rules import get
        from kms_hooks.rules.docs import explain

        found = get(args.explain)
        if found is None:
            return _usage_error(prog, f"no rule {args.explain!r}; see --list-rules")
        sys.stdout.write(explain(found))
        return 0
    if args.unsafe_fixes and not (args.fix or args.diff):
        return _usage_error(prog, "--unsafe-fixes needs --fix or --diff")
    if (args.fix or args.diff) and args.write_baseline:
        return _usage_error(prog, "--write-baseline records findings; it does not fix them")
    bad = [a for a in args.trusted_account if not re.fullmatch(r"\d{12}", a)]
    if bad:
        return _usage_error(prog, f"--trusted-account takes a 12-digit account id, not {bad[0]!r}")
    from kms_hooks.rules import as_ids, split_names

    args.select, args.ignore = split_names(args.select), split_names(args.ignore)
    unknown = _unknown_rule_names([*args.select, *args.ignore])
    if unknown:
        return _usage_error(prog, f"no rule matches {unknown!r}; see --list-rules")
    args.select, args.ignore = as_ids(args.select), as_ids(args.ignore)
    if not args.paths and not args.staged and not args.diff_base:
        args.paths = ["."]  # as ruff does: no path is the current directory

    from kms_hooks.config import UsageError
    from kms_hooks.config import load as load_config
    from kms_hooks.engine import run as run_checks
    from kms_hooks.report import formatter

    try:
        config = load_config(args.config)
        options = _options(args, config, HOOKS[prog])
        missing = [] if args.staged else [p for p in args.paths if not os.path.lexists(p)]
        if missing:
            # A typo in a CI step must not pass as "0 findings".
            raise UsageError(f"{missing[0]}: no such file or directory")
        files = _files(args)
        changed = None
        if args.diff_base:
            from kms_hooks.gitio import changed_lines

            changed = changed_lines(args.diff_base, staged=args.staged)
            for notice in changed.notices:
                _say(notice)
            if not args.paths and not args.staged:
                files = _existing(changed.paths())
    except UsageError as error:
        return _usage_error(prog, str(error))

    def check(files: list[SourceFile]) -> Outcome:
        progress = Progress(len(files)) if not args.quiet and sys.stderr.isatty() else None
        outcome = run_checks(files, options, progress)
        if progress is not None:
            progress.done()
        if changed is not None:
            _only_changed(outcome, changed)
        if args.baseline and not args.write_baseline:
            from kms_hooks.baseline import apply

            apply(args.baseline, outcome)
        return outcome

    fixing = args.fix or args.diff
    try:
        if fixing:
            from kms_hooks.fixes import run_fixes

            outcome, fixed = run_fixes(files, check, args)
            if fixed.diff is not None:
                return fixed.diff
        else:
            outcome = check(files)
        if args.write_baseline:
            from kms_hooks.baseline import write

            written = write(args.write_baseline, outcome)
            if not args.quiet:
                _say(f"{args.write_baseline}: recorded {_count(written, 'finding')}")
            return 0
    except UsageError as error:
        return _usage_error(prog, str(error))

    chosen = _format(args.format)
    if chosen == "text" and not args.output_file and colour_wanted(sys.stdout):
        from kms_hooks.report.text import render

        report = render(outcome, colour=True)
    else:
        report = formatter(chosen)(outcome)
    status = _write_report(prog, args, report)
    if status:
        return status
    if args.verbose:
        for path, why in outcome.skipped:
            _say(f"{path}: skipped: {why}")
        for path, note in outcome.notes:
            _say(f"{path}: {note}")
        if outcome.suppressed:
            from kms_hooks.suppress import describe

            for silenced in outcome.suppressed:
                _say(describe(silenced))
    for problem in outcome.errors:
        _say(problem)
    if not args.quiet:
        if outcome.findings and any(os.path.isdir(p) for p in args.paths):
            sys.stderr.write(rule_summary(outcome))
        print(summary(outcome), file=sys.stderr)
        if fixing:
            for line in fixed.problems:
                print(line, file=sys.stderr)
            print(fixed.summary(), file=sys.stderr)
    if fixing and fixed.files:
        return 1  # as pre-commit fixers do: the changed files need a look and a `git add`
    return exit_status(outcome, args.fail_on or config.fail_on or "warning")


def _write_report(prog: str, args: argparse.Namespace, report: str) -> int:
    """The report to --output-file, else to standard output; 0, or 2 when the file cannot be
    written."""
    if not args.output_file:
        sys.stdout.write(report)
        # Before the summary on stderr: a git hook's two streams share one pipe.
        sys.stdout.flush()
        return 0
    from kms_hooks.files import Unreadable, write_text

    try:
        write_text(args.output_file, report)
    except Unreadable as error:
        return _usage_error(prog, f"cannot write {args.output_file}: {error.detail}")
    return 0


def colour_wanted(stream: TextIO) -> bool:
    """Colour on a terminal; NO_COLOR (no-color.org) turns it off and FORCE_COLOR
    (force-color.org) on, whatever the stream, when set to anything but the empty string."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _format(chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _options(args: argparse.Namespace, config: Config, sources: tuple[str, ...]) -> Options:
    """The settings of this run: the command line's where it gives them, else the file's."""
    from kms_hooks.checker import Selection
    from kms_hooks.engine import Options
    from kms_hooks.rules import Context

    trusted = args.trusted_account or config.trusted_accounts or ()
    default_context = Context()
    context = Context(
        trusted_accounts=frozenset(trusted),
        sensitive_actions=default_context.sensitive_actions | frozenset(config.sensitive_actions),
        account=config.account,
    )
    selection = Selection(
        select=tuple(args.select or config.select or ()),
        ignore=tuple(args.ignore or config.ignore or ()),
        severity=dict(config.severity),
        per_file_ignores=config.per_file_ignores,
        root=config.root,
    )
    extra: tuple[Source, ...] = ()
    if config.extract:
        from kms_hooks.sources.extract import ExtractSource

        extra = (ExtractSource(config.extract, config.root),)
    return Options(sources=sources, context=context, selection=selection, extra_sources=extra)


def _files(args: argparse.Namespace) -> list[SourceFile]:
    from kms_hooks.engine import expand_paths
    from kms_hooks.sources.base import SourceFile

    if args.staged:
        from kms_hooks.gitio import staged_files

        return staged_files(args.paths)
    named = set(args.paths)
    return [SourceFile(path, named=path in named) for path in expand_paths(args.paths)]


def _existing(paths: list[str]) -> list[SourceFile]:
    from kms_hooks.sources.base import SourceFile

    return [SourceFile(os.path.relpath(p)) for p in paths if os.path.isfile(p)]


def _only_changed(outcome: Outcome, changed: ChangedLines) -> None:
    """Keep the findings on changed lines; a file that can no longer be read is always news
    when the change touched it."""
    kept = []
    for finding in outcome.findings:
        path = finding.where.doc.path
        span = finding.where.span()
        if finding.rule == "KMS001":
            keep = changed.touched(path)
        else:
            keep = changed.changed(path, span.line, max(span.line, span.end_line))
            if not keep and finding.statement is not None:
                # A new action beside an old "Resource": "*" makes the finding new.  Only the
                # lines inside the statement count: its first and last lines also change when
                # a statement is added after it (a comma, a brace).
                whole = finding.statement.span()
                if whole.end_line - whole.line >= 2:
                    keep = changed.changed(path, whole.line + 1, whole.end_line - 1)
        if keep:
            kept.append(finding)
    outcome.outside_diff = len(outcome.findings) - len(kept)
    outcome.findings = kept


def install_git_hook(prog: str, argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog=f"{prog} {INSTALL_HOOK}",
        description="Write .git/hooks/pre-commit so that each commit checks its staged files "
                    "(for repositories that do not use pre-commit).")
    parser.parse_args(argv)
    from kms_hooks.config import UsageError
    from kms_hooks.gitio import install_hook

    try:
        path, backup = install_hook()
    except UsageError as error:
        _say(f"{prog} {INSTALL_HOOK}: error: {error}")
        return 2
    from kms_hooks.escape import printable

    print(f"{prog}: wrote {printable(os.path.relpath(path))}: each commit now checks its "
          "staged files")
    if backup is not None:
        print(f"{prog}: the hook it replaced is kept as {printable(os.path.relpath(backup))}")
    return 0


class Progress:
    """`checked 120/4,031 files` on one terminal line, redrawn at most ten times a second."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()
        self.shown = False
        self._next = self.started + 0.2  # short runs never show it

    def __call__(self, done: int, path: str) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + 0.1
        from kms_hooks.escape import printable

        line = f"checked {done - 1:,}/{self.total:,} files: {printable(path)}"
        width = _terminal_width() - 1
        if len(line) > width:
            line = line[: max(0, width - 3)] + "..."
        sys.stderr.write(f"\r\x1b[K{line}")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _terminal_width() -> int:
    return _columns()


def rule_summary(outcome: Outcome) -> str:
    """Findings per rule and severity, for the end of an audit of a directory."""
    from kms_hooks.rules import get

    counts: dict[str, dict[str, int]] = {}
    for finding in outcome.findings:
        row = counts.setdefault(finding.rule, {s: 0 for s in SEVERITIES})
        row[finding.severity] += 1
    names = {rule: (found.name if (found := get(rule)) else "") for rule in counts}
    width = max(len(n) for n in [*names.values(), "name"])
    header = f"{'rule':<7} {'name':<{width}} " + " ".join(f"{s:>7}" for s in SEVERITIES)
    lines = [header]
    for rule in sorted(counts):
        lines.append(f"{rule:<7} {names[rule]:<{width}} "
                     + " ".join(f"{counts[rule][s]:>7}" for s in SEVERITIES))
    totals = [sum(row[s] for row in counts.values()) for s in SEVERITIES]
    lines.append(f"{'total':<7} {'':<{width}} " + " ".join(f"{n:>7}" for n in totals))
    return "".join(line.rstrip() + "\n" for line in lines)


def exit_status(outcome: Outcome, fail_on: str) -> int:
    if outcome.errors:
        return 1
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    if any(SEVERITY_RANK[f.severity] >= threshold for f in outcome.findings):
        return 1
    if any(f.rule == "KMS001" for f in outcome.findings):
        return 1  # a file that cannot be read was not checked: never a pass
    return 0


def _count(n: int, one: str, many: str = "") -> str:
    """`1 finding`, `2 findings`: a number with its noun (or phrase) in the right number."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def summary(outcome: Outcome) -> str:
    counts = {s: 0 for s in SEVERITIES}
    for finding in outcome.findings:
        counts[finding.severity] += 1
    parts = [_count(n, s) for s, n in counts.items() if n]
    text = _count(len(outcome.findings), "finding")
    if parts:
        text += f" ({', '.join(parts)})"
    text += (f" in {_count(outcome.files_with_policies, 'file')} with policies, "
             f"{outcome.files_seen} checked")
    if outcome.suppressed:
        text += f"; {len(outcome.suppressed)} suppressed in the files"
    if outcome.outside_diff:
        text += f"; {outcome.outside_diff} on lines the change did not touch"
    if outcome.hidden_by_baseline or outcome.stale_baseline:
        text += (f"; {outcome.hidden_by_baseline} hidden by the baseline, "
                 + _count(outcome.stale_baseline, "baseline entry no longer matches",
                          "baseline entries no longer match"))
    return text


def _unknown_rule_names(names: Sequence[str]) -> str | None:
    from kms_hooks.rules import iter_matching

    for name in names:
        if not any(True for _ in iter_matching([name])):
            return name
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """kms-policies: every kind of file, detected per file."""
    return run("kms-policies", argv)


def main_iam_policies(argv: Sequence[str] | None = None) -> int:
    """kms-iam-policies: raw policy documents and AWS CLI outputs."""
    return run("kms-iam-policies", argv)


def main_cloudformation(argv: Sequence[str] | None = None) -> int:
    """kms-cloudformation: CloudFormation templates, JSON and YAML."""
    return run("kms-cloudformation", argv)


def main_terraform(argv: Sequence[str] | None = None) -> int:
    """kms-terraform: Terraform configuration and plan JSON."""
    return run("kms-terraform", argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
