"""What every source shares: the file being read, parsed once, and the source interface."""
from __future__ import annotations

import json
import os
import re

from kms_hooks.documents import PointDocument
from kms_hooks.files import OUTSIDE, SPECIAL, Unreadable, check_regular, read_regular
from kms_hooks.model import Span, Subject

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Protocol

    from kms_hooks.suppress import Suppression
else:
    Protocol = object  # see kms_hooks.model


class ParseError(Exception):
    """A file that cannot be read or parsed; reported as KMS001 at `span`.  A file that is
    `skipped` (a link out of the repository, a FIFO found in a walk) is not an error: `-v`
    says why it was not read."""

    def __init__(self, message: str, span: Span = Span(1, 1, 1, 1),
                 skipped: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.skipped = skipped


class FixedDocument(PointDocument):
    """A document that can only point at one place: for findings about an unreadable file."""

    def __init__(self, path: str, span: Span) -> None:
        super().__init__(path, span, "")


def tags_from_filename(name: str) -> frozenset[str]:
    """identify's tags for a file name, as `identify.identify.tags_from_filename` gives them,
    from identify's tables alone: `identify.identify` also loads license texts, which every
    hook call would pay for."""
    names = _identify_names()
    # os.path.splitext's extension, without its cost: none when only dots precede the last one.
    head, _, ext = name.rpartition(".")
    ext = ext.lower() if head.strip(".") else ""
    parts = name.split(".")
    if name in names or not names.keys().isdisjoint(parts):
        for part in [name, *parts]:
            if part in names:
                return _tags(part, ext)
    return _tags("", ext)


_NAMES: list[dict[str, set[str]]] = []


def _identify_names() -> dict[str, set[str]]:
    """identify's tags of whole file names (`Dockerfile`), loaded with the first name asked."""
    if not _NAMES:
        from identify import extensions

        _NAMES.append(extensions.NAMES)
    return _NAMES[0]


_TAGS: dict[tuple[str, str], frozenset[str]] = {}


def _tags(known_name: str, ext: str) -> frozenset[str]:
    """The tags of a file name that identify knows by `known_name` ("" for none) and `ext`,
    made once for each (a walk meets the same extensions over and over)."""
    found = _TAGS.get((known_name, ext))
    if found is None:
        from identify import extensions

        tags: set[str] = set(extensions.NAMES.get(known_name, ()))
        if ext in extensions.EXTENSIONS:
            tags.update(extensions.EXTENSIONS[ext])
        elif ext in extensions.EXTENSIONS_NEED_BINARY_CHECK:
            tags.update(extensions.EXTENSIONS_NEED_BINARY_CHECK[ext])
        found = _TAGS[(known_name, ext)] = frozenset(tags)
    return found


class Tree(Protocol):
    """The files around a file that is not read from disk (a git revision): a source that
    reads a file's neighbours (a Terraform module's other files) reads them here."""

    def listdir(self, directory: str) -> list[str]:
        """The names of the files in `directory`."""

    def file(self, path: str) -> SourceFile:
        """The file at `path` (a directory given to `listdir` joined with a name)."""


class SourceFile:
    """One file to check.  Its bytes come from disk, or from the caller (the git index).

    Parsed forms are cached here so that a file is parsed once, whichever sources look at it.
    """

    def __init__(self, path: str, content: bytes | None = None, tree: Tree | None = None,
                 named: bool = False) -> None:
        self.path = path
        self.tree = tree  # where its neighbours are, when not on disk
        self._content = content
        self._given = content is not None
        self._status: os.stat_result | None = None  # from admit(): checked once, not twice
        # Named on the command line: a FIFO or a device there is an error, not a skip.
        self.named = named
        self._text: str | None = None
        self.cache: dict[str, Any] = {}
        self._tags: frozenset[str] | None = None
        # Errors in a file that was still read in part (the valid blocks of a `.tf` file with a
        # syntax error): reported as KMS001 beside the findings of what could be read.
        self.errors: list[ParseError] = []
        # Suppressions written in the file (comments, Metadata), applied after the checker.
        self.suppressions: list[Suppression] = []

    @property
    def extension_tags(self) -> frozenset[str]:
        if self._tags is None:
            self._tags = tags_from_filename(self.path.rpartition(os.sep)[2])
        return self._tags

    def release(self) -> None:
        """Forgets the file's content and parsed forms once it has been checked, so that a run
        over many files holds only what their findings point at.  Content given by the caller
        (the git index) is kept: it could not be read again."""
        if not self._given:
            self._content = None
        self._text = None
        self.cache.clear()

    def admit(self) -> None:
        """Raise ParseError, before anything opens the file, when it is not to be read: a
        link out of the repository, or not a regular file."""
        if not self._given:
            try:
                self._status = check_regular(self.path)
            except Unreadable as error:
                raise self._error(error) from None

    def _error(self, error: Any) -> ParseError:
        """The ParseError for a files.Unreadable: a link out of the repository is skipped, a
        FIFO or a device too unless it was named on the command line."""
        skipped = error.kind == OUTSIDE or (error.kind == SPECIAL and not self.named)
        return ParseError(error.reason, skipped=skipped)

    @property
    def blank(self) -> bool:
        """Whether the file, as far as it was read, holds only white space (a file no source
        looked into is not read for this)."""
        if self._content is None:
            return False
        return not self._content.removeprefix(b"\xef\xbb\xbf").strip()

    @property
    def content(self) -> bytes:
        if self._content is None:
            try:
                self._content = read_regular(self.path, checked=self._status)
            except Unreadable as error:
                raise self._error(error) from None
        return self._content

    @property
    def text(self) -> str:
        if self._text is None:
            content = self.content
            if content.startswith(b"\xef\xbb\xbf"):
                content = content[3:]  # a UTF-8 byte order mark carries no content
            # UTF-16 without a byte order mark decodes as UTF-8 with a NUL byte in every other
            # place, and no marker of a policy matches it: an error, not a skip.  No policy
            # format allows a raw NUL.
            nul = content.find(b"\0")
            if nul >= 0:
                raise ParseError("not UTF-8 text (a NUL byte: UTF-16?)", _byte_span(content, nul))
            try:
                self._text = content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ParseError(f"not UTF-8 text (byte 0x{content[error.start]:02x})",
                                 _byte_span(content, error.start)) from None
        return self._text

    def json(self) -> tuple[Any, dict[int, list[str]]]:
        """The parsed JSON, and the objects that repeat a key (by id, with the keys)."""
        if "json" not in self.cache:
            self.cache["json"] = parse_json(self.text)
        result: tuple[Any, dict[int, list[str]]] = self.cache["json"]
        return result

    def plain_json(self) -> Any:
        """The parsed JSON without looking for repeated keys: half the time on large generated
        files (Terraform plans), whose keys are never repeated."""
        if "json" in self.cache:
            return self.cache["json"][0]
        if "plain-json" not in self.cache:
            self.cache["plain-json"] = parse_json(self.text, duplicates=False)[0]
        return self.cache["plain-json"]


def _byte_span(content: bytes, at: int) -> Span:
    line = content.count(b"\n", 0, at) + 1
    column = at - (content.rfind(b"\n", 0, at) + 1) + 1
    return Span(line, column, line, column + 1)


def joined_note(note: str | None, more: str | None) -> str | None:
    """A policy's note (said with -v) with more said after it."""
    if not more:
        return note
    return f"{note}; {more}" if note else more


class _RepeatedKeys:
    """The object hook of a JSON parse that notes the objects that repeat a key.  One decoder is
    made for all files: making one costs as much as parsing a small policy."""

    def __init__(self) -> None:
        self.found: dict[int, list[str]] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            seen: set[str] = set()
            repeated = []
            for key, _ in pairs:
                if key in seen and key not in repeated:
                    repeated.append(key)
                seen.add(key)
            self.found[id(built)] = repeated
        return built


_DECODERS: dict[bool, tuple[json.JSONDecoder, _RepeatedKeys]] = {}


def parse_json(text: str, duplicates: bool = True) -> tuple[Any, dict[int, list[str]]]:
    """The parsed JSON, and the objects that repeat a key (when `duplicates`)."""
    if not text or text.isspace():
        raise ParseError("empty file: not a JSON document")
    if duplicates not in _DECODERS:
        hook = _RepeatedKeys()
        _DECODERS[duplicates] = (
            json.JSONDecoder(object_pairs_hook=hook if duplicates else None), hook)
    decoder, hook = _DECODERS[duplicates]
    if text.startswith("\ufeff"):  # as json.loads says it
        raise ParseError("invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)",
                         Span(1, 1, 1, 2))
    repeated_keys: dict[int, list[str]] = {}
    hook.found = repeated_keys
    try:
        data = decoder.decode(text)
    except json.JSONDecodeError as error:
        raise ParseError(f"invalid JSON: {error.msg}",
                         Span(error.lineno, error.colno, error.lineno, error.colno + 1)) from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply to read") from None
    except ValueError:  # an integer of thousands of digits, which int() refuses
        found = _LONG_NUMBER.search(text)
        offset = found.start() if found else 0
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise ParseError("invalid JSON: a number too long to read",
                         Span(line, column, line, column + 1)) from None
    finally:
        hook.found = {}
    return data, repeated_keys


_LONG_NUMBER = re.compile(r"-?\d{4000,}")


class Source(Protocol):
    """A kind of file that holds policies.

    `sniff` decides cheaply (file name, a look at the text) whether the file may be one of its
    kind; `read` returns the policies it holds, or None when a closer look says the file is not
    of its kind after all, so that the next source can try.
    """

    name: str

    def sniff(self, file: SourceFile) -> bool: ...

    def read(self, file: SourceFile) -> Iterable[Subject] | None: ...
