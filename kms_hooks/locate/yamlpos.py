"""Positions in YAML files, from the marks that YAML's composer puts on every node.

The node tree is built once, by libyaml, while parsing; nothing is computed for positions until
a finding asks for one.  A path through the parsed data is followed through the nodes, so line
and column come straight from the marks.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from kms_hooks.documents import TextDocument, json_pointer
from kms_hooks.model import Path, Span

# The node classes of PyYAML; imported lazily so that reading JSON never loads yaml.
Node = Any


class YamlDocument(TextDocument):
    """A YAML file with its composed node tree.

    `tag_keys` maps a local tag to the key it stands for in the parsed data: CloudFormation's
    `!Ref X` is read as `{"Ref": "X"}`, so the path `(..., "Ref")` is the tagged node itself.
    """

    def __init__(self, path: str, text: str, root: Node, tag_keys: Callable[[str], str | None],
                 data: Any = None) -> None:
        super().__init__(path, text)
        self.data = data
        self.root = root
        self._tag_keys = tag_keys

    def find(self, at: Path) -> tuple[Node, Node | None, bool]:
        """The node at `at` (or the deepest node on the way), its key node, and whether the whole
        path was found."""
        from yaml import MappingNode, SequenceNode

        node, key_node = self.root, None
        unwrapped = False  # the tagged node now stands for its content, not for {key: content}
        for depth, part in enumerate(at):
            if not unwrapped and node.tag.startswith("!") and self._tag_keys(node.tag):
                if part != self._tag_keys(node.tag):
                    return node, key_node, False
                unwrapped = True
                continue
            if isinstance(node, MappingNode):
                found = None
                for key, value in node.value:
                    if getattr(key, "value", None) == part:
                        found = key, value  # the last one wins, as in the parsed data
                if found is None:
                    return node, key_node, False
                key_node, node = found
            elif isinstance(node, SequenceNode) and isinstance(part, int) \
                    and 0 <= part < len(node.value):
                node, key_node = node.value[part], None
            else:
                # A scalar standing for a list (`!GetAtt Key.Arn`): its parts are in the scalar.
                return node, key_node, unwrapped and depth == len(at) - 1
            unwrapped = False
        return node, key_node, True

    def pointer(self, at: Path) -> str:
        return json_pointer(at)

    def span(self, at: Path, key: bool = False) -> Span:
        node, key_node, _ = self.find(at)
        if key and key_node is not None:
            node = key_node
        # From the marks' character offsets: their lines and columns count a line break at
        # `\r`, NEL, LS and PS too, where git (and --diff-base) counts `\n` only.
        return self.line_map.span(node.start_mark.index, node.end_mark.index)

    def string_offsets(self, at: Path) -> list[int] | None:
        """The offset in the file of each character of the string at `at`, and of its end; None
        when the string's style does not allow an exact mapping (folded or multi-line quoted
        scalars): findings inside it are then reported at the string."""
        from yaml import ScalarNode

        node, _, complete = self.find(at)
        if not complete or not isinstance(node, ScalarNode):
            return None
        return scalar_positions(self.text, node)


def mark_position(text: str, mark: Any) -> tuple[int, int]:
    """The 1-based line and column of a YAML mark, lines counted at `\n` only, as git does."""
    offset = min(mark.index, len(text))
    return (text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1)


_SIMPLE_ESCAPES: Mapping[str, str] = {
    "0": "\0", "a": "\x07", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def scalar_positions(text: str, node: Node) -> list[int] | None:
    """Offsets of a scalar's characters in `text`, checked against the scalar's value."""
    start, end = node.start_mark.index, node.end_mark.index
    style = node.style
    if style in ("'", '"', "|"):
        start = text.find(style, start, end)
        if start < 0:
            return None
    else:
        start = _skip_properties(text, start, end)
    if style == "|":
        found = _literal_positions(text, start, end, node.value)
    elif style in ("'", '"'):
        found = _quoted_positions(text, start, end)
    elif style is None or style == "":
        raw = text[start:end]
        found = None if "\n" in raw else (raw, list(range(start, end + 1)))
    else:
        return None  # folded scalars join lines: no exact mapping
    if found is None:
        return None
    decoded, positions = found
    value: str = node.value
    if decoded[: len(value)] != value:
        return None
    return positions[: len(value) + 1]


def _skip_properties(text: str, start: int, end: int) -> int:
    """Past a tag (`!Sub`) or anchor (`&name`) written before a plain scalar."""
    while start < end and text[start] in "!&":
        while start < end and not text[start].isspace():
            start += 1
        while start < end and text[start] in " \t":
            start += 1
    return start


def _quoted_positions(text: str, start: int, end: int) -> tuple[str, list[int]] | None:
    """A quoted scalar on one line: `''` stands for `'` in single quotes, backslash escapes
    for characters in double quotes."""
    quote = text[start]
    decoded: list[str] = []
    positions: list[int] = []
    i = start + 1
    while i < end:
        char = text[i]
        if char == "\n":
            return None
        positions.append(i)
        if char == quote and quote == "'" and text[i + 1 : i + 2] == "'":
            decoded.append("'")
            i += 2
        elif char == quote:
            return "".join(decoded), positions
        elif char == "\\" and quote == '"':
            escaped = _escape(text, i + 1, end)
            if escaped is None:
                return None  # an escaped line break: the string spans lines
            decoded.append(escaped[0])
            i = escaped[1]
        else:
            decoded.append(char)
            i += 1
    return None


def _escape(text: str, i: int, end: int) -> tuple[str, int] | None:
    """The character a double-quoted escape stands for, and where the escape ends."""
    escape = text[i] if i < end else ""
    if escape in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[escape], i + 1
    width = _HEX_ESCAPES.get(escape)
    if width is None:
        return None
    try:
        return chr(int(text[i + 1 : i + 1 + width], 16)), i + 1 + width
    except ValueError:
        return None


def _literal_positions(text: str, start: int, end: int,
                       value: str) -> tuple[str, list[int]] | None:
    """A literal block (`|`): each content line, less the block's indentation, as written."""
    header_end = text.find("\n", start, end)
    if header_end < 0:
        return None
    header = text[start + 1 : header_end].split("#", 1)[0].strip()
    if any(char.isdigit() for char in header):
        return None  # an explicit indentation indicator: rare, and relative to the parent
    lines_start = header_end + 1
    body = text[lines_start:end]
    indent = 0
    for line in body.split("\n"):
        if line.strip():
            indent = len(line) - len(line.lstrip(" "))
            break
    decoded: list[str] = []
    positions: list[int] = []
    offset = lines_start
    for line in body.split("\n"):
        content_start = offset + min(indent, len(line))
        for index in range(content_start, offset + len(line)):
            decoded.append(text[index])
            positions.append(index)
        decoded.append("\n")
        positions.append(offset + len(line))
        offset += len(line) + 1
    positions.append(offset)
    return "".join(decoded), positions
