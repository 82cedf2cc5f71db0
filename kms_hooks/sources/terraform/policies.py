"""Policy documents as Terraform writes them, read into the policy model.

Two forms: a JSON string (a literal, or a template whose interpolations are resolved, with
positions inside the string mapped back to the file), and an `aws_iam_policy_document` data
source, whose `statement` blocks become statements located on the Terraform elements, merged
with its `source_policy_documents` and `override_policy_documents` as the provider does.
"""
from __future__ import annotations


from kms_hooks.model import (
    Condition,
    Policy,
    PrincipalEntry,
    Problem,
    Statement,
    Value,
    Where,
)
from kms_hooks.sources.terraform.encoded import read_expression_policy
from kms_hooks.sources.terraform.model import Block, Expression
from kms_hooks.sources.terraform.resolve import Resolver
from kms_hooks.sources.terraform.strings import Document, read_json_string

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

POLICY_DOCUMENT = "aws_iam_policy_document"
DOCUMENT_OUTPUTS = ("json", "minified_json")
DEFAULT_VERSION = "2012-10-17"  # what aws_iam_policy_document writes when `version` is unset

# aws_iam_policy_document ---------------------------------------------------------------------


class DocumentReader:
    """Reads `aws_iam_policy_document` data sources of one module (each once)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._read: dict[int, Document] = {}
        self._reading: set[int] = set()

    def read(self, block: Block) -> Document:
        key = id(block)
        if key in self._read:
            return self._read[key]
        if key in self._reading:
            return Document(unknown=f"{block.name} includes itself")
        self._reading.add(key)
        try:
            document = self._document(block)
        finally:
            self._reading.discard(key)
        self._read[key] = document
        return document

    def _document(self, block: Block) -> Document:
        merged: list[Statement] = []
        problems: list[Problem] = []
        for name in ("source_policy_documents", "source_json"):
            unknown = self._merge_inputs(block, name, merged, problems)
            if unknown:
                return Document(unknown=unknown)
        own = [_statement(s, self.resolver) for s in block.nested("statement")]
        dynamic = [d for d in block.nested("dynamic") if d.labels == ("statement",)]
        # What a dynamic statement's content writes without its iterator is known: checked.
        # The iterator's values are references this resolver does not know (unknown values);
        # a content with dynamic blocks of its own (conditions, principals) is not read.
        own.extend(_statement(content, self.resolver) for d in dynamic
                   for content in d.nested("content") if not content.nested("dynamic"))
        _merge(merged, own)
        for name in ("override_policy_documents", "override_json"):
            unknown = self._merge_inputs(block, name, merged, problems)
            if unknown:
                return Document(unknown=unknown)
        written = block.get("version")
        version = DEFAULT_VERSION if written is None or _is_null(written) \
            else self.resolver.value(written).text
        return Document(tuple(merged), version, tuple(problems), complete=not dynamic,
                        where=block.where)

    def _merge_inputs(self, block: Block, name: str, merged: list[Statement],
                      problems: list[Problem]) -> str | None:
        expression = block.get(name)
        if expression is None or _is_null(expression):
            return None
        expression = self.resolver.follow(expression)
        inputs = list(expression.items) if expression.items is not None else [expression]
        for item in inputs:
            item = self.resolver.follow(item)
            document = self.input_document(item)
            if document is None or document.unknown:
                return (f"{name} includes {item.source or 'an expression'}, which is not known "
                        "here")
            problems.extend(document.problems)
            _merge(merged, list(document.statements))
        return None

    def input_document(self, expression: Expression) -> Document | None:
        """A document given as a policy value: a JSON string, or another document's `.json`."""
        target = self.document_block(expression)
        if target is not None:
            return self.read(target)
        if expression.is_literal and isinstance(expression.literal, str) \
                or expression.template is not None:
            return read_json_string(expression, self.resolver, "identity", "")
        return read_expression_policy(expression, self.resolver, "identity", "")

    def document_block(self, expression: Expression) -> Block | None:
        """The aws_iam_policy_document block whose `.json` the expression is."""
        expression = self.resolver.follow(expression)
        if expression.reference is None:
            return None
        block, rest = self.resolver.target(expression.reference)
        if block is None or block.type != "data" or block.labels[0] != POLICY_DOCUMENT:
            return None
        return block if len(rest) == 1 and rest[0] in DOCUMENT_OUTPUTS else None


def _is_null(expression: Expression | None) -> bool:
    return expression is not None and expression.is_literal and expression.literal is None


def _merge(merged: list[Statement], new: list[Statement]) -> None:
    """The provider's merge: a statement replaces the one with the same Sid, else is appended."""
    for statement in new:
        if statement.sid:
            for index, existing in enumerate(merged):
                if existing.sid == statement.sid:
                    merged[index] = statement
                    break
            else:
                merged.append(statement)
        else:
            merged.append(statement)


def _iam_text(value: Value) -> Value:
    """`&{aws:username}` is how aws_iam_policy_document writes the IAM variable ${aws:username}."""
    if value.text is not None and "&{" in value.text:
        return Value(value.text.replace("&{", "${"), value.where, value.display, value.kind,
                     value.fix)
    return value


def _list(block: Block, name: str, resolver: Resolver) -> tuple[Value, ...] | None:
    expression = block.get(name)
    if expression is None or _is_null(expression):
        return None
    return tuple(_iam_text(v) for v in resolver.values(expression))


def _statement(block: Block, resolver: Resolver) -> Statement:
    problems: list[Problem] = []
    keys: dict[str, Where] = {}
    for name, element in (("effect", "Effect"), ("actions", "Action"),
                          ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
        attribute = block.attributes.get(name)
        if attribute is not None and not _is_null(attribute.value):
            keys[element] = attribute.where
    effect: str | None = "Allow"  # the provider's default
    written = block.get("effect")
    if written is not None and not _is_null(written):
        value = resolver.value(written)
        effect = value.text if value.text in ("Allow", "Deny") else None
        if value.text is not None and effect is None:
            problems.append(Problem("KMS003", f'"effect" must be "Allow" or "Deny", not '
                                    f'"{value.text}"', written.where))
    actions = _list(block, "actions", resolver)
    not_actions = _list(block, "not_actions", resolver)
    if (actions is None) == (not_actions is None):
        which = "both" if actions is not None else "neither"
        problems.append(Problem("KMS003", f'the statement has {which} "actions" and '
                                '"not_actions"', block.where))
    principals = _principals(block, "principals", resolver, keys, "Principal")
    not_principals = _principals(block, "not_principals", resolver, keys, "NotPrincipal")
    conditions = []
    for condition in block.nested("condition"):
        keys.setdefault("Condition", condition.where)
        test = _text(condition, "test", resolver)
        variable = _text(condition, "variable", resolver)
        values = _list(condition, "values", resolver) or ()
        conditions.append(Condition(test, variable, values, condition.where))
    sid = _text(block, "sid", resolver) or None
    return Statement(
        where=block.where, sid=sid, effect=effect, actions=actions, not_actions=not_actions,
        resources=_list(block, "resources", resolver),
        not_resources=_list(block, "not_resources", resolver),
        principals=principals, not_principals=not_principals, conditions=tuple(conditions),
        keys=keys, problems=tuple(problems))


def _text(block: Block, name: str, resolver: Resolver) -> str:
    expression = block.get(name)
    if expression is None:
        return ""
    return resolver.value(expression).text or ""


def _principals(block: Block, name: str, resolver: Resolver, keys: dict[str, Where],
                element: str) -> tuple[PrincipalEntry, ...] | None:
    blocks = block.nested(name)
    if not blocks:
        return None
    keys[element] = blocks[0].where
    entries = []
    for principal in blocks:
        type_ = _text(principal, "type", resolver)
        identifiers = _list(principal, "identifiers", resolver) or ()
        for identifier in identifiers:
            # `type = "*"` is how the document writes "Principal": "*".
            entries.append(PrincipalEntry("*" if type_ == "*" else type_, identifier))
    return tuple(entries)


def policy(document: Document, kind: str, name: str, where: Where, **context: Any) -> Policy:
    """A Policy from a document read here, in the context of the resource that uses it."""
    if document.unknown is not None:
        return Policy(kind=kind, name=name, where=where, statements=(), complete=False,
                      problems=document.problems, **context)
    return Policy(kind=kind, name=name, where=document.where or where,
                  statements=document.statements, version=document.version,
                  complete=document.complete, problems=document.problems, **context)
