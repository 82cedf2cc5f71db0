"""Documents: parsed files that can say where a path lies in their text."""
from __future__ import annotations


from kms_hooks.locate.jsonpos import JsonWalker, LineMap, Offsets, RawPositions, decoded_to_raw
from kms_hooks.model import Path, Problem, Span, Where

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping, Sequence


def json_pointer(at: Path) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in at)


class TextDocument:
    """What every document read from a file shares: its path, and line starts made on first use."""

    def __init__(self, path: str, text: str) -> None:
        self._path = path
        self.text = text
        self._lines: LineMap | None = None

    @property
    def path(self) -> str:
        return self._path

    @property
    def line_map(self) -> LineMap:
        if self._lines is None:
            self._lines = LineMap(self.text)
        return self._lines


class JsonDocument(TextDocument):
    """A JSON file.  Positions are found on first use, walking only the way to each element.

    `duplicates` (the objects of `data` that repeat keys, by id, as the parse reports them) lets
    the walker stop at the first occurrence of a key that is not repeated; without it every
    object on the way is read to its end, since the last of repeated keys is the one that
    counts.  Generated files (Terraform plans), whose keys are never repeated, pass `{}`.
    """

    def __init__(self, path: str, text: str, data: Any,
                 duplicates: Mapping[int, list[str]] | None = None) -> None:
        super().__init__(path, text)
        self.data = data
        self._duplicates = duplicates
        self._walker: JsonWalker | None = None
        # Each finding's span is asked for several times (sorting, de-duplication, reports).
        self._spans: dict[tuple[Path, bool], Span] = {}

    def offsets(self, at: Path) -> Offsets | None:
        """Where the value at `at` is; an absent element falls back to its parent."""
        walker = self._walker
        if walker is None:
            repeats = self._repeats if self._duplicates is not None else None
            walker = JsonWalker(self.text, repeats)
        while True:
            found = walker.offsets(at)
            if found is not None or not at:
                break
            at = at[:-1]
        # A walker that remembers nothing (a small policy) is not kept: one for each policy
        # string of a large plan would add up.
        self._walker = walker if walker.holds_listings else None
        return found

    def _repeats(self, at: Path, key: str) -> bool:
        assert self._duplicates is not None
        if not self._duplicates:
            return False
        node = self.data
        try:
            for part in at:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            return True  # the text and the data disagree: read the whole object to be sure
        return key in self._duplicates.get(id(node), ())

    def string_body(self, at: Path) -> tuple[int, str] | None:
        """The offset and raw text between the quotes of the JSON string at `at`."""
        found = self.offsets(at)
        if found is None or self.text[found.start] != '"':
            return None
        return found.start + 1, self.text[found.start + 1 : found.end - 1]

    def span(self, at: Path, key: bool = False) -> Span:
        span = self._spans.get((at, key))
        if span is None:
            span = self._spans[(at, key)] = self._locate(at, key)
        return span

    def _locate(self, at: Path, key: bool) -> Span:
        found = self.offsets(at)
        if found is None:
            return Span(1, 1, 1, 1)
        if key and found.key_start >= 0:
            return self.line_map.span(found.key_start, found.key_end)
        return self.line_map.span(found.start, found.end)

    def pointer(self, at: Path) -> str:
        return json_pointer(at)


class EmbeddedJsonDocument:
    """A policy held as a JSON string inside another document (`aws kms get-key-policy` output,
    a Terraform `policy` attribute, a CloudFormation `PolicyDocument` written as a string).

    Positions inside the string are mapped back to the outer file through the string's escapes
    when the outer document can give the raw text of the string (`string_body(at)`), or the
    offset of each of its characters (`string_offsets(at)`); otherwise every element is reported
    at the string itself.  `source_offsets`, when given, says for each character of `text` (and
    one past its end) where it came from in the string's value: for a text rendered from a
    template, whose interpolations were replaced by text of another length.
    """

    def __init__(self, outer: Any, outer_at: Path, text: str, data: Any,
                 mappable: bool = True, source_offsets: list[int] | None = None) -> None:
        self.outer = outer
        self.mappable = mappable  # False when the string was decoded (URL-encoded) first
        self.source_offsets = source_offsets
        self.outer_at = outer_at
        # Positions inside are found without the parse (`data`: each object on the way is read
        # to its end, for the last of repeated keys), so the parse is not kept: one for each
        # policy string of a large plan would add up.
        self.inner = JsonDocument(outer.path, text, None)
        self._raw_positions: Sequence[int] | RawPositions | None = None
        self._body_start = -1
        self._spans: dict[tuple[Path, bool], Span] = {}

    @property
    def path(self) -> str:
        path = self.outer.path
        assert isinstance(path, str)
        return path

    def _map(self, offset: int) -> int | None:
        if self._raw_positions is None:
            self._raw_positions = []
            # An outer document that decodes its strings itself (HCL heredocs strip indentation)
            # gives the offset of every character; a JSON one gives the raw string body.
            offsets = getattr(self.outer, "string_offsets", None)
            body = getattr(self.outer, "string_body", None)
            if not self.mappable:
                pass
            elif offsets is not None:
                self._body_start = 0
                self._raw_positions = offsets(self.outer_at) or []
            elif body is not None:
                found = body(self.outer_at)
                if found is not None:
                    self._body_start, raw = found
                    self._raw_positions = decoded_to_raw(raw)
        if self.source_offsets is not None:
            if offset >= len(self.source_offsets):
                return None
            offset = self.source_offsets[offset]
        if not self._raw_positions or offset >= len(self._raw_positions):
            return None
        return self._body_start + self._raw_positions[offset]

    def span(self, at: Path, key: bool = False) -> Span:
        span = self._spans.get((at, key))
        if span is None:
            span = self._spans[(at, key)] = self._locate(at, key)
        return span

    def _locate(self, at: Path, key: bool) -> Span:
        found = self.inner.offsets(at)
        if found is None:
            return self._outer_span()
        start, end = (found.key_start, found.key_end) if key and found.key_start >= 0 else (
            found.start,
            found.end,
        )
        raw_start, raw_end = self._map(start), self._map(end)
        if raw_start is None or raw_end is None:
            return self._outer_span()
        lines: LineMap = self.outer.line_map
        return lines.span(raw_start, raw_end)

    def _outer_span(self) -> Span:
        span: Span = self.outer.span(self.outer_at)
        return span

    def pointer(self, at: Path) -> str:
        outer_pointer: str = self.outer.pointer(self.outer_at)
        return outer_pointer + json_pointer(at)


class PointDocument:
    """Points at one place of a file: where a policy string stopped parsing."""

    def __init__(self, path: str, span: Span, pointer: str) -> None:
        self._path = path
        self._span = span
        self._pointer = pointer

    @property
    def path(self) -> str:
        return self._path

    def span(self, at: Path, key: bool = False) -> Span:
        return self._span

    def pointer(self, at: Path) -> str:
        return self._pointer


def embedded_error(outer: Any, outer_at: Path, text: str, line: int, column: int,
                   mappable: bool = True, source_offsets: list[int] | None = None) -> Where:
    """Where a parse error at `line`:`column` of an embedded JSON string lies in the outer file:
    mapped through the string's escapes and indentation when it can be, else the string."""
    offset = sum(len(part) + 1 for part in text.split("\n")[: line - 1]) + column - 1
    embedded = EmbeddedJsonDocument(outer, outer_at, text, None, mappable, source_offsets)
    raw = embedded._map(min(offset, len(text)))
    span: Span = outer.span(outer_at) if raw is None else outer.line_map.span(raw, raw + 1)
    return Where(PointDocument(embedded.path, span, outer.pointer(outer_at)), ())


def not_json(message: str, where: Where) -> Problem:
    """KMS001 for a policy written as a string that does not parse."""
    return Problem("KMS001", f"the policy string is not valid JSON ({message}): AWS rejects it, "
                             "and nothing in it was checked", where)
