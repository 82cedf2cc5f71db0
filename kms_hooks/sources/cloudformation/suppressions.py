"""Suppressions in a template: `Metadata` of a resource, and `# kms-hooks:ignore=...` comments in
YAML.

A comment on an element's line, or on the line above it, covers that element: the outermost
node that starts the line (a `Key: value` pair with all it holds, a list item).  Above a
resource's logical id that is the whole resource.  Comments are looked for only in files that
hold the directive's text, and only the lines that hold it are read.
"""
from __future__ import annotations

import bisect
import itertools
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

    # Offsets into the text, from the marks' character offsets: lines are counted at `\n` only,
    # as git counts them, like every position.  Quoted and block scalars, where a `#` is text;
    # and where each node or pair that starts at an offset ends (the outermost one wins).
    strings: list[tuple[int, int]] = []
    extent: dict[int, int] = {}
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias shares its anchor's node
            continue
        seen.add(id(node))
        first, last = node.start_mark.index, node.end_mark.index
        if last > extent.get(first, first):
            extent[first] = last
        if isinstance(node, ScalarNode):
            if node.style in ("'", '"', "|", ">"):
                strings.append((first, last))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                first, last = key.start_mark.index, value.end_mark.index
                if last > extent.get(first, first):
                    extent[first] = last
                stack.extend((key, value))
    strings.sort()
    starts = [start for start, _ in strings]
    text_lines = text.split("\n")
    line_starts = list(itertools.accumulate((len(line) + 1 for line in text_lines), initial=0))

    def in_string(offset: int) -> bool:
        found = bisect.bisect_right(starts, offset) - 1
        return found >= 0 and strings[found][1] > offset

    def comment_at(number: int) -> int:
        """The column (0-based) where line `number`'s comment starts, -1 when it has none."""
        line = text_lines[number - 1]
        column = line.find("#")
        while column >= 0:
            if (column == 0 or line[column - 1] in " \t") \
                    and not in_string(line_starts[number - 1] + column):
                return column
            column = line.find("#", column + 1)
        return -1

    def position(offset: int) -> Position:
        line = bisect.bisect_right(line_starts, offset) - 1
        return line + 1, offset - line_starts[line] + 1

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
            node_start = line_starts[target - 1] + _first_node(text_lines[target - 1])
            if node_start in extent:
                end = max(end, position(extent[node_start]))
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
