"""`kms-hooks:ignore=...` comments in HCL (`#`, `//` and `/* */`).

A comment at the end of a line, or alone on the line above, covers the outermost syntax node
that starts that line: a `resource`, `data` or `statement` block with everything in it, an
attribute with its whole value (a `jsonencode` object, a heredoc), an object member or a list
item.  Only files that hold the directive's text are looked at, and only the comment nodes at
the places that text occurs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kms_hooks.suppress import MARK, Position, Suppression, in_text, lines, read_directive

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
    index = data.find(_MARK)
    while index >= 0:
        node = root.descendant_for_byte_range(index, index + len(_MARK))
        if node is not None and node.type == "comment" and node.start_byte not in done:
            done.add(node.start_byte)
            suppression = _suppression(document, root, node)
            if suppression is not None:
                found.append(suppression)
        index = data.find(_MARK, index + 1)
    return found


def _suppression(document: HclDocument, root: Node, comment: Node) -> Suppression | None:
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
        target = line_end + 1  # alone: the next line, past other comments
        while target < len(data) and data[target:_line_end(data, target)].lstrip().startswith(
                _COMMENT_STARTS):
            target = _line_end(data, target) + 1
    if target >= len(data):
        number = document.line_map.line_col(document.char_offset(len(data)))[0]
        return in_text(document.path, directive, locate, *lines(number + 1, number + 1))
    first = target + len(data[target:_line_end(data, target)]) - len(
        data[target:_line_end(data, target)].lstrip())
    number = document.line_map.line_col(document.char_offset(first))[0]
    start, end = lines(number, number)
    node = _element(root, first)
    if node is not None:
        end = max(end, document.line_map.line_col(document.char_offset(node.end_byte)))
    return in_text(document.path, directive, locate, start, end)


def _line_end(data: bytes, position: int) -> int:
    end = data.find(b"\n", position)
    return len(data) if end < 0 else end


def _element(root: Node, start: int) -> Node | None:
    """The outermost node that starts at byte `start`."""
    node = root.descendant_for_byte_range(start, start + 1)
    if node is None or node.start_byte != start:
        return None
    while node.parent is not None and node.parent.start_byte == start \
            and node.parent.type not in _CONTAINERS:
        node = node.parent
    return node
