"""Reading and writing files that a repository controls, without leaving it.

A clone may hold symbolic links to anything (`passwd.tf -> /etc/passwd`), FIFOs and device
nodes that block or never end, and paths that climb out (`file("${path.module}/../../x")`).
Every file the tool reads goes through `read_regular`: only regular files, found after
symbolic links inside the root that governs them, up to a size cap.  Every file it writes goes
through `write_atomic`: never through a symbolic link, and never half written.

The root of a path is the git work tree around the current directory (the current directory
itself outside git) when the path lies there as written; a path named outside it (a file in
another directory given on the command line) is governed by the work tree, or else the
directory, that holds it.
"""
from __future__ import annotations

import os
import stat

# Larger regular files are not read: the limit guards against multi-gigabyte dumps.
MAX_BYTES = 512 * 1024 * 1024


OUTSIDE = "outside"  # resolves outside its root
SPECIAL = "special"  # a FIFO, a device, a socket, a directory
FAILED = "failed"  # a regular file that could not be read, or is too large


class Unreadable(Exception):
    """A file that is not read, and why (`kind`: OUTSIDE, SPECIAL or FAILED)."""

    def __init__(self, reason: str, kind: str = FAILED, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.detail = detail or reason  # without "cannot read the file:", for other messages


def _failed(error: OSError) -> Unreadable:
    detail = error.strerror or str(error)
    return Unreadable(f"cannot read the file: {detail}", detail=detail)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


_roots: dict[str, str] = {}


def _toplevel(directory: str) -> str | None:
    if not os.path.isdir(directory) or not may_be_in_git(directory):
        return None  # asking git, a process, would only fail
    from kms_hooks.gitio import toplevel

    return toplevel(directory)


def may_be_in_git(directory: str) -> bool:
    """Whether git may see a work tree at `directory`: a `.git` there or above it, or git's
    own variables set."""
    return "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ or git_above(directory)


def git_above(directory: str) -> bool:
    """Whether `directory` or one above it holds `.git` (a directory, or a file in a linked
    work tree or submodule)."""
    current = os.path.abspath(directory)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def repository_root() -> str:
    """The real path of the git work tree around the current directory, else of the current
    directory."""
    cwd = os.getcwd()
    key = "\0" + cwd
    if key not in _roots:
        _roots[key] = os.path.realpath(_toplevel(cwd) or cwd)
    return _roots[key]


def root_of(path: str) -> str:
    """The real path of the directory that `path` may not leave (see the module's doc)."""
    written = os.path.abspath(path)
    cwd = os.getcwd()
    if _under(written, cwd):
        return repository_root()
    top = repository_root()
    if _under(written, top):
        return top
    directory = os.path.dirname(written)
    if directory not in _roots:
        _roots[directory] = os.path.realpath(_toplevel(directory) or directory)
    return _roots[directory]


_real_directories: dict[str, str] = {}


def _realpath(path: str) -> str:
    """`os.path.realpath`, with each directory resolved once: a walk reads many files of one
    directory, and resolving a path costs a system call per component."""
    directory, name = os.path.split(os.path.abspath(path))
    real_directory = _real_directories.get(directory)
    if real_directory is None:
        real_directory = _real_directories[directory] = os.path.realpath(directory)
    if name in ("", ".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(real_directory, name)


def forget() -> None:
    """Drop what was learnt of the file system: each run sees it as it is when it starts."""
    _roots.clear()
    _real_directories.clear()
    _inside_directories.clear()


def check_inside(path: str, root: str | None = None) -> None:
    """Raise Unreadable when `path`, after symbolic links, lies outside `root` (default: the
    root of `path` itself)."""
    real = _realpath(path)
    if _under(real, _realpath(os.getcwd())) and root is None:
        return  # the common case, decided without asking git
    if not _under(real, root if root is not None else root_of(path)):
        raise Unreadable("a link to a file outside the repository: not read", OUTSIDE)


# Whether the files of a directory lie inside their root, by (current directory, directory as
# written, root): a walk reads many files of each directory, and a file that is not a symbolic
# link lies where its directory does.
_inside_directories: dict[tuple[str, str, str | None], bool] = {}


def _check_directory_of(path: str, root: str | None) -> None:
    """check_inside for a path whose last component is not a symbolic link."""
    # The directory as written names it well enough for the cache; `os.path.split` would
    # cost more than the lookup it serves.
    directory, _, name = path.rpartition(os.sep)
    if name in ("", ".", ".."):
        check_inside(path, root)
        return
    if not directory and path.startswith(os.sep):
        directory = os.sep
    key = ("" if directory.startswith(os.sep) else os.getcwd(), directory, root)
    inside = _inside_directories.get(key)
    if inside is None:
        try:
            check_inside(os.path.join(directory or ".", "_"), root)
            inside = True
        except Unreadable:
            inside = False
        _inside_directories[key] = inside
    if not inside:
        raise Unreadable("a link to a file outside the repository: not read", OUTSIDE)


def _not_regular(mode: int) -> Unreadable:
    return Unreadable(f"{_kind(mode)}, not a regular file: not read", SPECIAL)


def check_regular(path: str, root: str | None = None) -> os.stat_result:
    """Raise Unreadable unless `path` is a regular file inside `root` after symbolic links."""
    try:
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            check_inside(path, root)
            status = os.stat(path)
        else:
            _check_directory_of(path, root)
    except OSError as error:
        if os.path.islink(path) and not os.path.exists(path):
            raise Unreadable("a symbolic link to nothing: not read", SPECIAL) from None
        raise _failed(error) from None
    except ValueError:  # a NUL byte in the name
        raise Unreadable("cannot read the file: its name holds a NUL byte") from None
    if not stat.S_ISREG(status.st_mode):
        raise _not_regular(status.st_mode)
    return status


def read_regular(path: str, root: str | None = None, limit: int = MAX_BYTES,
                 checked: os.stat_result | None = None) -> bytes:
    """The bytes of the regular file at `path`, which must lie inside `root` after symbolic
    links.  Raises Unreadable for anything else, before opening it: opening a FIFO blocks.
    `checked`: what `check_regular` returned for it, earlier in this run."""
    status = check_regular(path, root) if checked is None else checked
    if status.st_size > limit:
        raise Unreadable(f"larger than {limit // (1024 * 1024)} MB: not read")
    try:
        # O_NONBLOCK: should the file have become a FIFO since the stat, opening it returns.
        descriptor = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except OSError as error:
        raise _failed(error) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _not_regular(status.st_mode)
        content = _read_to_end(descriptor, status.st_size, limit)
    except OSError as error:
        raise _failed(error) from None
    finally:
        os.close(descriptor)
    if len(content) > limit:
        raise Unreadable(f"larger than {limit // (1024 * 1024)} MB: not read")
    return content


_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _read_to_end(descriptor: int, size: int, limit: int) -> bytes:
    """What an open file holds, at most `limit` + 1 bytes: one read of its size, then reads
    until the end (a file may grow after its stat)."""
    wanted = min(size, limit) + 1
    parts = [os.read(descriptor, wanted)]
    total = len(parts[0])
    if total < wanted:
        return parts[0]  # a short read of a regular file is its end
    while parts[-1] and total <= limit:
        parts.append(os.read(descriptor, min(limit + 1 - total, 1 << 24)))
        total += len(parts[-1])
    if len(parts) == 2 and not parts[1]:
        return parts[0]
    return b"".join(parts)


def write_atomic(path: str, data: bytes, mode: int | None = None,
                 root: str | None = None) -> None:
    """Write `data` to `path` through a new file in the same directory, renamed over it: a
    reader never sees half a file, parallel writers leave one whole file, and a symbolic link
    at `path`, or a directory that leads out of `root` (default: the root of `path`), is
    refused, never followed.  Raises Unreadable."""
    if os.path.islink(path):
        raise Unreadable("is a symbolic link: not written through it", SPECIAL)
    if os.path.lexists(path) and not os.path.isfile(path):
        raise Unreadable("is not a regular file: not replaced", SPECIAL)
    directory = os.path.dirname(os.path.abspath(path))
    check_inside(directory, root if root is not None else root_of(path))
    try:
        _replace(path, directory, data, mode)
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None


# Another run's file being written: a directory walk passes it over (it is read by content, and
# half-written it would be a parse error).
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".kms-hooks-", ".tmp"


def is_temporary(name: str) -> bool:
    base = os.path.basename(name)
    return base.startswith(TEMPORARY_PREFIX) and base.endswith(TEMPORARY_SUFFIX)


def write_text(path: str, text: str, root: str | None = None) -> None:
    """`write_atomic` of text as UTF-8; a lone surrogate (from a name that is not UTF-8) is
    written as its JSON escape, `\\udcff`, never an encoding error."""
    write_atomic(path, text.encode("utf-8", "backslashreplace"), root=root)


def _replace(path: str, directory: str, data: bytes, mode: int | None) -> None:
    import tempfile

    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=TEMPORARY_PREFIX,
                                             suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
