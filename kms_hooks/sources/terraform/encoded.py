"""Policies written as Terraform expressions instead of JSON text.

- `jsonencode({ Version = "2012-10-17", Statement = [...] })`: the object is the policy.  Its
  members and items keep their own positions; references and other expressions inside become
  values the resolver knows (`aws_kms_key.k.arn` is a key ARN) or unknown ones, never guesses.
  Where an expression stands for structure (a statement, a condition block), the statement is
  not read and the policy is incomplete, so that whole-policy rules do not judge what is unseen.
- `file("${path.module}/policy.json")` and `templatefile(...)`: the JSON file in the module,
  read with positions in that file (a template file's `${...}` are unknown values).

Works on the Terraform model only, whichever reader built it.
"""
from __future__ import annotations

import os

from kms_hooks.documents import TextDocument
from kms_hooks.model import Path, Span, Value, Where
from kms_hooks.normalize import Reader, read_policy
from kms_hooks.sources.terraform.model import Expression
from kms_hooks.sources.terraform.strings import Document, read_json_string
from kms_hooks.sources.terraform.resolve import Resolver

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENCODE = "jsonencode"
FILE_FUNCTIONS = ("file", "templatefile")
_MAX_DEPTH = 32
_MAX_MEMBERS = 20_000  # members and items of one jsonencode argument, through locals
# Statement elements that hold structure, not values: an expression there hides a statement.
_STRUCTURE = ("Condition",)


class _Unread:
    """A part of the policy that an expression stands for: not read."""


_UNREAD = _Unread()


def read_expression_policy(expression: Expression, resolver: Resolver, kind: str,
                           name: str) -> Document | None:
    """The policy a `jsonencode(...)`, `file(...)` or `templatefile(...)` call writes; None for
    any other expression."""
    if expression.call is None:
        return None
    function, arguments = expression.call
    if function == ENCODE and len(arguments) == 1:
        return read_encoded(arguments[0], resolver, kind, name)
    if function in FILE_FUNCTIONS and arguments:
        return read_file_policy(function, arguments[0], resolver, kind, name)
    return None


# jsonencode ----------------------------------------------------------------------------------


class _EncodedReader(Reader):
    """Reads the JSON value of an HCL object: expressions left inside are resolved."""

    def __init__(self, resolver: Resolver, moved: dict[int, Where]) -> None:
        super().__init__()
        self.resolver = resolver
        self.moved = moved

    def values(self, node: Any, where: Where) -> list[Value] | None:
        if isinstance(node, Expression):
            return self.resolver.values(node)
        return super().values(node, where)

    def nodes(self, node: Any, where: Where) -> list[tuple[Any, Where]]:
        if node is _UNREAD:
            return []
        # An object or tuple that a local holds is located where the local writes it.
        return [(node, self.moved.get(id(node), where))]


def read_encoded(argument: Expression, resolver: Resolver, kind: str, name: str) -> Document:
    """`jsonencode(argument)` read as a policy."""
    argument = resolver.follow(argument)  # `jsonencode(local.policy)`: located at the local
    moved: dict[int, Where] = {}
    value = _json_value(argument, resolver, 0, moved)
    if not isinstance(value, dict):
        return Document(unknown=f"jsonencode of {_short(argument.source)}, which is not known "
                                "here")
    statements = value.get("Statement")
    if isinstance(statements, Expression):
        return Document(unknown=f"its Statement is {_short(statements.source)}, which is not "
                                "known here")
    incomplete = _hide_unknown_structure(value)
    policy = read_policy(value, argument.where, _EncodedReader(resolver, moved), kind, name)
    return Document(policy.statements or (), policy.version, policy.problems,
                    complete=not incomplete, where=argument.where)


def _json_value(expression: Expression, resolver: Resolver, depth: int,
                moved: dict[int, Where], budget: list[int] | None = None) -> Any:
    """An expression as the JSON value jsonencode makes of it: objects, tuples and literals
    become JSON; anything else stays an Expression (a leaf for the resolver).  Objects and
    tuples reached through a local are recorded in `moved` with where the local writes them.

    Locals that nest a tuple twice at each level stand for 2**n members: past `budget` members
    in all, the rest stay expressions (unknown, or a list the resolver caps)."""
    if budget is None:
        budget = [_MAX_MEMBERS]
    followed = resolver.follow(expression) if depth < _MAX_DEPTH else expression
    if followed.is_literal:
        return followed.literal
    if followed.reference is not None:
        return expression  # a leaf: the resolver follows it, and knows it was not written here
    value: Any = followed
    size = len(followed.members if followed.members is not None else followed.items or ())
    if budget[0] < size:
        resolver.over_budget = True
        return expression
    budget[0] -= size
    if followed.members is not None and depth < _MAX_DEPTH:
        value = {key: _json_value(member, resolver, depth + 1, moved, budget)
                 for key, member in followed.members}
    elif followed.items is not None and depth < _MAX_DEPTH:
        value = [_json_value(item, resolver, depth + 1, moved, budget)
                 for item in followed.items]
    if followed is not expression and isinstance(value, (dict, list)):
        moved[id(value)] = followed.where
    return value


def _hide_unknown_structure(policy: dict[str, Any]) -> bool:
    """Replace statements whose structure an expression stands for with _UNREAD; True when
    any was."""
    statements = policy.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    hidden = False
    for index, statement in enumerate(items):
        if isinstance(statement, dict) and not _unknown_structure(statement):
            continue
        hidden = True
        if isinstance(statements, list):
            statements[index] = _UNREAD
        else:
            policy["Statement"] = _UNREAD
    return hidden


def _unknown_structure(statement: dict[str, Any]) -> bool:
    for name in _STRUCTURE:
        block = statement.get(name)
        if block is None:
            continue
        if not isinstance(block, dict):
            return True
        if any(not isinstance(tests, dict) for tests in block.values()):
            return True
    return False


def _short(text: str, most: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[: most - 3] + "..."


# file() and templatefile() -------------------------------------------------------------------


class FileDocument(TextDocument):
    """A file that a `.tf` file reads with file() or templatefile(): its whole text is the
    string, so each character maps to itself."""

    def span(self, at: Path, key: bool = False) -> Span:
        end = self.line_map.line_col(len(self.text))
        return Span(1, 1, end[0], end[1])

    def pointer(self, at: Path) -> str:
        return ""

    def string_offsets(self, at: Path) -> list[int] | None:
        return list(range(len(self.text) + 1)) if at == () else None


def file_path(argument: Expression, resolver: Resolver) -> str | None:
    """The path a file() argument names, when it is `path.module` and literal text."""
    parts = argument.template if argument.template is not None else (
        (argument,) if argument.reference is not None else
        (argument.literal,) if argument.is_literal and isinstance(argument.literal, str)
        else None)
    if not parts:
        return None
    written: list[str] = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            written.append(part)
        elif index == 0 and part.reference is not None and part.reference.parts == (
                "path", "module"):
            written.append(resolver.module.directory or ".")
        else:
            return None
    path = "".join(written)
    if not written or isinstance(parts[0], str):
        return None  # relative to where terraform runs, which is not known here
    return os.path.normpath(path)


def read_file_policy(function: str, argument: Expression, resolver: Resolver, kind: str,
                     name: str) -> Document:
    path = file_path(argument, resolver)
    if path is None:
        return Document(unknown=f"{function}({_short(argument.source)}) names a file that is "
                                "not known here")
    from kms_hooks.files import Unreadable, read_regular, root_of

    # The module's root bounds what it may read: `${path.module}/../../x` may not climb out
    # of the repository, nor a link lead out of it, and a FIFO or /dev/zero is not read.
    root = root_of(os.path.join(resolver.module.directory or ".", "main.tf"))
    try:
        text = read_regular(path, root).decode("utf-8")
    except Unreadable as error:
        return Document(unknown=f"{function} reads {path}, which is not read: {error.reason}")
    except UnicodeDecodeError:
        return Document(unknown=f"{function} reads {path}, which is not UTF-8 text")
    document = FileDocument(path, text)
    where = Where(document, ())
    if function == "templatefile":
        from kms_hooks.sources.terraform.templates import parse_template

        expression = parse_template(text, where)
    else:
        expression = Expression(where, text, literal=text, is_literal=True)
    return read_json_string(expression, resolver, kind, name)
