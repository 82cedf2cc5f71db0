"""Edits that several formats share: removing a member (`key: value`, `"key": value,`,
`name = value`) from the text of the object or block that holds it.  Each source says which
syntax its members follow; the lines around the member are kept as they were."""
from __future__ import annotations

import json

from kms_hooks.documents import TextDocument
from kms_hooks.model import Fix, Span, Statement, TextEdit, Value, Where

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def removal(where: Where, title: str, json_commas: bool, only_member: bool = False,
            why: str = "") -> Fix:
    """An unsafe fix that removes the member whose value is at `where`: its whole lines when
    it stands alone on them, else (in JSON) the member and the comma that separates it."""
    if only_member:
        return Fix(title, safe=False, reason="it is the only property: removing it would leave "
                                             "an empty value")
    return Fix(title, (TextEdit(where.as_key(), "", span=lambda: member_region(
        where, json_commas)),), safe=False, reason=why)


def member_region(where: Where, json_commas: bool) -> Span | None:
    """Where the member at `where` lies, with what must go with it; None when that cannot be
    said with certainty (other text on its lines in YAML or HCL)."""
    doc = where.doc
    if not isinstance(doc, TextDocument):
        return None  # a policy held in a string: its members are not removed here
    text, lines = doc.text, doc.line_map
    key, value = doc.span(where.at, True), doc.span(where.at)
    start = lines.offset(key.line, key.column)
    end = lines.offset(value.end_line, value.end_column)
    if start is None or end is None or end <= start:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start], text[end:line_end]
    alone = not before.strip()
    trailing = after.strip()
    if json_commas:
        following = _skip_space(text, end)
        preceding = _back_space(text, start)
        if alone and trailing == ",":
            return lines.span(line_start, min(line_end + 1, len(text)))
        if alone and not trailing and preceding >= 0 and text[preceding] == ",":
            return lines.span(preceding, end)  # the last member: the comma before it goes
        if not alone and following < len(text) and text[following] == ",":
            return lines.span(start, _skip_space(text, following + 1, newlines=False))
        if not alone and preceding >= 0 and text[preceding] == ",":
            return lines.span(preceding, end)
        return None
    if not alone or (trailing and not trailing.startswith(("#", "//"))):
        return None
    return lines.span(line_start, min(line_end + 1, len(text)))


def _skip_space(text: str, position: int, newlines: bool = True) -> int:
    spaces = " \t\r\n" if newlines else " \t"
    while position < len(text) and text[position] in spaces:
        position += 1
    return position


def _back_space(text: str, position: int) -> int:
    position -= 1
    while position >= 0 and text[position] in " \t\r\n":
        position -= 1
    return position


def account_keys(written: str, partition: str, account: str) -> str:
    """The home account's keys in place of `written` ("*", or a KMS ARN pattern whose account
    is a wildcard): the written partition (unless a wildcard) and region are kept, the account
    becomes `account`, and a wildcard resource `key/*`."""
    if written == "*":
        return f"arn:{partition}:kms:*:{account}:key/*"
    parts = written.split(":", 5) + [""] * 6
    written_partition, region, resource = parts[1], parts[3] or "*", parts[5]
    if written_partition and "*" not in written_partition and "?" not in written_partition:
        partition = written_partition
    if not resource.startswith("key/"):
        resource = "key/*"
    return f"arn:{partition}:kms:{region}:{account}:{resource}"


def json_split(statement: Statement, keep: list[Value], narrowed: Fix) -> Fix:
    """Splits a statement of a JSON document in two: it keeps the actions in `keep` (those that
    need "*") with its resources as they are, and a copy written right after it holds the other
    actions, with `narrowed` made in it (and its Sid, if any, followed by "Keys")."""
    title = narrowed.title
    doc = statement.where.doc
    actions = statement.actions or ()
    if not isinstance(doc, TextDocument) or not narrowed.edits or len(actions) < 2 \
            or any(v.where.doc is not doc for v in actions):
        return Fix(title, safe=False, reason=narrowed.reason or "the statement also grants "
                   'actions that need "*": split it by hand, those actions keeping "*"')
    if not statement.where.at or not isinstance(statement.where.at[-1], int):
        return Fix(title, safe=False, reason='"Statement" is one object, not a list: split the '
                                             'statement by hand, the actions that need "*" '
                                             "keeping it")
    text, lines = doc.text, doc.line_map
    whole = _offsets(lines, doc.span(statement.where.at))
    items = [_offsets(lines, v.where.span()) for v in actions]
    listed = _offsets(lines, doc.span(statement.where.at + ("Action",)))
    resource = narrowed.edits[0]
    target = _offsets(lines, resource.where.span())
    if whole is None or listed is None or target is None or None in items:
        return Fix(title, safe=False, reason="the statement's text could not be read exactly")
    start, end = whole
    spans = [item for item in items if item is not None]
    separator = text[spans[0][1]:spans[1][0]]
    kept = [text[a:b] for (a, b), v in zip(spans, actions) if any(v is k for k in keep)]
    moved = [text[a:b] for (a, b), v in zip(spans, actions) if not any(v is k for k in keep)]
    first, last = spans[0][0], spans[-1][1]
    copy_edits = [(first, last, separator.join(moved))]
    element = text[target[0]:target[1]]
    if resource.old is None:
        copy_edits.append((target[0], target[1], resource.new))
    elif element.count(resource.old) == 1:
        at = target[0] + element.index(resource.old)
        copy_edits.append((at, at + len(resource.old), resource.new))
    else:
        return Fix(title, safe=False, reason="the resource is not written as it reads")
    if statement.sid:
        sid = _offsets(lines, doc.span(statement.where.at + ("Sid",)))
        if sid is None:
            return Fix(title, safe=False, reason="the statement's Sid could not be read")
        copy_edits.append((sid[0], sid[1], json.dumps(statement.sid + "Keys")))
    copy = []
    position = start
    for a, b, new in sorted(copy_edits):
        if a < position or b > end:
            return Fix(title, safe=False, reason="the statement's text could not be read exactly")
        copy += [text[position:a], new]
        position = b
    copy.append(text[position:end])
    before = _back_space(text, start)
    lead = text[before + 1:start] if "\n" in text[before + 1:start] else " "
    inserted = "," + lead + "".join(copy)
    return Fix(f"split: {title}", (
        TextEdit(statement.where, separator.join(kept), span=lambda: lines.span(first, last)),
        TextEdit(statement.where, inserted, span=lambda: lines.span(end, end))), safe=False)


def _offsets(lines: Any, span: Span) -> tuple[int, int] | None:
    start = lines.offset(span.line, span.column)
    end = lines.offset(span.end_line, span.end_column)
    return None if start is None or end is None else (start, end)
