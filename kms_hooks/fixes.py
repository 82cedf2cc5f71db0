"""The one applier of fixes: findings carry format-neutral fixes (edits of elements, written by
the source that knows the format); this module turns them into exact text edits, applies them to
the files' text, shows them as a unified diff, and writes files in place.

A fix's edits are applied together or not at all: one whose element text does not hold what it
expects (an element written with escapes), or that overlaps a fix already taken in this pass, is
left for the next pass (the caller checks the fixed text again, as ruff does).
"""
from __future__ import annotations

import os
from kms_hooks.records import dataclass, field

from kms_hooks.model import Finding, Fix, Span, TextEdit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Iterator

    import argparse

    from kms_hooks.engine import Outcome
    from kms_hooks.sources.base import SourceFile

BOM = "\ufeff"


@dataclass(frozen=True)
class Edit:
    """Replace the characters [start, end) of a file's text with `text`."""

    start: int
    end: int
    text: str


@dataclass
class FileFixes:
    """The fixes taken for one file in one pass, and the text they make."""

    path: str
    before: str
    after: str = ""
    fixed: list[Finding] = field(default_factory=list)


def root_document(doc: Any) -> Any:
    """The document of the file itself, for a document embedded in another (a policy held as a
    string)."""
    while hasattr(doc, "outer"):
        doc = doc.outer
    return doc


def file_text(finding: Finding) -> str | None:
    text = getattr(root_document(finding.where.doc), "text", None)
    return text if isinstance(text, str) else None


def _offsets(doc: Any, span: Span) -> tuple[int, int] | None:
    lines = getattr(doc, "line_map", None)
    if lines is None:
        return None
    start = lines.offset(span.line, span.column)
    end = lines.offset(span.end_line, span.end_column)
    if start is None or end is None or end < start:
        return None
    return start, end


def resolve(fix: Fix, text: str) -> list[Edit] | None:
    """The text edits of a fix in the file's `text`; None when one of them cannot be made
    exactly."""
    if not fix.edits:
        return None
    edits: list[Edit] = []
    for wanted in fix.edits:
        made = _resolve_one(wanted, text)
        if made is None:
            return None
        edits.append(made)
    return edits


def _resolve_one(wanted: TextEdit, text: str) -> Edit | None:
    root = root_document(wanted.where.doc)
    if getattr(root, "text", None) != text:
        return None
    span = wanted.span() if wanted.span is not None else wanted.where.span()
    found = _offsets(root, span) if span is not None else None
    if found is None:
        return None
    start, end = found
    if wanted.old is None:
        return Edit(start, end, wanted.new)
    element = text[start:end]
    first = element.find(wanted.old)
    if first < 0 or element.find(wanted.old, first + 1) >= 0:
        return None  # not written as read, or not once: nothing to edit with certainty
    return Edit(start + first, start + first + len(wanted.old), wanted.new)


def wanted(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    return fix is not None and bool(fix.edits) and (fix.safe or unsafe)


def plan(findings: Iterable[Finding], unsafe: bool) -> dict[str, FileFixes]:
    """The fixes of one pass, per file: each finding's fix if it can be made exactly and does
    not overlap one taken before it (the same edit made by two findings is taken once)."""
    taken: dict[str, tuple[FileFixes, list[Edit]]] = {}
    for finding in findings:
        if not wanted(finding, unsafe):
            continue
        assert finding.fix is not None
        text = file_text(finding)
        if text is None:
            continue
        edits = resolve(finding.fix, text)
        if edits is None:
            continue
        path = finding.where.doc.path
        fixes, chosen = taken.setdefault(path, (FileFixes(path, text), []))
        new = [e for e in edits if e not in chosen]
        if any(_overlap(e, other) for e in new for other in chosen):
            continue
        chosen.extend(new)
        fixes.fixed.append(finding)
    for fixes, chosen in taken.values():
        fixes.after = apply(fixes.before, chosen)
    return {path: fixes for path, (fixes, _) in taken.items() if fixes.after != fixes.before}


def _overlap(first: Edit, second: Edit) -> bool:
    if first.start == first.end == second.start == second.end:
        return True  # two insertions at one place: their order would be a guess
    return first.start < second.end and second.start < first.end


def apply(text: str, edits: list[Edit]) -> str:
    """The text with non-overlapping edits made."""
    pieces: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        pieces.append(text[position:edit.start])
        pieces.append(edit.text)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    shown = path.replace(os.sep, "/")
    old, new = (shown, shown) if os.path.isabs(path) else (f"a/{shown}", f"b/{shown}")
    lines = difflib.unified_diff(before.splitlines(keepends=True),
                                 after.splitlines(keepends=True), fromfile=old, tofile=new)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def encode(text: str, original: bytes) -> bytes:
    """The fixed text as the file's bytes: UTF-8, with the byte order mark the file had."""
    data = text.encode("utf-8", "surrogatepass")
    return b"\xef\xbb\xbf" + data if original.startswith(b"\xef\xbb\xbf") else data


@dataclass
class Fixed:
    """What a fixing run did: the files it changed (or would change), how many findings their
    fixes resolved, and with --diff the exit status to end with."""

    files: dict[str, str] = field(default_factory=dict)  # path -> fixed text
    count: int = 0
    diff: int | None = None
    problems: list[str] = field(default_factory=list)
    verb: str = "fixed"

    def summary(self) -> str:
        text = (f"{self.verb} {self.count} finding{'s' if self.count != 1 else ''} in "
                f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}")
        if self.files and self.verb == "fixed":
            text += "; review the changes and stage them"
        return text


# A fix can uncover another (a second pass sees the text the first one made); a chain longer
# than this is a bug, not a file.
MAX_PASSES = 8


def run_fixes(files: list[SourceFile], check: Callable[[list[SourceFile]], Outcome],
              args: argparse.Namespace) -> tuple[Outcome, Fixed]:
    """Checks the files, applies the fixes of what is reported, checks the fixed text again, and
    so on until nothing more can be fixed; then writes the fixed files (or with --diff prints
    the diff).  Returns the last outcome: what remains."""
    import sys

    from kms_hooks.sources.base import SourceFile

    unsafe = bool(args.unsafe_fixes)
    fixed = Fixed(verb="would fix" if args.diff else "fixed")
    by_path = {file.path: file for file in files}
    originals: dict[str, str] = {}
    outcome = check(files)
    for _ in range(MAX_PASSES):
        planned = plan(outcome.findings, unsafe)
        if not planned:
            break
        for path, fixes in planned.items():
            originals.setdefault(path, fixes.before)
            fixed.files[path] = fixes.after
            fixed.count += len(fixes.fixed)
        files = [SourceFile(f.path, encode(fixed.files[f.path], _original(by_path[f.path])))
                 if f.path in fixed.files and f.path in by_path else f for f in files]
        outcome = check(files)
    changed = {p: t for p, t in fixed.files.items() if t != originals[p] and p in by_path}
    fixed.files = changed
    fixed.problems = list(_left(outcome.findings, unsafe))
    if args.diff:
        for path in sorted(changed):
            sys.stdout.write(unified_diff(path, originals[path], changed[path]))
        if not args.quiet:
            for line in fixed.problems:
                print(line, file=sys.stderr)
            print(fixed.summary(), file=sys.stderr)
        fixed.diff = 1 if changed else 0
        return outcome, fixed
    _write(changed, by_path, bool(getattr(args, "staged", False)))
    return outcome, fixed


def _left(findings: list[Finding], unsafe: bool) -> Iterator[str]:
    """Why the fixes of remaining findings were not made, one line each; and how many more
    --unsafe-fixes would make."""
    more = 0
    for finding in findings:
        fix = finding.fix
        if fix is None:
            continue
        if not fix.safe and not unsafe:
            more += bool(fix.edits)
            continue
        if fix.reason and not fix.edits:
            span = finding.where.span()
            yield (f"{finding.where.doc.path}:{span.line}:{span.column}: {finding.rule} not "
                   f"fixed: {fix.reason}")
    if more:
        yield (f"{more} more finding{'s' if more != 1 else ''} can be fixed with "
               "--unsafe-fixes (they narrow access or change a deployment: review them)")


def _original(file: SourceFile) -> bytes:
    try:
        return file.content
    except Exception:
        return b""


def _write(changed: dict[str, str], by_path: dict[str, SourceFile], staged: bool) -> None:
    """Writes each fixed file, after checking that it still holds what was read (and, for
    staged content, that the working tree holds what was staged: a fix must not mix in what
    the user did not stage)."""
    from kms_hooks.config import UsageError

    contents: dict[str, bytes] = {}
    for path in sorted(changed):
        original = _original(by_path[path])
        try:
            with open(path, "rb") as handle:
                current = handle.read()
        except OSError as error:
            raise UsageError(f"{path}: cannot read the file to fix it: "
                             f"{error.strerror or error}") from None
        if current != original:
            if staged:
                raise UsageError(f"{path}: the working tree differs from the index; stage or "
                                 "stash those changes before --staged --fix (nothing was "
                                 "changed)")
            raise UsageError(f"{path}: changed while it was checked (nothing was changed)")
        contents[path] = encode(changed[path], original)
    from kms_hooks.files import Unreadable, write_atomic

    for path, data in contents.items():
        try:
            write_atomic(path, data)
        except Unreadable as error:
            raise UsageError(f"{path}: {error.reason}") from None


def replacements(finding: Finding) -> list[tuple[Span, str]] | None:
    """A finding's fix as regions of its file and their new text (SARIF `replacements`); None
    when it has no fix that can be made exactly."""
    if finding.fix is None:
        return None
    text = file_text(finding)
    edits = resolve(finding.fix, text) if text is not None else None
    if edits is None:
        return None
    lines = root_document(finding.where.doc).line_map
    return [(lines.span(edit.start, edit.end), edit.text) for edit in edits]
