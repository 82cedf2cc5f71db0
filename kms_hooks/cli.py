"""Command-line entry points: one `main(argv) -> int` per hook, sharing their options."""
from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING, Sequence

from kms_hooks.model import SEVERITIES, SEVERITY_RANK

if TYPE_CHECKING:
    from kms_hooks.engine import Outcome

FAIL_ON = (*SEVERITIES, "never")


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check AWS KMS permissions in policy files against AWS's guidance.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files to check; a directory is walked")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="warning",
                        help="exit 1 when a finding at or above this severity is reported "
                             "(default: warning)")
    parser.add_argument("--trusted-account", action="append", default=[], metavar="ID",
                        help="an account whose keys may be used (repeatable; enables KMS105)")
    parser.add_argument("--select", action="append", default=[], metavar="ID",
                        help="run only these rules (ids or prefixes such as KMS1; repeatable)")
    parser.add_argument("--ignore", action="append", default=[], metavar="ID",
                        help="do not run these rules (ids or prefixes; repeatable)")
    parser.add_argument("--explain", metavar="ID", help="print a rule's documentation and exit")
    parser.add_argument("--list-rules", action="store_true", help="print the rules and exit")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="say which files were skipped and how each policy was read")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    return parser


def _usage_error(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def run(prog: str, argv: Sequence[str] | None) -> int:
    from kms_hooks.sources import HOOKS

    args = build_parser(prog).parse_args(argv)
    if args.list_rules:
        from kms_hooks.rules.docs import rule_table

        sys.stdout.write(rule_table())
        return 0
    if args.explain:
        from kms_hooks.rules import get
        from kms_hooks.rules.docs import explain

        found = get(args.explain)
        if found is None:
            return _usage_error(prog, f"no rule {args.explain!r}; see --list-rules")
        sys.stdout.write(explain(found))
        return 0
    bad = [a for a in args.trusted_account if not re.fullmatch(r"\d{12}", a)]
    if bad:
        return _usage_error(prog, f"--trusted-account takes a 12-digit account id, not {bad[0]!r}")
    unknown = _unknown_rule_names(args.select + args.ignore)
    if unknown:
        return _usage_error(prog, f"no rule matches {unknown!r}; see --list-rules")

    from kms_hooks.checker import Selection
    from kms_hooks.engine import Options, expand_paths
    from kms_hooks.engine import run as run_checks
    from kms_hooks.report import formatter
    from kms_hooks.rules import Context
    from kms_hooks.sources.base import SourceFile

    options = Options(
        sources=HOOKS[prog],
        context=Context(trusted_accounts=frozenset(args.trusted_account)),
        selection=Selection(select=tuple(args.select), ignore=tuple(args.ignore)),
    )
    files = (SourceFile(path) for path in expand_paths(args.paths))
    outcome = run_checks(files, options)
    sys.stdout.write(formatter(args.format)(outcome))
    if args.verbose:
        for path, why in outcome.skipped:
            print(f"{path}: skipped: {why}", file=sys.stderr)
        for path, note in outcome.notes:
            print(f"{path}: {note}", file=sys.stderr)
    for error in outcome.errors:
        print(error, file=sys.stderr)
    if not args.quiet:
        print(summary(outcome), file=sys.stderr)
    return exit_status(outcome, args.fail_on)


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


def summary(outcome: Outcome) -> str:
    counts = {s: 0 for s in SEVERITIES}
    for finding in outcome.findings:
        counts[finding.severity] += 1
    total = len(outcome.findings)
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    text = f"{total} finding{'s' if total != 1 else ''}"
    if parts:
        text += f" ({', '.join(parts)})"
    text += (f" in {outcome.files_with_policies} file{'s' if outcome.files_with_policies != 1 else ''}"
             f" with policies, {outcome.files_seen} checked")
    if outcome.suppressed:
        text += f"; {outcome.suppressed} suppressed in the files"
    return text


def _unknown_rule_names(names: list[str]) -> str | None:
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
