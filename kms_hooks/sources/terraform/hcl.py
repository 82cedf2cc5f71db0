"""Terraform HCL (`.tf` files) read into the Terraform model.

tree-sitter parses the file (imported on the first `.tf` file read, so runs that check only JSON
never load it); this module turns the syntax tree into Blocks, Attributes and Expressions, and an
`HclDocument` that says where each of them is.  Paths name elements the way Terraform addresses
them (`resource.aws_kms_key.k.policy`, `...statement[0].actions[1]`), so pointers read well.

tree-sitter reports syntax errors as nodes instead of failing: the first one is reported, and
the top-level blocks that hold no error are still read.
"""
from __future__ import annotations

import bisect
import json
import re
from kms_hooks.records import dataclass, field
from typing import TYPE_CHECKING, Union

from kms_hooks.documents import TextDocument
from kms_hooks.model import Path, Span, Where
from kms_hooks.sources.base import ParseError, SourceFile
from kms_hooks.sources.terraform.model import Attribute, Block, Expression, Reference, TemplatePart
from kms_hooks.suppress import MARK, Suppression

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

_parser: Parser | None = None


def _get_parser() -> Parser:
    global _parser
    if _parser is None:
        import tree_sitter_hcl
        from tree_sitter import Language, Parser

        _parser = Parser(Language(tree_sitter_hcl.language()))
    return _parser


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# Path parts that are not keys: a function call's argument, a template's interpolation.
_SYNTAX_PART = re.compile(r"(?:[A-Za-z_][\w:-]*\(\d*\)|\$\{\d+\})\Z")


def call_argument(name: str, index: int) -> str:
    """The path part of a call's argument: `jsonencode()` for the first, `f(1)` for others."""
    return f"{name}()" if index == 0 else f"{name}({index})"


def interpolation(index: int) -> str:
    return f"${{{index}}}"


def hcl_pointer(at: Path) -> str:
    """`resource.aws_kms_key.k.policy`, `data.aws_iam_policy_document.d.statement[0].actions[1]`,
    `resource.aws_iam_policy.p.policy.jsonencode().Statement[0].Condition.StringEquals["aws:x"]`."""
    out: list[str] = []
    for part in at:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part) or _SYNTAX_PART.match(part):
            out.append(("." if out else "") + part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


# Byte ranges of an element: its value (or whole block), and its key (the attribute or member
# name, the block's type and labels), -1 when it has none.
_Range = tuple[int, int, int, int]


class HclDocument(TextDocument):
    """A `.tf` file.  Spans come from the syntax tree's byte offsets, turned into characters."""

    def __init__(self, path: str, text: str, data: bytes) -> None:
        super().__init__(path, text)
        self.data = data  # the UTF-8 bytes tree-sitter parsed: its offsets are into these
        self.ranges: dict[Path, _Range] = {}
        self.strings: dict[Path, Node] = {}  # string and template expressions, by path
        self._multibyte: tuple[list[int], list[int]] | None = None

    def char_offset(self, byte: int) -> int:
        """The character offset in `text` of a byte offset in `data`."""
        if len(self.data) == len(self.text):
            return byte
        if self._multibyte is None:
            # Where each multi-byte character ends, and how many extra bytes lie before there.
            ends: list[int] = []
            extra: list[int] = []
            position = total = 0
            for char in self.text:
                size = len(char.encode("utf-8")) if char >= "\x80" else 1
                position += size
                if size > 1:
                    total += size - 1
                    ends.append(position)
                    extra.append(total)
            self._multibyte = ends, extra
        ends, extra = self._multibyte
        found = bisect.bisect_right(ends, byte)
        return byte - (extra[found - 1] if found else 0)

    def _range(self, at: Path) -> _Range | None:
        # A path that does not exist (an element that is absent) falls back to its parent.
        while at not in self.ranges and at:
            at = at[:-1]
        return self.ranges.get(at)

    def span(self, at: Path, key: bool = False) -> Span:
        found = self._range(at)
        if found is None:
            return Span(1, 1, 1, 1)
        start, end, key_start, key_end = found
        if key and key_start >= 0:
            start, end = key_start, key_end
        return self.line_map.span(self.char_offset(start), self.char_offset(end))

    def pointer(self, at: Path) -> str:
        return hcl_pointer(at)

    def string_offsets(self, at: Path) -> list[int] | None:
        """For the string or template expression at `at`: the character offset in the file of
        each character of its `source` (the template as Terraform reads it: escapes decoded,
        the indentation of a `<<-` heredoc removed, `$${` and interpolations as written), and
        one more for its end.  This maps positions inside a policy held in the string (a
        heredoc holding JSON) back to the file."""
        node = self.strings.get(at)
        if node is None:
            return None
        atoms, end = _template_atoms(node, self.data)
        offsets: list[int] = []
        for atom in atoms:
            if isinstance(atom, tuple):
                offsets.append(self.char_offset(atom[2]))
            else:
                first = self.char_offset(atom.start_byte)
                offsets.extend(range(first, self.char_offset(atom.end_byte)))
        offsets.append(self.char_offset(end))
        return offsets


@dataclass
class HclFile:
    """One `.tf` file read: its document, its valid top-level blocks, and its first syntax error
    (a message and where), if any."""

    document: HclDocument
    blocks: list[Block]
    error: tuple[str, Span] | None
    suppressions: list[Suppression] = field(default_factory=list)


def read_file(file: SourceFile) -> list[Block]:
    """The valid top-level blocks of a `.tf` file; its first syntax error, if any, is recorded
    on the file (reported as KMS001 beside the findings of the blocks that could be read)."""
    try:
        read = read_hcl(file.path, file.text)
    except RecursionError:
        raise ParseError("invalid HCL: nested too deeply to read") from None
    if read.error is not None:
        message, span = read.error
        file.errors.append(ParseError(message, span))
    file.suppressions.extend(read.suppressions)
    return read.blocks


# tree-sitter-hcl reads an exponent only after a fraction (`1.0e3`), where HCL allows `1e3`:
# the parser is given `103` in its place, the same length, and the value is read from the text.
_BARE_EXPONENT = re.compile(rb"(?<![\w.])(\d+)([eE][+-]?)(?=\d)")


def _parseable(data: bytes) -> bytes:
    if b"e" not in data and b"E" not in data:
        return data
    return _BARE_EXPONENT.sub(lambda m: m.group(1) + b"0" * len(m.group(2)), data)


def read_hcl(path: str, text: str) -> HclFile:
    data = text.encode("utf-8", "surrogatepass")
    tree = _get_parser().parse(_parseable(data))
    document = HclDocument(path, text, data)
    builder = _Builder(document, data)
    root = tree.root_node
    blocks: list[Block] = []
    for child in root.children:
        if child.type == "body":
            blocks.extend(builder.top_level(child))
    error = _first_error(root, document) if root.has_error else None
    found: list[Suppression] = []
    if MARK in text:
        from kms_hooks.sources.terraform.hcl_comments import suppressions

        found = suppressions(document, root)
    return HclFile(document, blocks, error, found)


def _first_error(root: Node, document: HclDocument) -> tuple[str, Span] | None:
    """The first ERROR or MISSING node, in document order, as a message and a span.  tree-sitter
    often wraps what it skipped in an ERROR node that starts where it last could resume; an
    error nested inside is closer to the token it could not place, so that one is preferred."""
    found = _first_error_node(root)
    if found is None:
        return None
    while found.type == "ERROR":
        inner = next((n for n in (_first_error_node(c) for c in found.children)
                      if n is not None and n.type == "ERROR"), None)
        if inner is None:
            break
        found = inner
    return _error_message(found, document)


def _first_error_node(root: Node) -> Node | None:
    cursor = root.walk()
    while True:
        node = cursor.node
        assert node is not None
        if node.is_missing or node.type == "ERROR":
            return node
        # Descend only into subtrees that hold an error; else move on to the next sibling.
        if node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == root:
                return None


def _error_message(node: Node, document: HclDocument) -> tuple[str, Span]:
    line, column = document.line_map.line_col(document.char_offset(node.start_byte))
    if node.is_missing:
        return f"invalid HCL: missing {node.type!r}", Span(line, column, line, column + 1)
    # The text the parser could not place, up to the end of its line: where to look.
    text = document.data[node.start_byte:node.end_byte].decode("utf-8", "replace")
    first_line = text.split("\n", 1)[0].rstrip()
    if not first_line.strip():
        return "invalid HCL", Span(line, column, line, column + 1)
    from kms_hooks.escape import token

    # One short token, escaped: where to look, never a line of whatever the file holds.
    return (f"invalid HCL: unexpected '{token(first_line)}'",
            Span(line, column, line, column + len(text.split("\n", 1)[0].rstrip())))


def _children(node: Node) -> list[Node]:
    return [child for child in node.children if child.type != "comment"]


class _Unknown(Exception):
    """A template this model does not represent (directives `%{...}`)."""


class _Builder:
    def __init__(self, document: HclDocument, data: bytes) -> None:
        self.document = document
        self.data = data

    def text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def where(self, at: Path, key: bool = False) -> Where:
        return Where(self.document, at, key)

    def register(self, at: Path, node: Node, key: Node | None = None) -> None:
        self.document.ranges[at] = (node.start_byte, node.end_byte,
                                    key.start_byte if key is not None else -1,
                                    key.end_byte if key is not None else -1)

    # Blocks and bodies

    def top_level(self, body: Node) -> list[Block]:
        blocks: list[Block] = []
        for child in body.children:
            # A block holding a syntax error cannot be trusted; the other blocks are still read.
            if child.type != "block" or child.has_error:
                continue
            kind, labels, header_end = self.header(child)
            at: Path = (kind, *labels)
            if at in self.document.ranges:  # a second `locals {}`, `terraform {}`, ...
                at = at + (sum(1 for b in blocks if (b.type, *b.labels) == at),)
            blocks.append(self.block(child, kind, labels, header_end, at, _address(kind, labels)))
        return blocks

    def header(self, node: Node) -> tuple[str, tuple[str, ...], int]:
        kind = ""
        labels: list[str] = []
        end = node.start_byte
        for child in node.children:
            if child.type == "identifier" and not kind:
                kind = self.text(child)
            elif child.type == "identifier":
                labels.append(self.text(child))
            elif child.type == "string_lit":
                literal = self.literal(child)
                labels.append(literal if isinstance(literal, str) else self.text(child))
            else:
                if child.type == "block_start":
                    break
                continue
            end = child.end_byte
        return kind, tuple(labels), end

    def block(self, node: Node, kind: str, labels: tuple[str, ...], header_end: int, at: Path,
              address: str = "") -> Block:
        attributes: dict[str, Attribute] = {}
        nested: list[Block] = []
        counts: dict[tuple[str, ...], int] = {}
        for body in node.children:
            if body.type != "body":
                continue
            for child in body.children:
                if child.type == "attribute":
                    parts = _children(child)
                    name = self.text(parts[0])
                    if name in attributes or len(parts) < 3:
                        continue  # Terraform rejects a repeated argument; the first is read
                    child_at = at + (name,)
                    value = self.expression(parts[2], child_at, parts[0])
                    attributes[name] = Attribute(name, value, self.where(child_at, True))
                elif child.type == "block":
                    child_kind, child_labels, child_header_end = self.header(child)
                    signature = (child_kind, *child_labels)
                    index = counts.get(signature, 0)
                    counts[signature] = index + 1
                    nested.append(self.block(child, child_kind, child_labels, child_header_end,
                                             at + signature + (index,)))
        self.document.ranges[at] = (node.start_byte, node.end_byte, node.start_byte, header_end)
        return Block(kind, labels, attributes, tuple(nested), self.where(at), address)

    # Expressions

    def expression(self, node: Node, at: Path, key: Node | None = None) -> Expression:
        built = self.build(node, at)
        self.register(at, node, key)
        return built

    def unknown(self, node: Node, at: Path) -> Expression:
        return Expression(self.where(at), self.text(node))

    def build(self, node: Node, at: Path) -> Expression:
        kind = node.type
        if kind == "expression":
            parts = _children(node)
            if len(parts) == 1:
                return self.build(parts[0], at)
            if parts and parts[0].type == "(" and len(parts) == 3:
                return self.build(parts[1], at)
            if parts and parts[0].type == "variable_expr":
                return self.traversal(node, parts, at)
            return self.unknown(node, at)
        if kind in ("literal_value", "template_expr", "collection_value"):
            parts = _children(node)
            return self.build(parts[0], at) if len(parts) == 1 else self.unknown(node, at)
        if kind == "variable_expr":
            return self.traversal(node, [node], at)
        if kind in ("string_lit", "quoted_template", "heredoc_template"):
            return self.template(node, at)
        if kind == "numeric_lit":
            source = self.text(node)
            try:
                number: float | int = int(source)
            except ValueError:
                number = float(source)
            return Expression(self.where(at), source, literal=number, is_literal=True)
        if kind == "bool_lit":
            source = self.text(node)
            return Expression(self.where(at), source, literal=source == "true", is_literal=True)
        if kind == "null_lit":
            return Expression(self.where(at), "null", literal=None, is_literal=True)
        if kind == "tuple":
            items = [child for child in _children(node) if child.type == "expression"]
            return Expression(self.where(at), self.text(node), items=tuple(
                self.expression(item, at + (index,)) for index, item in enumerate(items)))
        if kind == "object":
            return self.object(node, at)
        if kind == "function_call":
            return self.call(node, at)
        # Conditionals, for expressions, operators: not represented, so unknown.
        return self.unknown(node, at)

    def traversal(self, node: Node, parts: list[Node], at: Path) -> Expression:
        steps: list[str] = []
        for part in parts:
            if not self.step(part, steps):
                return self.unknown(node, at)
        return Expression(self.where(at), self.text(node), reference=Reference(tuple(steps)))

    def step(self, node: Node, steps: list[str]) -> bool:
        kind = node.type
        if kind in ("variable_expr", "get_attr"):
            names = [child for child in node.children if child.type == "identifier"]
            if len(names) != 1:
                return False
            steps.append(self.text(names[0]))
            return True
        if kind == "index":
            inner = _children(node)
            if len(inner) != 1:
                return False
            index = inner[0]
            if index.type == "legacy_index":
                steps.append("[" + self.text(index).lstrip(".") + "]")
                return True
            expressions = [child for child in index.children if child.type == "expression"]
            if len(expressions) != 1:
                return False
            value = self.literal(expressions[0])
            if isinstance(value, (int, str)):
                steps.append(f"[{json.dumps(value)}]")
            else:
                steps.append(f"[{self.text(expressions[0])}]")
            return True
        if kind == "splat":
            steps.append("[*]")
            for splat in _children(node):
                for child in _children(splat):
                    if child.type not in ("[*]", ".*") and not self.step(child, steps):
                        return False
            return True
        return False

    def object(self, node: Node, at: Path) -> Expression:
        members: list[tuple[str, Expression]] = []
        for element in _children(node):
            if element.type != "object_elem":
                continue
            parts = [child for child in element.children if child.type == "expression"]
            if len(parts) != 2:
                continue
            key_node, value_node = parts
            key = self.object_key(key_node)
            members.append((key, self.expression(value_node, at + (key,), key_node)))
        return Expression(self.where(at), self.text(node), members=tuple(members))

    def object_key(self, node: Node) -> str:
        """A bare name or a literal string is the key itself; another expression (`(var.k)`)
        is evaluated by Terraform: its source text stands in, and matches no policy element."""
        parts = _children(node)
        if len(parts) == 1 and parts[0].type == "variable_expr":
            return self.text(parts[0])
        value = self.literal(node)
        return value if isinstance(value, str) else self.text(node)

    def call(self, node: Node, at: Path) -> Expression:
        parts = _children(node)
        name = self.text(parts[0])
        arguments: list[Expression] = []
        for child in parts:
            if child.type != "function_arguments":
                continue
            if any(grand.type == "ellipsis" for grand in child.children):
                return self.unknown(node, at)  # `f(list...)`: the arguments are not written
            expressions = [grand for grand in child.children if grand.type == "expression"]
            arguments = [self.expression(argument, at + (call_argument(name, index),))
                         for index, argument in enumerate(expressions)]
        return Expression(self.where(at), self.text(node), call=(name, tuple(arguments)))

    # Strings and templates

    def literal(self, node: Node) -> str | int | float | None:
        """The value of a literal string or number (a label, a key, an index), else None."""
        while node.type in ("expression", "literal_value", "template_expr"):
            parts = _children(node)
            if len(parts) != 1:
                return None
            node = parts[0]
        if node.type == "numeric_lit":
            value = self.build(node, ())
            return value.literal if isinstance(value.literal, (int, float)) else None
        if node.type not in ("string_lit", "quoted_template"):
            return None
        try:
            pieces, _ = _template_pieces(node, self.data)
        except _Unknown:
            return None
        if not all(isinstance(piece, str) for piece in pieces):
            return None
        return "".join(piece for piece in pieces if isinstance(piece, str))

    def template(self, node: Node, at: Path) -> Expression:
        inner = _children(node)
        if node.type == "quoted_template" or node.type == "string_lit":
            single = [child for child in inner if child.type not in
                      ("quoted_template_start", "quoted_template_end")]
            if len(single) == 1 and single[0].type == "template_interpolation" \
                    and _plain_interpolation(single[0]) and _adjacent(node, single[0]):
                # "${aws_kms_key.k.arn}" is the expression itself.
                expression = [child for child in single[0].children if child.type == "expression"]
                if len(expression) == 1:
                    return _with_source(self.build(expression[0], at), self.text(single[0]))
        try:
            pieces, source = _template_pieces(node, self.data)
        except _Unknown:
            return self.unknown(node, at)
        parts: list[TemplatePart] = []
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            expression = [child for child in piece.children if child.type == "expression"]
            if len(expression) != 1:
                return self.unknown(node, at)
            built = self.expression(expression[0], at + (interpolation(len(parts)),))
            # An interpolation's source is as written, `${` and `}` included.
            parts.append(_with_source(built, self.text(piece)))
        if at:
            self.document.strings[at] = node
        if all(isinstance(part, str) for part in parts):
            literal = "".join(part for part in parts if isinstance(part, str))
            return Expression(self.where(at), source, literal=literal, is_literal=True)
        return Expression(self.where(at), source, template=tuple(parts))


def _with_source(expression: Expression, source: str) -> Expression:
    return Expression(expression.where, source, expression.literal, expression.is_literal,
                      expression.template, expression.reference, expression.items,
                      expression.members, expression.call)


def _address(kind: str, labels: tuple[str, ...]) -> str:
    if kind == "resource":
        return ".".join(labels)
    if kind in ("data", "module"):
        return ".".join((kind, *labels))
    return ""


def _plain_interpolation(node: Node) -> bool:
    return not any(child.type == "strip_marker" for child in node.children)


def _adjacent(template: Node, interpolation_node: Node) -> bool:
    """True when nothing but the quotes surrounds the interpolation (no spaces either)."""
    return (interpolation_node.start_byte == template.start_byte + 1
            and interpolation_node.end_byte == template.end_byte - 1)


_QUOTED_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}

# A character of a string: (what it adds to the value, what it adds to the template text,
# start byte, end byte).  `$${` adds "$" then "${" to the value, "$$" then "{" to the text.
_Char = tuple[str, str, int, int]
_Atom = Union[_Char, "Node"]  # or an interpolation, `${...}`


def _template_pieces(node: Node, data: bytes) -> tuple[list[str | Node], str]:
    """A string or template's value as literal texts and interpolations, and its template text
    (escapes decoded, `$${` and interpolations as written).  The common case (no escapes, no
    strip markers, no `<<-`) takes the text as it is; the rest goes character by character."""
    children = node.children
    heredoc = node.type == "heredoc_template"
    if heredoc and any(child.type == "<<-" for child in children[0].children):
        return _collapse(_template_atoms(node, data)[0], data)
    start, end = _template_region(node, data)
    position = start
    pieces: list[str | Node] = []
    for child in children:
        if child.type == "template_directive":
            raise _Unknown()
        if child.type != "template_interpolation":
            continue
        if not _plain_interpolation(child):
            return _collapse(_template_atoms(node, data)[0], data)
        pieces.append(data[position:child.start_byte].decode("utf-8", "replace"))
        pieces.append(child)
        position = child.end_byte
    pieces.append(data[position:end].decode("utf-8", "replace"))
    text = data[start:end].decode("utf-8", "replace")
    if not heredoc and "\\" in text:
        return _collapse(_template_atoms(node, data)[0], data)
    if "$${" in text or "%%{" in text:
        pieces = [piece.replace("$${", "${").replace("%%{", "%{") if isinstance(piece, str)
                  else piece for piece in pieces]
    return [piece for piece in pieces if not isinstance(piece, str) or piece], text


def _collapse(atoms: list[_Atom], data: bytes) -> tuple[list[str | Node], str]:
    pieces: list[str | Node] = []
    value: list[str] = []
    text: list[str] = []
    for atom in atoms:
        if isinstance(atom, tuple):
            value.append(atom[0])
            text.append(atom[1])
            continue
        if value:
            pieces.append("".join(value))
            value = []
        pieces.append(atom)
        text.append(data[atom.start_byte:atom.end_byte].decode("utf-8", "replace"))
    if value:
        pieces.append("".join(value))
    return [piece for piece in pieces if not isinstance(piece, str) or piece], "".join(text)


def _template_region(node: Node, data: bytes) -> tuple[int, int]:
    """The byte range of a string's content: between the quotes, or a heredoc's lines."""
    children = node.children
    if node.type == "heredoc_template":
        identifiers = [child for child in children if child.type == "heredoc_identifier"]
        opened = identifiers[0].end_byte
        newline = data.find(b"\n", opened)
        start = newline + 1 if newline >= 0 else opened
        if len(identifiers) < 2:
            return start, max(start, node.end_byte)
        return start, max(start, data.rfind(b"\n", start, identifiers[-1].start_byte) + 1)
    starts = [child for child in children if child.type == "quoted_template_start"]
    ends = [child for child in children if child.type == "quoted_template_end"]
    return (starts[0].end_byte if starts else node.start_byte,
            ends[-1].start_byte if ends else node.end_byte)


def _template_atoms(node: Node, data: bytes) -> tuple[list[_Atom], int]:
    """The characters of a string or template, each with the bytes it was written in (escapes
    decoded, a flush heredoc's indentation removed, strip markers applied), and its
    interpolations; and the byte offset of its end.  Raises _Unknown for template directives."""
    children = node.children
    heredoc = node.type == "heredoc_template"
    start, end = _template_region(node, data)
    atoms: list[_Atom] = []
    position = start
    for child in children:
        if child.type == "template_directive":
            raise _Unknown()
        if child.type != "template_interpolation":
            continue
        _literal_atoms(data, position, child.start_byte, heredoc, atoms)
        expression_start = _expression_start(child)
        markers = [grand.start_byte for grand in child.children if grand.type == "strip_marker"]
        if any(marker < expression_start for marker in markers):  # `${~`: trim before
            while atoms and isinstance(atoms[-1], tuple) and atoms[-1][1].isspace():
                atoms.pop()
        atoms.append(child)
        position = child.end_byte
        if any(marker > expression_start for marker in markers):  # `~}`: trim after
            while position < end and data[position:position + 1].isspace():
                position += 1
    _literal_atoms(data, position, end, heredoc, atoms)
    if heredoc and any(child.type == "<<-" for child in children[0].children):
        atoms = _flush(atoms)
    return atoms, end


def _expression_start(node: Node) -> int:
    for child in node.children:
        if child.type == "expression":
            return child.start_byte
    return node.end_byte


def _literal_atoms(data: bytes, start: int, end: int, heredoc: bool, atoms: list[_Atom]) -> None:
    if start >= end:
        return
    text = data[start:end].decode("utf-8", "replace")
    ascii_only = len(text) == end - start
    position = start
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        size = 1 if ascii_only or char < "\x80" else len(char.encode("utf-8"))
        # `$${` and `%%{` are a literal `${` and `%{`, in quoted strings and heredocs alike.
        if char in "$%" and text.startswith(char * 2 + "{", index):
            atoms.append(("", char, position, position + 1))
            atoms.append((char, char, position + 1, position + 2))
            index += 2
            position += 2
            continue
        if char == "\\" and not heredoc and index + 1 < length:
            escape = text[index + 1]
            decoded: str | None = _QUOTED_ESCAPES.get(escape)
            width = 2
            digits = 4 if escape == "u" else 8 if escape == "U" else 0
            code = text[index + 2:index + 2 + digits]
            if digits and len(code) == digits and all(c in "0123456789abcdefABCDEF" for c in code) \
                    and int(code, 16) <= 0x10FFFF:
                decoded, width = chr(int(code, 16)), 2 + digits
            if decoded is not None:
                atoms.append((decoded, decoded, position, position + width))
                index += width
                position += width
                continue
        atoms.append((char, char, position, position + size))
        index += 1
        position += size


def _flush(atoms: list[_Atom]) -> list[_Atom]:
    """A `<<-` heredoc: remove the indentation of its least-indented line from every line, as
    Terraform does (whitespace-only lines do not count; a line starting with `${` counts 0)."""
    lines: list[list[_Atom]] = [[]]
    for atom in atoms:
        lines[-1].append(atom)
        if isinstance(atom, tuple) and atom[1] == "\n":
            lines.append([])
    if not lines[-1]:
        lines.pop()
    least: int | None = None
    adjust: list[bool] = []
    for line in lines:
        spaces = 0
        for atom in line:
            if not isinstance(atom, tuple) or atom[1] == "\n" or not atom[1].isspace():
                break
            spaces += 1
        blank = spaces == len(line) - 1 and isinstance(line[-1], tuple) and line[-1][1] == "\n"
        adjust.append(not blank)
        if not blank:
            least = spaces if least is None else min(least, spaces)
    if not least:
        return atoms
    flushed: list[_Atom] = []
    for line, strip in zip(lines, adjust):
        flushed.extend(line[least:] if strip else line)
    return flushed
