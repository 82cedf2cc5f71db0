"""Suppressions in a template: `Metadata` of a resource, and `# kms-hooks:ignore=...` comments in
YAML.

A comment on an element's line, or on the line above it, covers that element: the outermost
node that starts the line (a `Key: value` pair with all it holds, a list item).  Above a
resource's logical id that is the whole resource.  Comments are looked for only in files that
hold the directive's text, and only the lines that hold it are read.
"""
from __future__ import annotations

import bisect
import re
from typing import Any, Callable

from kms_hooks.model import Document, Path
from kms_hooks.suppress import MARK, Position, Suppression, in_text, lines, read_directive

SUPPRESSION_KEY = "kms-hooks"
Node = Any  # PyYAML's nodes, imported lazily


def metadata(document: Document, at: Path, resource: dict[str, Any]) -> Suppression | None:
    """The resource's `Metadata: {kms-hooks: {ignore: [...], reason: ...}}`, covering the
    resource from its logical id to its end."""
    meta = resource.get("Metadata")
    settings = meta.get(SUPPRESSION_KEY) if isinstance(meta, dict) else None
    if settings is None:
        return None
    settings_at = at + ("Metadata", SUPPRESSION_KEY)
    start, end = document.span(at, key=True), document.span(at)
    region = (start.line, start.column), (end.end_line, end.end_column)
    where = document.span(settings_at, key=True)
    ignore = settings.get("ignore") if isinstance(settings, dict) else None
    reason = settings.get("reason") if isinstance(settings, dict) else None
    reason = reason.strip() if isinstance(reason, str) else ""
    if isinstance(ignore, str):
        rules = [(ignore, settings_at + ("ignore",))]
    elif isinstance(ignore, list):
        rules = [(item, settings_at + ("ignore", index)) for index, item in enumerate(ignore)
                 if isinstance(item, str)]
    else:
        rules = []
    if not rules:
        return Suppression(document.path, where, (), reason, *region, "Metadata",
                           'Metadata "kms-hooks" needs "ignore": a rule id or a list of them')
    return Suppression(document.path, where,
                       tuple((rule.strip().upper(), document.span(path)) for rule, path in rules),
                       reason, *region, "Metadata")


def yaml_comments(path: str, text: str, root: Node) -> list[Suppression]:
    """The `# kms-hooks:...` comments of a YAML file whose composed tree is `root`."""
    if MARK not in text:
        return []
    from yaml import MappingNode, ScalarNode, SequenceNode

    from kms_hooks.locate.jsonpos import LineMap

    # Lines as git counts them (`\n` only), from the marks' offsets, like every position.
    line_map = LineMap(text)
    text_lines = text.split("\n")
    # Quoted and block scalars, where a `#` is text; and where each node or pair that starts a
    # position ends (the outermost one wins).
    strings: list[tuple[Position, Position]] = []
    extent: dict[Position, Position] = {}

    def note(start: Any, end: Any) -> None:
        first, last = line_map.line_col(start.index), line_map.line_col(end.index)
        if last > extent.get(first, first):
            extent[first] = last

    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias shares its anchor's node
            continue
        seen.add(id(node))
        note(node.start_mark, node.end_mark)
        if isinstance(node, ScalarNode):
            if node.style in ("'", '"', "|", ">"):
                strings.append((line_map.line_col(node.start_mark.index),
                                line_map.line_col(node.end_mark.index)))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                note(key.start_mark, value.end_mark)
                stack.extend((key, value))
    strings.sort()
    starts = [start for start, _ in strings]

    def in_string(position: Position) -> bool:
        found = bisect.bisect_right(starts, position) - 1
        return found >= 0 and strings[found][1] > position

    def comment_at(number: int) -> int:
        """The column (0-based) where line `number`'s comment starts, -1 when it has none."""
        line = text_lines[number - 1]
        column = line.find("#")
        while column >= 0:
            if (column == 0 or line[column - 1] in " \t") \
                    and not in_string((number, column + 1)):
                return column
            column = line.find("#", column + 1)
        return -1

    found: list[Suppression] = []
    skipped = (0, 0)  # the last run of comment lines passed over, and the line after it
    for number, line in enumerate(text_lines, 1):
        if MARK not in line:
            continue
        column = comment_at(number)
        if column < 0:
            continue
        # YAML ends a comment at any of its line breaks, where git sees none.
        comment = re.split("[\r\x85\u2028\u2029]", line[column:], maxsplit=1)[0]
        directive = read_directive(comment)
        if directive is None:
            continue
        target = number
        if not line[:column].strip():
            # Alone on its line: it covers the next line, past other comment lines (a run of
            # them is read once, however many directives it holds).
            target = number + 1
            if skipped[0] <= target <= skipped[1]:
                target = skipped[1]
            else:
                first = target
                while target <= len(text_lines) \
                        and text_lines[target - 1].lstrip().startswith("#"):
                    target += 1
                skipped = (first, target)
        start, end = lines(target, target)
        if target <= len(text_lines):
            first = _first_node(text_lines[target - 1])
            end = max(end, extent.get((target, first + 1), end))
        found.append(in_text(path, directive, _locate(number, column), start, end))
    return found


def _locate(line: int, column: int) -> Callable[[int], Position]:
    return lambda offset: (line, column + offset + 1)


def _first_node(line: str) -> int:
    """Where the first node of a line starts (0-based): past indentation and list dashes."""
    column = len(line) - len(line.lstrip(" \t"))
    while line.startswith("-", column) and line[column + 1:column + 2] in ("", " ", "\t"):
        column += 1
        column += len(line) - column - len(line[column:].lstrip(" \t"))
    return column
