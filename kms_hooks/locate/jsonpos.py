"""Positions of JSON values, computed only for files that have findings.

The checker parses with the C `json` module, which keeps no positions.  When a finding must be
reported, this module finds where its element starts and ends, reading only the way to it.
"""
from __future__ import annotations

import bisect
import itertools
import re
from array import array

from kms_hooks.model import Path, PathPart, Span

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence

_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, position: int) -> int:
    found = _SPACE.match(text, position)
    assert found is not None  # it matches the empty string too
    return found.end()


class Offsets:
    """Character offsets of one value: [start, end), and of its key when it is an object member."""

    __slots__ = ("start", "end", "key_start", "key_end")

    def __init__(self, start: int, key_start: int, key_end: int) -> None:
        self.start = start
        self.end = -1  # not known until the value has been scanned
        self.key_start = key_start
        self.key_end = key_end


class _Listing:
    """How far the members of one object or array have been read."""

    __slots__ = ("members", "last", "index", "done")

    def __init__(self) -> None:
        self.members: dict[PathPart, Offsets] = {}
        self.last: Offsets | None = None  # the member read last; the next one follows it
        self.index = 0
        self.done = False


class JsonWalker:
    """Where paths lie in a JSON text, found by walking only the containers on the way.

    Values passed over are stepped over with the json module's C scanner, and where the walk
    stopped in each container is remembered, so locating elements costs about one parse of the
    text before them and nothing is built for the rest (a Terraform plan of tens of megabytes
    with findings on few elements).  The text must be valid JSON (it parsed already).  When a
    key is repeated the last one counts, as in the parse; `repeats(path, key)` says whether the
    object at `path` repeats `key` (None: unknown, so every object on the way is read to its end
    to find the last occurrence).
    """

    def __init__(self, text: str,
                 repeats: Callable[[Path, str], bool] | None = None) -> None:
        import json

        self.text = text
        # The C scanner: the value that starts at an offset, and the offset after it.
        self._scan: Callable[[str, int], tuple[Any, int]] = \
            json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        self._repeats = repeats
        self._listings: dict[Path, _Listing] = {}
        start = _skip_space(text, 0)
        self._root = Offsets(start, -1, -1) if start < len(text) else None

    def offsets(self, at: Path) -> Offsets | None:
        """The offsets of the value at `at`; None when there is no such element."""
        found = self._root
        for depth, part in enumerate(at):
            if found is None:
                return None
            found = self._child(at[:depth], found, part)
        if found is not None and found.end < 0:
            self._end(found)
        return found

    def _end(self, offsets: Offsets) -> int:
        if offsets.end < 0:
            try:
                offsets.end = self._scan(self.text, offsets.start)[1]
            except (StopIteration, ValueError):
                offsets.end = offsets.start + 1  # not JSON after all: point at its start
        return offsets.end

    def _child(self, path: Path, container: Offsets, part: PathPart) -> Offsets | None:
        opener = self.text[container.start]
        if opener not in "{[" or (opener == "{") != isinstance(part, str):
            return None
        listing = self._listings.get(path)
        if listing is None:
            listing = self._listings[path] = _Listing()
        found = listing.members.get(part)
        first_counts = opener == "[" or (self._repeats is not None
                                         and not self._repeats(path, str(part)))
        if found is not None and (listing.done or first_counts):
            return found
        while not listing.done:
            name = self._next(listing, container)
            if name == part and first_counts:
                break
        return listing.members.get(part)

    def _next(self, listing: _Listing, container: Offsets) -> PathPart | None:
        """Reads the next member of a container; None at its end."""
        text = self.text
        position = container.start + 1 if listing.last is None else self._end(listing.last)
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        if position >= len(text) or text[position] in "}]":
            listing.done = True
            container.end = position + 1
            return None
        name: PathPart
        if text[container.start] == "{":
            try:
                name, key_end = self._scan(text, position)
            except (StopIteration, ValueError):
                listing.done = True  # not JSON after all
                return None
            value_start = _skip_space(text, _skip_space(text, key_end) + 1)
            member = Offsets(value_start, position, key_end)
        else:
            name = listing.index
            member = Offsets(position, -1, -1)
        listing.index += 1
        listing.members[name] = member  # a repeated key: the last one counts, as in the parse
        listing.last = member
        return name


class LineMap:
    """Turns character offsets into 1-based line and column numbers.

    The first few lookups count newlines in C; the table of line starts is made only for a text
    asked about more often (most files with findings have one or two)."""

    _COUNTED = 8  # lookups answered by counting, before the table is made

    def __init__(self, text: str) -> None:
        self._text = text
        self._lookups = 0
        self._table: array[int] | None = None

    @property
    def _starts(self) -> array[int]:
        if self._table is None:
            # Each line starts one past the end of the one before it (all in C: files with
            # findings can be large).  An array: a tenth of a list's memory for a file of a
            # million lines.
            lengths = map(len, self._text.split("\n"))
            self._table = array("q", itertools.accumulate(map((1).__add__, lengths), initial=0))
            self._table.pop()  # the offset after the text's end starts no line
        return self._table

    @property
    def count(self) -> int:
        if self._table is None:
            return self._text.count("\n") + 1
        return len(self._table)

    def clamped_offset(self, line: int, column: int, text: str) -> int:
        """The offset of a 1-based line and column, kept inside the line (before its
        newline)."""
        starts = self._starts
        start = starts[line - 1]
        line_end = starts[line] - 1 if line < len(starts) else len(text)
        return min(start + max(column, 1) - 1, line_end)

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._table is None and self._lookups < self._COUNTED:
            self._lookups += 1
            text = self._text
            return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        starts = self._starts
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def offset(self, line: int, column: int) -> int | None:
        """The character offset of a 1-based line and column (None: not in the text)."""
        if not 1 <= line <= self.count:
            return None
        return self._starts[line - 1] + column - 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.line_col(start)
        end_line, end_column = self.line_col(end)
        return Span(line, column, end_line, end_column)


def decoded_to_raw(raw: str) -> Sequence[int]:
    """For the body of a JSON string literal (between the quotes), the raw offset of each
    decoded character, plus one entry for the end (an array: one is kept for each policy
    string with findings)."""
    if "\\" not in raw:
        return range(len(raw) + 1)
    positions = array("q")
    i = 0
    length = len(raw)
    while i < length:
        positions.append(i)
        if raw[i] == "\\" and i + 1 < length:
            if raw[i + 1] == "u" and i + 5 < length + 1:
                code = int(raw[i + 2 : i + 6], 16)
                # A surrogate pair decodes to one character from two escapes.
                if 0xD800 <= code < 0xDC00 and raw[i + 6 : i + 8] == "\\u":
                    i += 12
                else:
                    i += 6
            else:
                i += 2
        else:
            i += 1
    positions.append(length)
    return positions
