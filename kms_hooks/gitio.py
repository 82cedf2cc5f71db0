"""What git knows: staged content, lines changed since a base, tracked files, the pre-commit hook.

Every call runs the real `git` once per question (the staged blobs all come from one
`git cat-file --batch` process), so a check of many staged files costs a few processes, not one
per file.
"""
from __future__ import annotations

import os
import re
import sys

from kms_hooks.config import UsageError
from kms_hooks.sources.base import SourceFile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

_EMPTY_BLOB = "0" * 40
_SKIPPED_MODES = ("160000", "120000")  # submodules and symbolic links hold no file content


class GitError(UsageError):
    """git failed or is missing."""


def git(args: Sequence[str], cwd: str | None = None, input: bytes | None = None) -> bytes:
    import subprocess  # loaded only when git is run: it costs every hook call otherwise

    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True)
    except OSError as error:
        raise GitError(f"cannot run git: {error.strerror or error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def toplevel(cwd: str = ".") -> str | None:
    """The root of the git work tree that holds `cwd`, or None outside git."""
    try:
        return os.fsdecode(git(["rev-parse", "--show-toplevel"], cwd=cwd).rstrip(b"\n"))
    except GitError:
        return None


def _names(raw: bytes) -> list[str]:
    return [os.fsdecode(name) for name in raw.split(b"\0") if name]


def _from_top(top: str, name: str) -> str:
    """A path git gave relative to the work tree root, as a path relative to the current
    directory (how paths given on the command line look)."""
    return os.path.relpath(os.path.join(top, name))


def _work_tree() -> str:
    top = toplevel()
    if top is None:
        raise GitError("not inside a git work tree")
    return top


def staged_files(paths: Sequence[str] = ()) -> list[SourceFile]:
    """The files added or modified in the index (limited to `paths`), with their staged
    content: what the next commit will hold, whatever the working tree holds now."""
    top = _work_tree()
    raw = git(["diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev",
               "--diff-filter=AMT", "--no-ext-diff", "--", *paths])
    fields = raw.split(b"\0")
    entries: list[tuple[str, str]] = []  # (path, blob id)
    for header, name in zip(fields[0::2], fields[1::2]):
        parts = header.decode("ascii").split()
        if len(parts) < 5:
            continue
        mode, blob = parts[1], parts[3]
        if mode in _SKIPPED_MODES or blob == _EMPTY_BLOB:
            continue
        entries.append((_from_top(top, os.fsdecode(name)), blob))
    if not entries:
        return []
    contents = read_blobs([blob for _, blob in entries])
    return [SourceFile(path, content=contents[blob]) for path, blob in entries]


def read_blobs(blobs: Sequence[str]) -> dict[str, bytes]:
    """The content of each blob, read through one `git cat-file --batch` process."""
    unique = list(dict.fromkeys(blobs))
    output = git(["cat-file", "--batch"], input="".join(b + "\n" for b in unique).encode())
    contents: dict[str, bytes] = {}
    position = 0
    for blob in unique:
        end = output.index(b"\n", position)
        header = output[position:end].decode("ascii").split()
        if len(header) != 3:
            raise GitError(f"git cat-file: cannot read {blob}: {' '.join(header)}")
        size = int(header[2])
        contents[blob] = output[end + 1 : end + 1 + size]
        position = end + 1 + size + 1  # the content is followed by a newline
    return contents


# ----------------------------------------------------------------------------------------------
# Lines changed since a base revision

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class ChangedLines:
    """The lines of each file added or changed since a base revision.  A file not in the map
    did not change; a file whose value is None is new in full (untracked)."""

    def __init__(self, lines: dict[str, list[tuple[int, int]] | None]) -> None:
        self._lines = {_key(path): ranges for path, ranges in lines.items()}
        self.notices: list[str] = []  # one line each, for stderr

    def touched(self, path: str) -> bool:
        return _key(path) in self._lines

    def changed(self, path: str, first: int, last: int) -> bool:
        """Whether any line from `first` to `last` (inclusive) was added or changed."""
        key = _key(path)
        if key not in self._lines:
            return False
        ranges = self._lines[key]
        if ranges is None:
            return True
        return any(start <= last and first <= end for start, end in ranges)

    def paths(self) -> list[str]:
        return sorted(self._lines)


def _key(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


_SHALLOW_HELP = ("this is a shallow clone (actions/checkout fetches one commit by default): "
                 "check out with `fetch-depth: 0`, or fetch the base branch with its history, "
                 "e.g. `git fetch origin main`")


def _shallow() -> bool:
    try:
        return git(["rev-parse", "--is-shallow-repository"]).strip() == b"true"
    except GitError:
        return False


def merge_base(rev: str, notices: list[str] | None = None) -> str:
    """The merge base of `rev` and HEAD.  In a shallow clone that holds `rev` but not the merge
    base, `rev` itself, with a notice appended to `notices`: a pull request's merge commit
    differs from its base branch by exactly the pull request."""
    try:
        commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options",
                      f"{rev}^{{commit}}"]).decode().strip()
    except GitError:
        help = f"; {_SHALLOW_HELP}" if _shallow() else ""
        raise GitError(f"--diff-base {rev}: no such revision here{help}") from None
    try:
        return git(["merge-base", commit, "HEAD"]).decode().strip()
    except GitError as error:
        if not _shallow():
            raise GitError(f"--diff-base {rev}: no merge base with HEAD ({error})") from None
    if notices is not None:
        notices.append(f"--diff-base {rev}: the merge base is not in this shallow clone; "
                       f"compared with {rev} itself (fetch-depth: 0 gives the merge base)")
    return commit


def changed_lines(rev: str, staged: bool = False) -> ChangedLines:
    """Lines added or changed since the merge base of `rev` and HEAD: in the index with
    `staged`, else in the working tree (with untracked files counted as new in full)."""
    top = _work_tree()
    notices: list[str] = []
    base = merge_base(rev, notices)
    args = ["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "-M",
            "--src-prefix=a/", "--dst-prefix=b/"]
    if staged:
        args.append("--cached")
    diff = git([*args, base, "--"], cwd=top)
    lines = parse_diff(diff)
    changed: dict[str, list[tuple[int, int]] | None] = {
        os.path.join(top, path): ranges for path, ranges in lines.items()}
    if not staged:
        for name in _names(git(["ls-files", "-z", "--others", "--exclude-standard"], cwd=top)):
            changed[os.path.join(top, name)] = None
    found = ChangedLines(changed)
    found.notices = notices
    return found


def parse_diff(diff: bytes) -> dict[str, list[tuple[int, int]]]:
    """Per file of a `git diff -U0`, the ranges of lines (first, last) in the new version that
    the diff adds.  Deleted files do not appear; renamed files appear under their new name."""
    found: dict[str, list[tuple[int, int]]] = {}
    current: list[tuple[int, int]] | None = None
    for line in diff.split(b"\n"):
        if line.startswith(b"+++ "):
            name = line[4:]
            if name == b"/dev/null":
                current = None
                continue
            path = _unquote(name)
            if path.startswith("b/"):
                path = path[2:]
            current = found.setdefault(path, [])
        elif line.startswith(b"@@ ") and current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or b"1")
                if count:
                    current.append((start, start + count - 1))
        elif line.startswith(b"diff --git "):
            current = None
    return found


def _unquote(name: bytes) -> str:
    """A path as git writes it in a diff header: C-quoted when it holds unusual characters."""
    if not name.startswith(b'"'):
        return os.fsdecode(name.rstrip(b"\t"))
    body = name[1:name.rindex(b'"')]
    out = bytearray()
    i = 0
    simple = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b",
              b"f": b"\f", b"r": b"\r", b"v": b"\v"}
    while i < len(body):
        char = body[i:i + 1]
        if char == b"\\":
            following = body[i + 1:i + 2]
            if following in simple:
                out += simple[following]
                i += 2
                continue
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
            continue
        out += char
        i += 1
    return os.fsdecode(bytes(out))


# ----------------------------------------------------------------------------------------------
# The plain git hook

HOOK_MARK = "# kms-hooks pre-commit hook"


def hook_script(python: str) -> str:
    import shlex

    quoted = shlex.quote(python)
    return (
        "#!/bin/sh\n"
        f"{HOOK_MARK}: checks KMS permissions in the staged files.\n"
        "# Written by `kms-policies install-git-hook`; delete this file to remove it.\n"
        f"if [ -x {quoted} ]; then\n"
        "    # -I: the repository's own files (a json.py at its root) are never imported.\n"
        f"    exec {quoted} -I -m kms_hooks --staged\n"
        "fi\n"
        "exec kms-policies --staged\n"
    )


def install_hook() -> tuple[str, str | None]:
    """Write the pre-commit hook of the current repository: the path written, and where the
    hook it replaced was kept (None when there was none, or it was this very script).  A hook
    this command did not write, or a symbolic link, is never replaced."""
    from kms_hooks.files import Unreadable, read_regular

    _work_tree()
    path = os.path.abspath(os.fsdecode(git(["rev-parse", "--git-path", "hooks/pre-commit"])
                                       .rstrip(b"\n")))
    directory = os.path.dirname(path)
    # The hooks directory is git's, wherever it lies (a worktree's lies outside it).
    root = os.path.realpath(directory)
    script = hook_script(sys.executable).encode()
    backup = None
    if os.path.lexists(path):
        if os.path.islink(path):
            raise GitError(f"{path} is a symbolic link; not replacing it (add "
                           "`kms-policies --staged` to the hook it leads to yourself)")
        try:
            existing = read_regular(path, root)
        except Unreadable as error:
            raise GitError(f"{path}: cannot read the existing hook: {error.detail}") from None
        if HOOK_MARK.encode() not in existing:
            raise GitError(f"{path} already exists and was not written by kms-policies; "
                           "not replacing it (add `kms-policies --staged` to it yourself)")
        if existing != script:
            # Ours once, but changed since, or by someone else: kept, never lost.
            backup = _free_name(path + ".kms-hooks-backup")
            _write_hook(backup, existing, root)
    os.makedirs(directory, exist_ok=True)
    _write_hook(path, script, root)
    return path, backup


def _free_name(path: str) -> str:
    candidate, number = path, 1
    while os.path.lexists(candidate):
        number += 1
        candidate = f"{path}.{number}"
    return candidate


def _write_hook(path: str, content: bytes, root: str) -> None:
    from kms_hooks.files import Unreadable, write_atomic

    try:
        write_atomic(path, content, mode=0o755, root=root)
    except Unreadable as error:
        raise GitError(f"{path}: cannot write the hook: {error.detail}") from None


# ----------------------------------------------------------------------------------------------
# Two sides of a change, file by file (the access review)


class RevisionTree:
    """The files of a revision (or of the index, with `rev` None), read on demand: the
    neighbours of a file read at that revision come from there too, not from disk."""

    def __init__(self, rev: str | None, top: str) -> None:
        self.rev = rev
        self.top = top
        self._listed: dict[str, dict[str, str]] = {}  # directory -> name -> blob

    def listdir(self, directory: str) -> list[str]:
        return sorted(self._entries(directory))

    def file(self, path: str) -> SourceFile:
        blob = self._entries(os.path.dirname(path)).get(os.path.basename(path))
        if blob is None:
            raise GitError(f"{path}: not in {self.rev or 'the index'}")
        return SourceFile(path, content=read_blobs([blob])[blob], tree=self)

    def files(self, directory: str) -> list[SourceFile]:
        """Every file of one directory (not its subdirectories), with its content."""
        entries = self._entries(directory)
        contents = read_blobs(list(entries.values())) if entries else {}
        return [SourceFile(os.path.normpath(os.path.join(directory, name)),
                           content=contents[blob], tree=self)
                for name, blob in sorted(entries.items())]

    def _entries(self, directory: str) -> dict[str, str]:
        key = os.path.normpath(directory or ".")
        if key not in self._listed:
            self._listed[key] = self._list(key)
        return self._listed[key]

    def _list(self, directory: str) -> dict[str, str]:
        relative = os.path.relpath(os.path.abspath(directory), self.top)
        if relative.startswith(".."):
            return {}
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        if self.rev is None:
            raw = git(["ls-files", "-s", "-z", "--full-name", "--", prefix or "."], cwd=self.top)
        else:
            raw = git(["ls-tree", "-z", "--full-name", self.rev, "--", prefix or "."],
                      cwd=self.top)
        found: dict[str, str] = {}
        for entry in raw.split(b"\0"):
            if not entry:
                continue
            header, _, name_bytes = entry.partition(b"\t")
            parts = header.decode("ascii").split()
            name = os.fsdecode(name_bytes)
            if self.rev is None:
                mode, blob = parts[0], parts[1]
            else:
                mode, kind, blob = parts[0], parts[1], parts[2]
                if kind != "blob":
                    continue
            if mode in _SKIPPED_MODES or not name.startswith(prefix) or "/" in name[len(prefix):]:
                continue
            found[name[len(prefix):]] = blob
        return found


def head_or_empty_tree() -> str:
    """HEAD, or before the first commit the empty tree (what a first commit is compared with)."""
    try:
        return git(["rev-parse", "--verify", "-q", "HEAD^{commit}"]).decode().strip()
    except GitError:
        return git(["hash-object", "-t", "tree", "/dev/null"]).decode().strip()


def changed_directories(base: str, staged: bool, paths: Sequence[str] = ()) -> list[str]:
    """The directories (relative to the current directory) holding a file added, changed or
    deleted since `base`: in the index with `staged`, else in the working tree (untracked files
    included)."""
    top = _work_tree()
    limit = [os.path.relpath(os.path.abspath(p), top) for p in paths]
    args = ["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff"]
    if staged:
        args.append("--cached")
    names = _names(git([*args, base, "--", *limit], cwd=top))
    if not staged:
        names += _names(git(["ls-files", "-z", "--others", "--exclude-standard", "--", *limit],
                            cwd=top))
    return sorted({os.path.dirname(_from_top(top, name)) or "." for name in names})


def work_tree_files(directory: str) -> list[SourceFile]:
    """The files of one directory of the working tree (not its subdirectories) that git
    tracks or would track."""
    listed = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
                 cwd=directory or ".")
    found = []
    for name in sorted(set(_names(listed))):
        if "/" in name:
            continue
        path = os.path.normpath(os.path.join(directory, name))
        if os.path.isfile(path) and not os.path.islink(path):
            found.append(SourceFile(path))
    return found
