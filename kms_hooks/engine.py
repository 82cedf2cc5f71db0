"""Files in, findings out: reads each file with the sources of a hook and runs the checker."""
from __future__ import annotations

import gc
import os
import stat
from kms_hooks.records import dataclass, field

from kms_hooks.checker import Checked, Selection, check
from kms_hooks.escape import shortened
from kms_hooks.model import ERROR, Finding, Span, Subject, Where
from kms_hooks.rules import Context
from kms_hooks.sources import load
from kms_hooks.sources.base import FixedDocument, ParseError, Source, SourceFile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterable, Iterator

    from kms_hooks.suppress import Silenced, Suppression


@dataclass(frozen=True)
class Options:
    sources: tuple[str, ...]
    context: Context = Context()
    selection: Selection = Selection()
    # Sources made from the user's configuration (extract entries); they read a file first.
    extra_sources: tuple[Source, ...] = ()


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    # Findings silenced in the files themselves (comments, Metadata), with what silenced each.
    suppressed: list[Silenced] = field(default_factory=list)
    files_seen: int = 0
    files_with_policies: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why), for -v
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what was read), for -v
    errors: list[str] = field(default_factory=list)  # internal errors, one line each
    paths: list[str] = field(default_factory=list)  # every file checked, in order
    # The text of each file with findings, so that reports can quote the elements they point at.
    texts: dict[str, str] = field(default_factory=dict)
    hidden_by_baseline: int = 0
    stale_baseline: int = 0  # baseline entries that matched no finding in the checked files
    outside_diff: int = 0  # findings left out because their lines did not change


def parse_error(path: str, error: ParseError, selection: Selection) -> list[Finding]:
    if not selection.enabled("KMS001", path):
        return []
    where = Where(FixedDocument(path, error.span), ())
    return [Finding("KMS001", ERROR, shortened(error.message), where)]


def read_file(file: SourceFile, sources: list[Source]) -> tuple[list[Subject], str | None]:
    """The policies in one file, and which source read them (None: no source's kind)."""
    for source in sources:
        if not source.sniff(file):
            continue
        subjects = source.read(file)
        if subjects is not None:
            return list(subjects), source.name
    return [], None


def run(files: Iterable[SourceFile], options: Options,
        progress: Callable[[int, str], None] | None = None) -> Outcome:
    # A run allocates many small objects that live until it ends (parsed files, findings);
    # collecting the young generation every 700 allocations would cost a sixth of the run,
    # and full collections, which find nothing to free, a quarter of a 50 MB plan's (each
    # scans millions of objects).  A file's parse is freed by reference counting once it is
    # checked, and reading a file makes no cycles: the young generation is collected once a
    # million objects outlive their file, old ones wait for the end.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 1_000_000), thresholds[1], max(thresholds[2], 1_000))
    from kms_hooks.files import forget

    forget()
    try:
        return _run(files, options, progress)
    finally:
        gc.set_threshold(*thresholds)


def _run(files: Iterable[SourceFile], options: Options,
         progress: Callable[[int, str], None] | None) -> Outcome:
    sources = [*options.extra_sources, *load(options.sources)]
    outcome = Outcome()
    checked = Checked()
    given: set[str] = set()
    # A policy may lie partly in other files than the one being read (a Terraform module's
    # files): findings can come for a file before or after it is read itself.
    finding_paths: set[str] = set()
    suppressions: list[Suppression] = []
    for file in files:
        outcome.files_seen += 1
        outcome.paths.append(file.path)
        path = os.path.normpath(file.path)
        given.add(path)
        if progress is not None:
            progress(outcome.files_seen, file.path)
        found = len(checked.findings)
        parse_errors = len(outcome.findings)
        _check_file(file, sources, options, outcome, checked)
        suppressions.extend(file.suppressions)
        if len(checked.findings) > found:
            finding_paths.update(os.path.normpath(f.where.doc.path)
                                 for f in checked.findings[found:])
        if path in finding_paths or len(outcome.findings) > parse_errors or file.suppressions:
            _keep_text(file, outcome)
        file.release()  # what its findings need they hold; the rest must not pile up
    # Findings in files that were read only for context are not this run's business.
    outcome.findings.extend(f for f in checked.findings
                            if os.path.normpath(f.where.doc.path) in given)
    outcome.findings.sort(key=Finding.sort_key)
    outcome.findings = _once_per_element(outcome.findings)
    if suppressions:
        from kms_hooks.suppress import apply

        applied = apply(outcome.findings, suppressions, options.selection)
        outcome.findings, outcome.suppressed = applied.findings, applied.silenced
    return outcome


def _once_per_element(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and element: a file can be read by two sources in one run (a JSON
    policy that a `.tf` file reads with file() is also a raw policy document); the first one
    read, in file order, is kept."""
    seen: set[tuple[str, str, Span]] = set()
    kept: list[Finding] = []
    for finding in findings:
        key = (finding.rule, os.path.normpath(finding.where.doc.path), finding.where.span())
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _keep_text(file: SourceFile, outcome: Outcome) -> None:
    try:
        outcome.texts[file.path] = file.text
    except ParseError:
        pass  # not text: the finding is a parse error, with nothing to quote


_TOO_DEEP = ParseError("nested too deeply to read")


def _check_file(file: SourceFile, sources: list[Source], options: Options, outcome: Outcome,
                checked: Checked) -> None:
    try:
        file.admit()
        subjects, source_name = read_file(file, sources)
    except ParseError as error:
        if error.skipped:
            outcome.skipped.append((file.path, error.message))
        else:
            outcome.findings.extend(parse_error(file.path, error, options.selection))
        return
    except RecursionError:
        # Parsers bound their own nesting; what reads the parsed values may still meet a
        # document deeper than the stack (plan values nested 950 deep).
        outcome.findings.extend(parse_error(file.path, _TOO_DEEP, options.selection))
        return
    except Exception as error:  # a bug must not hide the other files' findings
        outcome.errors.append(f"{file.path}: internal error: {type(error).__name__}: {error}")
        return
    for partial in file.errors:
        outcome.findings.extend(parse_error(file.path, partial, options.selection))
    if source_name is None:
        why = "empty file" if file.blank else "holds no policy this hook reads"
        outcome.skipped.append((file.path, why))
        return
    if not subjects:
        outcome.skipped.append((file.path, f"read as {source_name}: no KMS-related policy in it"))
        return
    outcome.files_with_policies += 1
    for subject in subjects:
        if subject.note:
            outcome.notes.append((file.path, f"{subject.name}: {subject.note}"))
    try:
        check(subjects, options.context, options.selection, checked)
    except RecursionError:
        outcome.findings.extend(parse_error(file.path, _TOO_DEEP, options.selection))
    except Exception as error:
        outcome.errors.append(f"{file.path}: internal error: {type(error).__name__}: {error}")


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files named on the command line, with directories walked (git-tracked files only inside a
    git work tree, so ignored files are not checked)."""
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        from kms_hooks.files import is_temporary

        tracked = _git_files(path)
        if tracked is not None:
            yield from (name for name in tracked if not is_temporary(name))
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in (".git", "node_modules", ".terraform"))
            for name in sorted(names):
                if not is_temporary(name):
                    yield os.path.normpath(os.path.join(root, name))


def _git_files(directory: str) -> list[str] | None:
    from kms_hooks.files import may_be_in_git

    if not may_be_in_git(directory):
        return None  # asking git, a process, would only fail
    import subprocess

    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory, capture_output=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [n for n in listed.decode("utf-8", "surrogateescape").split("\0") if n]
    files = (os.path.normpath(os.path.join(directory, n)) for n in sorted(names))
    # Deleted files are gone; links and FIFOs stay, to be skipped with a reason under -v.
    return [f for f in files if _listed(f)]


def _listed(path: str) -> bool:
    """Whether a path git lists is a file to check: it exists and is no directory (a submodule,
    or a link to one)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISDIR(mode) and not (stat.S_ISLNK(mode) and os.path.isdir(path))
