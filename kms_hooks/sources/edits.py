"""Edits that several formats share: removing a member (`key: value`, `"key": value,`,
`name = value`) from the text of the object or block that holds it.  Each source says which
syntax its members follow; the lines around the member are kept as they were."""
from __future__ import annotations

from kms_hooks.documents import TextDocument
from kms_hooks.model import Fix, Span, TextEdit, Where


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
