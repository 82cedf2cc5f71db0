"""Positions of JSON values, computed only for files that have findings.

The checker parses with the C `json` module, which keeps no positions.  When a finding must be
reported, this module finds where its element starts and ends, reading only the way to it.
"""
from __future__ import annotations

import bisect
import itertools
import operator
import re
from array import array

from kms_hooks.model import Path, PathPart, Span

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence

_SPACE = re.compile(r"[ \t\n\r]*")
_BLANKS = " \t\n\r"


def _skip_space(text: str, position: int) -> int:
    if position < len(text) and text[position] in _BLANKS:
        found = _SPACE.match(text, position)
        assert found is not None  # it matches the empty string too
        return found.end()
    return position


class Offsets:
    """Character offsets of one value: [start, end), and of its key when it is an object member."""

    __slots__ = ("start", "end", "key_start", "key_end")

    def __init__(self, start: int, end: int, key_start: int, key_end: int) -> None:
        self.start = start
        self.end = end
        self.key_start = key_start
        self.key_end = key_end


# A listing is kept for the next walk when its members read so far are more than this many, or
# span more than this many characters, or when it holds a listing that is kept, or when the
# walk has forgotten enough above it.  Reading a smaller one again costs little, and a large
# file with a finding in each of its small objects (a plan of 50,000 policies) would otherwise
# keep every member of every one of them.
_KEEP_MEMBERS = 16
_KEEP_EXTENT = 2048
_REREAD_BUDGET = 64  # members that one walk may read again, at all depths together


class _Listing:
    """How far the members of one object or array have been read, and where each lies."""

    __slots__ = ("spots", "names", "children", "done")

    def __init__(self, is_object: bool) -> None:
        # Four offsets per member: value start, value end (-1 until scanned), key start, key end
        # (-1 in arrays).  An array of them: a tenth of the memory of an object per member.
        self.spots = array("q")
        # An object's member index by key (a repeated key: the last one read counts).
        self.names: dict[str, int] | None = {} if is_object else None
        self.children: dict[int, _Listing] | None = None  # listings of members walked into
        self.done = False


_scan_once: Callable[[str, int], tuple[Any, int]] | None = None


class JsonWalker:
    """Where paths lie in a JSON text, found by walking only the containers on the way.

    Values passed over are stepped over with the json module's C scanner, and where the walk
    stopped in each large container is remembered, so locating elements costs about one parse of
    the text before them and nothing is built for the rest (a Terraform plan of tens of megabytes
    with findings on few elements).  The text must be valid JSON (it parsed already).  When a
    key is repeated the last one counts, as in the parse; `repeats(path, key)` says whether the
    object at `path` repeats `key` (None: unknown, so every object on the way is read to its end
    to find the last occurrence).
    """

    __slots__ = ("text", "_repeats", "_keys", "_top")

    def __init__(self, text: str,
                 repeats: Callable[[Path, str], bool] | None = None) -> None:
        global _scan_once
        if _scan_once is None:
            import json

            # The C scanner: the value that starts at an offset, and the offset after it.
            _scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        self.text = text
        self._repeats = repeats
        self._keys: dict[str, str] = {}  # each key's text once, however many objects have it
        # Holds the root value as its only member.
        self._top = _Listing(False)
        self._top.done = True
        start = _skip_space(text, 0)
        if start < len(text):
            self._top.spots.extend((start, -1, -1, -1))

    @property
    def holds_listings(self) -> bool:
        """Whether walks remembered anything that a new walker would have to read again."""
        return bool(self._top.children)

    def offsets(self, at: Path) -> Offsets | None:
        """The offsets of the value at `at`; None when there is no such element."""
        listing, index = self._top, 0
        if not listing.spots:
            return None
        walked: list[tuple[_Listing, int, _Listing]] = []
        try:
            for depth, part in enumerate(at):
                found = self._child(listing, index, at, depth, part, walked)
                if found is None:
                    return None
                listing, index = walked[-1][2], found
            spots = listing.spots
            at_spot = 4 * index
            return Offsets(spots[at_spot], self._end(spots, index), spots[at_spot + 2],
                           spots[at_spot + 3])
        finally:
            self._forget_small(walked)

    def _forget_small(self, walked: list[tuple[_Listing, int, _Listing]]) -> None:
        """Forgets the small listings of a walk, from the top and within a budget of member
        reads that the next walk may have to repeat; one that holds a kept listing stays."""
        budget = _REREAD_BUDGET
        small = []
        for parent, index, child in walked:
            spots = child.spots
            count = len(spots) >> 2
            last = 4 * (count - 1)
            forget = count <= min(_KEEP_MEMBERS, budget) and (
                not count
                or max(spots[last], spots[last + 1]) - parent.spots[4 * index] <= _KEEP_EXTENT)
            if forget:
                budget -= count
            small.append(forget)
        for (parent, index, child), forget in zip(reversed(walked), reversed(small)):
            if forget and not child.children:
                assert parent.children is not None
                del parent.children[index]

    def _end(self, spots: array[int], index: int) -> int:
        at_spot = 4 * index
        end = spots[at_spot + 1]
        if end < 0:
            assert _scan_once is not None
            try:
                end = _scan_once(self.text, spots[at_spot])[1]
            except (StopIteration, ValueError):
                end = spots[at_spot] + 1  # not JSON after all: point at its start
            spots[at_spot + 1] = end
        return end

    def _child(self, parent: _Listing, index: int, at: Path, depth: int, part: PathPart,
               walked: list[tuple[_Listing, int, _Listing]]) -> int | None:
        """The index of member `part` of the container that is member `index` of `parent`."""
        children = parent.children
        listing = children.get(index) if children is not None else None
        if listing is None:
            opener = self.text[parent.spots[4 * index]]
            if opener not in "{[":
                return None
            listing = _Listing(opener == "{")
            if children is None:
                children = parent.children = {}
            children[index] = listing
        walked.append((parent, index, listing))
        names = listing.names
        if (names is not None) != isinstance(part, str):
            return None
        found = self._member(listing, part)
        if listing.done:
            return found
        first_counts = names is None or (self._repeats is not None
                                         and not self._repeats(at[:depth], str(part)))
        if found is not None and first_counts:
            return found
        self._read(listing, parent, index, part if first_counts else None)
        return self._member(listing, part)

    @staticmethod
    def _member(listing: _Listing, part: PathPart) -> int | None:
        if listing.names is not None:
            return listing.names.get(str(part))
        assert isinstance(part, int)
        return part if 0 <= part < len(listing.spots) >> 2 else None

    def _read(self, listing: _Listing, parent: _Listing, index: int,
              until: PathPart | None) -> None:
        """Reads the members of the container that is member `index` of `parent`, from where
        reading stopped: up to member `until`, or to its end."""
        text = self.text
        length = len(text)
        spots = listing.spots
        names = listing.names
        keys = self._keys
        match = _MEMBER.match
        count = len(spots) >> 2
        position = parent.spots[4 * index] + 1 if not count else self._end(spots, count - 1)
        while True:
            # One match reads the comma, the key and the colon, and a scalar value to its end.
            member = match(text, position)
            assert member is not None  # every part is optional
            (_, _), (key_start, key_end), (position, _), (_, value_end) = member.regs
            if position >= length or text[position] in "}]":
                listing.done = True
                parent.spots[4 * index + 1] = position + 1
                return
            if names is None:
                if key_start >= 0:
                    listing.done = True  # a key in an array: not JSON after all
                    return
                spots.extend((position, value_end, -1, -1))
                if count == until:
                    return
            else:
                if key_start < 0:
                    listing.done = True  # not JSON after all
                    return
                name = text[key_start + 1 : key_end - 1]
                if "\\" in name:
                    assert _scan_once is not None
                    name = _scan_once(text, key_start)[0]
                name = keys.setdefault(name, name)
                spots.extend((position, value_end, key_start, key_end))
                names[name] = count  # a repeated key: the last one counts, as in the parse
                if name == until:
                    return
            count += 1
            position = value_end if value_end >= 0 else self._end(spots, count - 1)


# The next member of an object or array, from the end of the one before (or the opening
# bracket): a comma, the key and colon (1), where the value starts (2), and the value when it
# is a scalar (3).
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'  # unrolled: three times as fast as an alternation
_MEMBER = re.compile(
    r"[ \t\n\r]*,?[ \t\n\r]*"
    rf"(?:({_STRING})[ \t\n\r]*:[ \t\n\r]*)?"
    rf"()({_STRING}|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)?",
    re.DOTALL)


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


class RawPositions:
    """For the body of a JSON string literal (between the quotes), the raw offset of each
    decoded character, plus one entry for the end.  Only the escapes are stored (one such map
    is kept for each policy string with findings, and a plan has thousands)."""

    __slots__ = ("_length", "_escapes", "_shifts")

    def __init__(self, raw: str) -> None:
        found = [m.span() for m in _ESCAPE.finditer(raw)]
        starts = [start for start, _ in found]
        # The decoded offset of each escape, and how many more raw characters than decoded
        # ones there are up to and including it: with two-character escapes alone (`\\"`,
        # `\\n`), the k-th adds one, and only the offsets are stored.
        self._shifts: array[int] | None = None
        if any(end - start != 2 for start, end in found):
            self._shifts = array("q", itertools.accumulate(end - start - 1 for start, end in found))
            self._escapes = array("q", map(operator.sub, starts,
                                           itertools.chain((0,), self._shifts)))
            shift = self._shifts[-1]
        else:
            self._escapes = array("q", map(operator.sub, starts, range(len(starts))))
            shift = len(starts)
        self._length = len(raw) - shift + 1

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, offset: int) -> int:
        if not 0 <= offset < self._length:
            raise IndexError(offset)
        before = bisect.bisect_left(self._escapes, offset)  # escapes before this character
        if not before:
            return offset
        return offset + (before if self._shifts is None else self._shifts[before - 1])


# An escape in a JSON string's raw text: a surrogate pair's two count as one, as decoded.
_ESCAPE = re.compile(r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[0-9a-fA-F]{4}|u[0-9a-fA-F]{4}|.)",
                     re.DOTALL)


def decoded_to_raw(raw: str) -> Sequence[int] | RawPositions:
    """For the body of a JSON string literal (between the quotes), the raw offset of each
    decoded character, plus one entry for the end."""
    if "\\" not in raw:
        return range(len(raw) + 1)
    return RawPositions(raw)
