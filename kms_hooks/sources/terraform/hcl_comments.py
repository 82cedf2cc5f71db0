"""`kms-hooks:ignore=...` comments in HCL (`#`, `//` and `/* */`).

A comment at the end of a line, or alone on the line above, covers the outermost syntax node
that starts that line: a `resource`, `data` or `statement` block with everything in it, an
attribute with its whole value (a `jsonencode` object, a heredoc), an object member or a list
item.  Only files that hold the directive's text are looked at, and only the comment nodes at
the places that text occurs.
"""
from __future__ import annotations

import bisect

from kms_hooks.suppress import MARK, Position, Suppression, in_text, lines, read_directive

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node

    from kms_hooks.sources.terraform.hcl import HclDocument

_MARK = MARK.encode()
_COMMENT_STARTS = (b"#", b"//", b"/*")
_CONTAINERS = ("body", "config_file")  # they start where their first element does


def suppressions(document: HclDocument, root: Node) -> list[Suppression]:
    data = document.data
    found: list[Suppression] = []
    done: set[int] = set()
    skipped = [0, 0]  # the last run of comment lines passed over, and the line after it
    nodes = _Nodes(root)
    index = data.find(_MARK)
    while index >= 0:
        node = nodes.around(index)[-1]
        if node.type == "comment" and node.start_byte not in done:
            done.add(node.start_byte)
            suppression = _suppression(document, nodes, node, skipped)
            if suppression is not None:
                found.append(suppression)
        index = data.find(_MARK, index + 1)
    return found


def _suppression(document: HclDocument, nodes: _Nodes, comment: Node,
                 skipped: list[int]) -> Suppression | None:
    data = document.data
    raw = data[comment.start_byte:comment.end_byte].rstrip(b"\r\n")
    end_byte = comment.start_byte + len(raw)
    text = raw.decode("utf-8", "replace")
    if text.startswith("/*") and text.endswith("*/"):
        text = text[:-2]  # the reason ends where the comment does
    directive = read_directive(text)
    if directive is None:
        return None
    line_start = data.rfind(b"\n", 0, comment.start_byte) + 1
    line_end = _line_end(data, end_byte)
    comment_start = document.char_offset(comment.start_byte)

    def locate(offset: int) -> Position:
        return document.line_map.line_col(comment_start + offset)

    if data[line_start:comment.start_byte].strip():
        target = line_start  # at the end of a line: that line
    elif data[end_byte:line_end].strip():
        target = data.rfind(b"\n", 0, end_byte) + 1  # `/* ... */ code`: the line it ends on
    else:
        # Alone: the next line, past other comment lines (a run of them is read once, however
        # many directives it holds).
        target = line_end + 1
        if skipped[0] <= target <= skipped[1]:
            target = skipped[1]
        else:
            first = target
            while target < len(data) and data[target:_line_end(data, target)].lstrip() \
                    .startswith(_COMMENT_STARTS):
                target = _line_end(data, target) + 1
            skipped[:] = [first, target]
    if target >= len(data):
        number = document.line_map.line_col(document.char_offset(len(data)))[0]
        return in_text(document.path, directive, locate, *lines(number + 1, number + 1))
    first = target + len(data[target:_line_end(data, target)]) - len(
        data[target:_line_end(data, target)].lstrip())
    number = document.line_map.line_col(document.char_offset(first))[0]
    start, end = lines(number, number)
    node = nodes.starting(first)
    if node is not None:
        end = max(end, document.line_map.line_col(document.char_offset(node.end_byte)))
    return in_text(document.path, directive, locate, start, end)


def _line_end(data: bytes, position: int) -> int:
    end = data.find(b"\n", position)
    return len(data) if end < 0 else end


class _Nodes:
    """Finds the nodes around a byte by bisecting each level's children, each level listed once:
    tree-sitter's own lookups (`descendant_for_byte_range`, `parent`) scan siblings from the
    first, which is quadratic in a file of many top-level comments."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._levels: dict[int, tuple[list[int], list[Node]]] = {}

    def around(self, point: int) -> list[Node]:
        """The nodes that hold byte `point`, outermost first."""
        chain = [self.root]
        while True:
            node = chain[-1]
            level = self._levels.get(node.id)
            if level is None:
                children = node.children
                level = self._levels[node.id] = ([c.start_byte for c in children], children)
            starts, children = level
            index = bisect.bisect_right(starts, point) - 1
            if index < 0 or children[index].end_byte <= point:
                return chain
            chain.append(children[index])

    def starting(self, start: int) -> Node | None:
        """The outermost node that starts at byte `start` (not a body: it starts where its
        first element does)."""
        chain = self.around(start)
        if chain[-1].start_byte != start:
            return None
        index = len(chain) - 1
        while index > 0 and chain[index - 1].start_byte == start \
                and chain[index - 1].type not in _CONTAINERS:
            index -= 1
        return chain[index]
