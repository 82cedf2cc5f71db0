"""Terraform expressions written as text: the strings of `.tf.json` files (each one a template,
`"arn:aws:kms:${var.region}:..."`) and the references a plan's configuration lists.

The parser knows literals, references, function calls, lists, objects and parentheses, which is
all that policies and key references need.  Anything else (operators, conditionals, `for`
expressions, template directives) makes the expression unknown, never a guess.
"""
from __future__ import annotations

import json
import re

from kms_hooks.model import Where
from kms_hooks.sources.terraform.model import Expression, Reference, TemplatePart

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _Unknown(Exception):
    """The text uses syntax this parser does not represent."""


def parse_template(text: str, where: Where) -> Expression:
    """A string as Terraform reads it in JSON syntax: literal text with `${...}` interpolations.

    `$${` and `%%{` are escapes for a literal `${` and `%{`.  A string that is one interpolation
    and nothing else is that expression.
    """
    if "${" not in text and "%{" not in text:
        return Expression(where, text, literal=text, is_literal=True)
    parts: list[TemplatePart] = []
    literal: list[str] = []
    i = 0
    length = len(text)
    while i < length:
        if text.startswith("$${", i) or text.startswith("%%{", i):
            literal.append(text[i + 1 : i + 3])
            i += 3
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                return Expression(where, text)
            if literal:
                parts.append("".join(literal))
                literal = []
            inner = text[i + 2 : end].strip().strip("~").strip()
            parts.append(parse_expression(inner, where, source=text[i : end + 1]))
            i = end + 1
        elif text.startswith("%{", i):
            return Expression(where, text)  # a directive (%{if}, %{for}): not represented
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    if len(parts) == 1 and isinstance(parts[0], Expression):
        return parts[0]
    if all(isinstance(p, str) for p in parts):
        rendered = "".join(p for p in parts if isinstance(p, str))
        return Expression(where, text, literal=rendered, is_literal=True)
    return Expression(where, text, template=tuple(parts))


def _closing_brace(text: str, start: int) -> int:
    """The index of the `}` that closes an interpolation opened before `start`, or -1."""
    depth = 0
    i = start
    length = len(text)
    while i < length:
        char = text[i]
        if char == '"':
            i += 1
            while i < length and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif char in "{[(":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:::[A-Za-z_][A-Za-z0-9_-]*)*)
  | (?P<ellipsis>\.\.\.)
  | (?P<punct>=>|==|!=|<=|>=|&&|\|\||[.\[\](){},=:?!<>+\-*/%])
""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Unknown(text[position:])
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            found.append((kind, match.group(), match.start()))
        position = match.end()
    return found


def parse_expression(text: str, where: Where, source: str | None = None) -> Expression:
    """One expression (the inside of an interpolation, or a reference a plan lists)."""
    written = text if source is None else source
    try:
        parser = _Parser(text, where)
        expression = parser.expression()
        if parser.position != len(parser.tokens):
            raise _Unknown(text)
    except _Unknown:
        return Expression(where, written)
    if source is not None:
        return _with_source(expression, source)
    return expression


def _with_source(expression: Expression, source: str) -> Expression:
    return Expression(expression.where, source, expression.literal, expression.is_literal,
                      expression.template, expression.reference, expression.items,
                      expression.members, expression.call)


def parse_reference(text: str) -> Reference | None:
    """`data.aws_iam_policy_document.d.json` as a Reference, None when it is not a traversal."""
    try:
        tokens = _tokens(text)
    except _Unknown:
        return None
    if not tokens or tokens[0][0] != "name":
        return None
    parts = [tokens[0][1]]
    i = 1
    while i < len(tokens):
        step = tokens[i][1]
        if step == "." and i + 1 < len(tokens) and tokens[i + 1][0] in ("name", "number", "punct"):
            if tokens[i + 1][0] == "punct" and tokens[i + 1][1] != "*":
                return None
            parts.append(tokens[i + 1][1])
            i += 2
        elif step == "[" and i + 2 < len(tokens) and tokens[i + 2][1] == "]" and (
                tokens[i + 1][0] in ("number", "string") or tokens[i + 1][1] == "*"):
            parts.append(f"[{tokens[i + 1][1]}]")
            i += 3
        else:
            return None
    return Reference(tuple(parts))


class _Parser:
    def __init__(self, text: str, where: Where) -> None:
        self.text = text
        self.where = where
        self.tokens = _tokens(text)
        self.position = 0

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> tuple[str, str, int]:
        token = self._peek()
        if token is None:
            raise _Unknown(self.text)
        self.position += 1
        return token

    def _expect(self, value: str) -> None:
        if self._next()[1] != value:
            raise _Unknown(self.text)

    def _at(self, value: str) -> bool:
        token = self._peek()
        return token is not None and token[1] == value and token[0] == "punct"

    def _source(self, start: int) -> str:
        end_token = self.tokens[self.position - 1]
        return self.text[start : end_token[2] + len(end_token[1])]

    def _make(self, start: int, **shape: Any) -> Expression:
        return Expression(self.where, self._source(start), **shape)

    def expression(self) -> Expression:
        kind, value, start = self._next()
        if kind == "number":
            number = float(value) if any(c in value for c in ".eE") else int(value)
            return self._make(start, literal=number, is_literal=True)
        if kind == "string":
            decoded = _decode_string(value)
            inner = parse_template(decoded, self.where)
            return _with_source(inner, value)
        if kind == "name":
            if value in ("true", "false", "null"):
                literal = {"true": True, "false": False, "null": None}[value]
                return self._make(start, literal=literal, is_literal=True)
            if value == "for":
                raise _Unknown(self.text)
            if self._at("("):
                return self._call(value, start)
            return self._traversal(value, start)
        if value == "[":
            return self._list(start)
        if value == "{":
            return self._object(start)
        if value == "(":
            inner = self.expression()
            self._expect(")")
            return inner
        raise _Unknown(self.text)

    def _call(self, name: str, start: int) -> Expression:
        self._expect("(")
        arguments: list[Expression] = []
        while not self._at(")"):
            arguments.append(self.expression())
            if self._at("..."):
                raise _Unknown(self.text)
            if not self._at(")"):
                self._expect(",")
        self._expect(")")
        return self._make(start, call=(name, tuple(arguments)))

    def _traversal(self, first: str, start: int) -> Expression:
        parts = [first]
        while True:
            if self._at("."):
                self.position += 1
                kind, value, _ = self._next()
                if kind == "name" or kind == "number":
                    parts.append(value)
                elif value == "*":
                    parts.append("*")
                else:
                    raise _Unknown(self.text)
            elif self._at("["):
                self.position += 1
                kind, value, _ = self._next()
                if value == "*" or kind in ("number", "string"):
                    parts.append(f"[{value}]")
                else:
                    raise _Unknown(self.text)  # an index computed by an expression
                self._expect("]")
            else:
                break
        return self._make(start, reference=Reference(tuple(parts)))

    def _list(self, start: int) -> Expression:
        items: list[Expression] = []
        token = self._peek()
        if token is not None and token[1] == "for":
            raise _Unknown(self.text)
        while not self._at("]"):
            items.append(self.expression())
            if not self._at("]"):
                self._expect(",")
        self._expect("]")
        return self._make(start, items=tuple(items))

    def _object(self, start: int) -> Expression:
        members: list[tuple[str, Expression]] = []
        token = self._peek()
        if token is not None and token[1] == "for":
            raise _Unknown(self.text)
        while not self._at("}"):
            kind, value, _ = self._next()
            if kind == "name":
                key = value
            elif kind == "string":
                key = _decode_string(value)
            else:
                raise _Unknown(self.text)
            separator = self._next()[1]
            if separator not in ("=", ":"):
                raise _Unknown(self.text)
            members.append((key, self.expression()))
            if self._at(","):
                self.position += 1
        self._expect("}")
        return self._make(start, members=tuple(members))


def _decode_string(token: str) -> str:
    try:
        decoded = json.loads(token)
    except json.JSONDecodeError:
        raise _Unknown(token) from None
    assert isinstance(decoded, str)
    return decoded
