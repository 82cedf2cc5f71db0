"""Terraform configuration in JSON syntax (`*.tf.json`) read into the Terraform model.

The JSON syntax is defined by HCL's JSON mapping: the root object's properties are top-level
block types; block labels are nested object levels (`"resource": {"aws_kms_key": {"k": {...}}}`);
at any of those levels, and for nested blocks, an array of objects stands for several of them
(`"statement": [{...}, {...}]`).  Every string is a template (`"${aws_kms_key.k.arn}"`).
Without the provider's schema, a property whose value is an object, or a non-empty array of
objects, is read as nested blocks and anything else as an attribute: every argument that
policies are read from is a string, a list of strings or a nested block, so nothing the
extraction needs depends on the difference.
"""
from __future__ import annotations


from kms_hooks.documents import JsonDocument
from kms_hooks.locate.jsonpos import decoded_to_raw
from kms_hooks.model import Path, Where
from kms_hooks.sources.base import SourceFile
from kms_hooks.sources.terraform.model import Attribute, Block, Expression
from kms_hooks.sources.terraform.templates import parse_template
from kms_hooks.suppress import MARK, Position, Suppression, in_text, read_directive

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator

# Top-level block types and how many labels each takes (Terraform's own language, not a
# provider's schema).  Unknown top-level keys are not Terraform configuration.
TOP_LEVEL = {
    "resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
    "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0, "check": 1,
    "ephemeral": 2,
}
_COMMENT = "//"


def is_configuration(data: Any) -> bool:
    """Whether parsed JSON has the shape of Terraform configuration: an object (or an array of
    objects) whose properties are top-level block types."""
    bodies = data if isinstance(data, list) else [data]
    if not bodies or not all(isinstance(b, dict) for b in bodies):
        return False
    keys = {k for b in bodies for k in b if k != _COMMENT}
    return bool(keys) and keys <= TOP_LEVEL.keys()


def read_blocks(document: JsonDocument) -> list[Block]:
    """The top-level blocks of one `.tf.json` file, in the order written."""
    data = document.data
    blocks: list[Block] = []
    roots: list[tuple[Path, Any]] = (
        [((i,), item) for i, item in enumerate(data)] if isinstance(data, list) else [((), data)]
    )
    for root_at, root in roots:
        if not isinstance(root, dict):
            continue
        for type_, value in root.items():
            labels = TOP_LEVEL.get(type_)
            if labels is None:
                continue
            blocks.extend(_labelled(document, type_, value, root_at + (type_,), labels, ()))
    return blocks


def _labelled(document: JsonDocument, type_: str, value: Any, at: Path, remaining: int,
              labels: tuple[str, ...], label_at: Path | None = None) -> Iterator[Block]:
    """The blocks under one label level; arrays of objects are allowed at every level."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _labelled(document, type_, item, at + (index,), remaining, labels,
                                 label_at)
        return
    if not isinstance(value, dict):
        return
    if remaining == 0:
        where = Where(document, label_at, True) if label_at is not None else Where(document, at)
        yield _body(document, type_, labels, value, at, where)
        return
    for label, inner in value.items():
        if label == _COMMENT:
            continue
        yield from _labelled(document, type_, inner, at + (label,), remaining - 1,
                             labels + (label,), at + (label,))


def _body(document: JsonDocument, type_: str, labels: tuple[str, ...], body: dict[str, Any],
          at: Path, where: Where) -> Block:
    attributes: dict[str, Attribute] = {}
    nested: list[Block] = []
    for name, value in body.items():
        if name == _COMMENT:
            continue
        value_at = at + (name,)
        if name == "dynamic" and isinstance(value, (dict, list)):
            nested.extend(_labelled(document, name, value, value_at, 1, ()))
        elif isinstance(value, dict) or (
                isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
            nested.extend(_labelled(document, name, value, value_at, 0, (), value_at
                                    if isinstance(value, dict) else None))
        else:
            attributes[name] = Attribute(name, expression(document, value, value_at),
                                         Where(document, value_at, True))
    return Block(type_, labels, attributes, tuple(nested), where)


def expression(document: JsonDocument, value: Any, at: Path) -> Expression:
    """A JSON value as a Terraform expression: strings are templates."""
    where = Where(document, at)
    if isinstance(value, str):
        return parse_template(value, where)
    if isinstance(value, list):
        return Expression(where, "", items=tuple(
            expression(document, item, at + (i,)) for i, item in enumerate(value)))
    if isinstance(value, dict):
        return Expression(where, "", members=tuple(
            (key, expression(document, item, at + (key,))) for key, item in value.items()
            if key != _COMMENT))
    return Expression(where, "", literal=value, is_literal=True)


def read_file(file: SourceFile) -> list[Block] | None:
    """The top-level blocks of one `.tf.json` file; None when its JSON is not Terraform
    configuration.  Raises ParseError for a file that is not JSON."""
    data, _ = file.json()
    if not is_configuration(data):
        return None
    document = JsonDocument(file.path, file.text, data)
    if MARK in file.text:
        file.suppressions.extend(comment_suppressions(document))
    return read_blocks(document)


def comment_suppressions(document: JsonDocument) -> list[Suppression]:
    """`"//": "kms-hooks:ignore=KMS101 reason"` in an object (a block, a label level, the
    root) covers that object."""
    found: list[Suppression] = []
    stack: list[tuple[Path, Any]] = [((), document.data)]
    while stack:
        at, node = stack.pop()
        if isinstance(node, list):
            stack.extend((at + (index,), item) for index, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        comment = node.get(_COMMENT)
        texts = [(at + (_COMMENT,), comment)] if isinstance(comment, str) else [
            (at + (_COMMENT, index), item) for index, item in enumerate(comment)
            if isinstance(item, str)] if isinstance(comment, list) else []
        for text_at, text in texts:
            directive = read_directive(text) if MARK in text else None
            if directive is not None:
                span = document.span(at)
                found.append(in_text(document.path, directive, _locator(document, text_at),
                                     (span.line, span.column), (span.end_line, span.end_column),
                                     '"//" property'))
        stack.extend((at + (key,), value) for key, value in node.items() if key != _COMMENT)
    return found


def _locator(document: JsonDocument, at: Path) -> Callable[[int], Position]:
    """Places an offset of a JSON string's value in the file, through its escapes."""
    body = document.string_body(at)
    if body is None:
        span = document.span(at)
        return lambda offset: (span.line, span.column)
    start, raw = body
    positions = decoded_to_raw(raw)
    return lambda offset: document.line_map.line_col(
        start + positions[min(offset, len(positions) - 1)])
