"""A format-independent model of Terraform configuration.

Readers (`.tf.json` configuration, plan JSON, HCL `.tf`) build these types; extraction, reference
following and policy kinds work on them alone, so a new reader touches nothing else.  Every block,
attribute and expression carries a `Where` into the document it was read from.
"""
from __future__ import annotations

from kms_hooks.records import dataclass, field
from typing import Any, Union

from kms_hooks.model import Where


@dataclass(frozen=True)
class Reference:
    """A traversal such as `aws_kms_key.data.arn` or `data.aws_iam_policy_document.d.json`,
    split at the dots (index steps such as `[0]` are kept as their own part, "[0]")."""

    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.parts).replace(".[", "[")


TemplatePart = Union[str, "Expression"]


@dataclass(frozen=True)
class Expression:
    """An attribute's value as written.

    Exactly one of the shapes is set:
    - `literal`: a string, number, bool or None with no interpolation;
    - `template`: a string with interpolations, as literal text and embedded expressions
      (`"arn:aws:kms:${var.region}:..."`); a template that is a single interpolation
      (`"${aws_kms_key.k.arn}"`) is normalized to that expression by the readers.  Literal
      parts are the text they stand for (`$${` already turned into `${`); an interpolation
      part's `source` is the interpolation as written, `${` and `}` included, so that positions
      inside a rendered template (a policy written as a JSON string) map back to the file.
      A template with directives (`%{if}`, `%{for}`) is not represented: unknown;
    - `reference`: a traversal;
    - `items`: a tuple (list) of expressions; `members`: an object of expressions;
    - `call`: a function call, its name and arguments (`jsonencode(...)`, `file(...)`);
    - none of them: an expression this model does not represent (conditionals, for
      expressions, operators): unknown.
    `source` is the text as written, for messages.
    """

    where: Where
    source: str
    literal: Any = None
    is_literal: bool = False
    template: tuple[TemplatePart, ...] | None = None
    reference: Reference | None = None
    items: tuple[Expression, ...] | None = None
    members: tuple[tuple[str, Expression], ...] | None = None
    call: tuple[str, tuple[Expression, ...]] | None = None


@dataclass(frozen=True)
class Attribute:
    name: str
    value: Expression
    where: Where  # the attribute's name, for findings about the attribute itself


@dataclass(frozen=True)
class Block:
    """`resource "aws_kms_key" "k" {...}` is Block("resource", ("aws_kms_key", "k"), ...);
    nested blocks (`statement`, `condition`, `principals`, `constraints`, `inline_policy`)
    are Blocks too, in the order written.  `dynamic` blocks are kept with type "dynamic"."""

    type: str
    labels: tuple[str, ...]
    attributes: dict[str, Attribute] = field(hash=False, compare=False)
    blocks: tuple[Block, ...]
    where: Where
    address: str = ""  # for messages: `module.app.aws_iam_role_policy.batch`

    @property
    def name(self) -> str:
        """The address, or the one Terraform would give the block: `aws_kms_key.k`,
        `data.aws_iam_policy_document.d`."""
        if self.address:
            return self.address
        if self.type == "data":
            return "data." + ".".join(self.labels)
        if self.type == "resource":
            return ".".join(self.labels)
        return ".".join((self.type,) + self.labels)

    def get(self, name: str) -> Expression | None:
        """The value of an attribute, None when it is not set."""
        attribute = self.attributes.get(name)
        return attribute.value if attribute is not None else None

    def nested(self, type_: str) -> list[Block]:
        """The nested blocks of one type, in the order written."""
        return [block for block in self.blocks if block.type == type_]


@dataclass
class Module:
    """The top-level blocks of one module: all the files of a module directory, in reading
    order, or one module instance of a plan (`directory` is then the instance's address)."""

    directory: str
    blocks: list[Block] = field(default_factory=list)

    def find(self, type_: str, *labels: str) -> Block | None:
        for block in self.blocks:
            if block.type == type_ and block.labels[: len(labels)] == labels:
                return block
        return None
