"""Positions of JSON values, computed only for files that have findings.

The checker parses with the C `json` module, which keeps no positions.  When a finding must be
reported, this module scans the same text once, iteratively (deep nesting cannot overflow the
stack), and records where every value and key starts and ends.
"""
from __future__ import annotations

import bisect
import re

from kms_hooks.model import Path, PathPart, Span

# A string, a structural character, or a bare word (number, true, false, null).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)


class Offsets:
    """Character offsets of one value: [start, end), and of its key when it is an object member."""

    __slots__ = ("start", "end", "key_start", "key_end")

    def __init__(self, start: int, key_start: int, key_end: int) -> None:
        self.start = start
        self.end = start
        self.key_start = key_start
        self.key_end = key_end


def index_json(text: str) -> dict[Path, Offsets]:
    """Map every path in a JSON text to the offsets of its value (and key).

    The text is assumed to be valid JSON (it parsed already); on anything else the index is
    simply partial.
    """
    found: dict[Path, Offsets] = {}
    # Each frame: [path of the container, is_object, next index or pending key, key offsets]
    stack: list[list[object]] = []
    pending_key: PathPart | None = None
    key_start = key_end = -1
    expect_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in ",:":
            continue
        if first in "}]":
            if not stack:
                break
            frame = stack.pop()
            container_path = frame[0]
            assert isinstance(container_path, tuple)
            entry = found.get(container_path)
            if entry is not None:
                entry.end = match.end()
            expect_key = bool(stack) and bool(stack[-1][1])
            continue
        if expect_key and first == '"':
            pending_key = _decode_key(token)
            key_start, key_end = match.start(), match.end()
            expect_key = False
            continue
        # A value: its path depends on the enclosing container.
        if stack:
            frame = stack[-1]
            parent = frame[0]
            assert isinstance(parent, tuple)
            if frame[1]:
                assert pending_key is not None
                path: Path = parent + (pending_key,)
                offsets = Offsets(match.start(), key_start, key_end)
            else:
                position = frame[2]
                assert isinstance(position, int)
                path = parent + (position,)
                frame[2] = position + 1
                offsets = Offsets(match.start(), -1, -1)
        else:
            path = ()
            offsets = Offsets(match.start(), -1, -1)
        found[path] = offsets
        if first == "{":
            stack.append([path, True, 0])
            expect_key = True
        elif first == "[":
            stack.append([path, False, 0])
            expect_key = False
        else:
            offsets.end = match.end()
            expect_key = bool(stack) and bool(stack[-1][1])
    return found


def _decode_key(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    import json

    decoded = json.loads(token)
    assert isinstance(decoded, str)
    return decoded


class LineMap:
    """Turns character offsets into 1-based line and column numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.line_col(start)
        end_line, end_column = self.line_col(end)
        return Span(line, column, end_line, end_column)


def decoded_to_raw(raw: str) -> list[int]:
    """For the body of a JSON string literal (between the quotes), the raw offset of each
    decoded character, plus one entry for the end."""
    positions: list[int] = []
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


class JsonWalker:
    """Offsets of the paths asked for, found by walking to each one through the JSON text.

    Indexing every value (`index_json`) costs seconds on a file of tens of megabytes, and a
    large generated file (a Terraform plan) has findings on few of its elements.  This walks
    down the containers on the way to a path, stepping over the members before it with the C
    JSON scanner, and remembers where it stopped in each container, so a value is stepped over
    at most once per container it lies in.  A key repeated in one object is found at its first
    occurrence.  The text is assumed to be valid JSON (it parsed already).
    """

    def __init__(self, text: str) -> None:
        import json

        self.text = text
        self._scan = json.JSONDecoder().raw_decode
        self._found: dict[Path, Offsets] = {}
        # Per container: where its next member starts (None: all read), the next array index,
        # and the last member read when its end is not known yet (stepped over on demand).
        self._cursor: dict[Path, tuple[int | None, int, Path | None]] = {}
        root = _skip_space(text, 0)
        if root < len(text):
            self._found[()] = _unended(root, -1, -1)

    def offsets(self, at: Path) -> Offsets | None:
        found = self._locate(at)
        if found is not None and found.end < 0:
            self._end(found)
        return found

    def _end(self, offsets: Offsets) -> None:
        try:
            offsets.end = self._scan(self.text, offsets.start)[1]
        except ValueError:
            offsets.end = offsets.start + 1

    def _locate(self, at: Path) -> Offsets | None:
        found = self._found.get(at)
        if found is not None or not at:
            return found
        parent = self._locate(at[:-1])
        if parent is None or self.text[parent.start] not in "{[":
            return None
        container = at[:-1]
        is_object = self.text[parent.start] == "{"
        position, index, pending = self._cursor.get(container, (parent.start + 1, 0, None))
        while at not in self._found:
            if pending is not None:
                last = self._found[pending]
                if last.end < 0:
                    self._end(last)
                position, pending = self._after(last.end), None
            if position is None:
                break
            position, index, pending = self._member(container, is_object, position, index)
        self._cursor[container] = (position, index, pending)
        return self._found.get(at)

    def _after(self, end: int) -> int | None:
        """Where the next member starts after a value that ends at `end`; None after the last."""
        after = _skip_space(self.text, end)
        if after < len(self.text) and self.text[after] == ",":
            return after + 1
        return None

    def _member(self, container: Path, is_object: bool, position: int,
                index: int) -> tuple[int | None, int, Path | None]:
        text = self.text
        position = _skip_space(text, position)
        if position >= len(text) or text[position] in "}]":
            return None, index, None
        if not is_object:
            path: Path = container + (index,)
            self._found[path] = _unended(position, -1, -1)
            return None, index + 1, path
        if text[position] != '"':
            return None, index, None
        key, key_end = self._scan(text, position)
        start = _skip_space(text, _skip_space(text, key_end) + 1)  # past the colon
        path = container + (key,)
        if path in self._found:  # a repeated key: the first one is kept
            repeated = _unended(start, -1, -1)
            self._end(repeated)
            return self._after(repeated.end), index, None
        self._found[path] = _unended(start, position, key_end)
        return None, index, path


def _unended(start: int, key_start: int, key_end: int) -> Offsets:
    offsets = Offsets(start, key_start, key_end)
    offsets.end = -1  # not known until the value is stepped over
    return offsets


def _skip_space(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in " \t\n\r":
        position += 1
    return position
