"""A policy written as a JSON string in Terraform, read into the policy model.

A literal, or a template whose interpolations are resolved, with positions inside the string
mapped back to the file. `Document` is what any policy value turns out to be; the other
readers (`encoded`, `policies`) return it too.
"""
from __future__ import annotations

import re
from kms_hooks.records import dataclass

from kms_hooks.documents import EmbeddedJsonDocument, embedded_error, not_json
from kms_hooks.model import SPECIFIC, Problem, Statement, Value, Where
from kms_hooks.normalize import Reader, read_policy
from kms_hooks.sources.base import ParseError, parse_json
from kms_hooks.sources.terraform.fix import at_element
from kms_hooks.sources.terraform.model import Expression
from kms_hooks.sources.terraform.resolve import Resolver

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# An interpolation inside a rendered JSON string: private-use characters, which no policy holds.
_OPEN, _CLOSE = "\ue010", "\ue011"
_SLOT = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


@dataclass(frozen=True)
class Document:
    """What a policy value turned out to be: statements, or why they cannot be known."""

    statements: tuple[Statement, ...] = ()
    version: str | None = None
    problems: tuple[Problem, ...] = ()
    complete: bool = True
    unknown: str | None = None  # why the document cannot be read here
    where: Where | None = None  # the document itself (an embedded JSON document's root)


class _TemplateReader(Reader):
    """Reads a policy rendered from a template: each slot stands for one interpolation."""

    def __init__(self, duplicates: dict[int, list[str]], slots: list[Value]) -> None:
        super().__init__(duplicates)
        self._slots = slots

    def values(self, node: Any, where: Where) -> list[Value] | None:
        if not isinstance(node, str) or _OPEN not in node:
            return super().values(node, where)
        whole = _SLOT.fullmatch(node)
        if whole is not None:
            slot = self._slots[int(whole.group(1))]
            return [Value(slot.text, where, slot.display, slot.kind, at_element(slot.fix, where))]
        text = _SLOT.sub(lambda m: self._slots[int(m.group(1))].text or SPECIFIC, node)
        shown = _SLOT.sub(lambda m: "${" + (self._slots[int(m.group(1))].display or "") + "}",
                          node)
        return [Value(text, where, display=shown)]


def _literal_offsets(text: str, start: int, offsets: list[int]) -> int:
    """Source offsets of a literal template part, where `${` and `%{` were written doubled."""
    i = 0
    source = start
    while i < len(text):
        if text.startswith("${", i) or text.startswith("%{", i):
            source += 1
            offsets.extend((source, source + 1))
            source += 2
            i += 2
        else:
            offsets.append(source)
            source += 1
            i += 1
    return source


def _render(expression: Expression,
            resolver: Resolver) -> tuple[str, list[int] | None, bool, list[Value]]:
    """The text of a string expression with each interpolation replaced by a slot; for each
    character, where it came from in the string as written (None: the same place); whether
    positions can be mapped at all; and the values of the slots."""
    slots: list[Value] = []
    offsets: list[int] = []
    if expression.is_literal:
        text = str(expression.literal)
        if not expression.source or expression.source == text:
            return text, None, True, slots
        end = _literal_offsets(text, 0, offsets)
        offsets.append(end)
        return text, offsets, end == len(expression.source), slots
    assert expression.template is not None
    pieces: list[str] = []
    source = 0
    for part in expression.template:
        if isinstance(part, str):
            pieces.append(part)
            source = _literal_offsets(part, source, offsets)
        else:
            slot = f"{_OPEN}{len(slots)}{_CLOSE}"
            resolved = resolver.value(part)
            slots.append(Value(resolved.text, resolved.where, resolved.display or part.source,
                               resolved.kind, resolved.fix))
            pieces.append(slot)
            offsets.extend([source] * len(slot))
            source += len(part.source)
    offsets.append(source)
    return "".join(pieces), offsets, source == len(expression.source), slots


def read_json_string(expression: Expression, resolver: Resolver, kind: str, name: str) -> Document:
    """A policy written as a JSON string: a literal, or a template whose interpolations are
    resolved (`"Resource": "${aws_kms_key.k.arn}"`)."""
    text, offsets, mappable, slots = _render(expression, resolver)
    if not text.strip():
        return Document(unknown="the policy is an empty string")
    try:
        data, duplicates = parse_json(text)
    except ParseError as error:
        if slots:  # Terraform may render it as JSON: the interpolations are not known here
            return Document(unknown="the policy string is not a JSON document (its "
                                    "interpolations are not inside JSON strings)")
        where = expression.where
        at = embedded_error(where.doc, where.at, text, error.span.line, error.span.column,
                            mappable, offsets)
        return Document(unknown=f"the policy string is not a JSON document ({error.message})",
                        problems=(not_json(error.message, at),))
    where = expression.where
    embedded = EmbeddedJsonDocument(where.doc, where.at, text, data, mappable=mappable,
                                    source_offsets=offsets)
    reader = _TemplateReader(duplicates, slots) if slots else Reader(duplicates)
    policy = read_policy(data, Where(embedded, ()), reader, kind, name)
    return Document(policy.statements or (), policy.version, policy.problems,
                    where=Where(embedded, ()))
