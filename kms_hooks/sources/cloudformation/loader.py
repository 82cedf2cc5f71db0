"""CloudFormation YAML: composed by libyaml, built into plain data here.

libyaml's composer (the C loader when present) gives a node tree with positions on every node.
The data is built from those nodes by the small constructor below, not by PyYAML's: it only
makes dicts, lists, strings, numbers, booleans and None (safe by construction), reads the
short-form tags (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`) as their long forms, keeps scalars that
CloudFormation reads as text (`Version: 2012-10-17`, `012345670123`) as text, and records repeated
keys.  The nodes are kept, so positions cost nothing until a finding asks for one.
"""
from __future__ import annotations

import re
from typing import Any

from kms_hooks.model import Span
from kms_hooks.sources.base import ParseError

# Short-form tags whose long form is not `Fn::` + the tag name.
_SPECIAL_TAGS = {"!Ref": "Ref", "!Condition": "Condition"}
FUNCTION_TAGS = frozenset({
    "!And", "!Base64", "!Cidr", "!Equals", "!FindInMap", "!GetAtt", "!GetAZs", "!If",
    "!ImportValue", "!Join", "!Length", "!Not", "!Or", "!Select", "!Split", "!Sub",
    "!ToJsonString", "!Transform",
})

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_BOOLEANS = {word: value for value, words in ((True, "yes true on"), (False, "no false off"))
             for lower in words.split() for word in (lower, lower.title(), lower.upper())}
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_MAY_NOT_BE_TEXT = frozenset("0123456789-+.~yYnNtTfFoO")
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?")


def long_form(tag: str) -> str | None:
    """The key a short-form tag stands for (`!Sub` -> `Fn::Sub`), None for other tags."""
    if tag in _SPECIAL_TAGS:
        return _SPECIAL_TAGS[tag]
    if tag in FUNCTION_TAGS:
        return "Fn::" + tag[1:]
    return None


class ShortForm(dict[str, Any]):
    """`{"Fn::Sub": ...}` read from `!Sub ...`: remembers the tag, to show values as written."""

    __slots__ = ("tag",)

    def __init__(self, tag: str, key: str, value: Any) -> None:
        super().__init__({key: value})
        self.tag = tag


def load(text: str) -> tuple[Any, Any, dict[int, list[str]]]:
    """The data, the root node, and the mappings that repeat a key (by id, with the keys)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=_composer())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = Span(1, 1, 1, 1) if mark is None else _mark_span(text, mark)
        problem = error.problem or error.context or "unreadable"
        if problem.startswith("but ") and error.context:
            problem = f"{error.context}, {problem}"  # "expected ..., but found ..."
        raise ParseError(f"invalid YAML: {problem}", span) from None
    except yaml.YAMLError as error:
        raise ParseError(f"invalid YAML: {error}") from None
    if root is None:
        raise ParseError("empty file: not a YAML document")
    builder = _Builder(text)
    try:
        data = builder.build(root)
    except RecursionError:
        raise ParseError("invalid YAML: nested too deeply to read") from None
    return data, root, builder.duplicates


_PLAIN = "?"  # the tag the composer gives plain scalars; the builder resolves them
_loader: Any = None


def _composer() -> Any:
    """libyaml's composer, without PyYAML's resolver: calling it for every scalar costs more
    than resolving the few plain scalars that are not text in the builder."""
    global _loader
    if _loader is None:
        import yaml
        from yaml.nodes import ScalarNode, SequenceNode

        try:
            from yaml._yaml import CParser
        except ImportError:
            _loader = yaml.SafeLoader  # no libyaml: the pure Python loader, tags resolved
            return _loader

        class Composer(CParser):
            def descend_resolver(self, parent: Any, index: Any) -> None:
                pass

            def ascend_resolver(self) -> None:
                pass

            def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
                if kind is ScalarNode:
                    return _PLAIN if implicit[0] else _STR
                return _SEQ if kind is SequenceNode else _MAP

        _loader = Composer
    return _loader


_BUILDING = object()


class _Builder:
    def __init__(self, text: str) -> None:
        from yaml import MappingNode, ScalarNode, SequenceNode

        self._text = text
        self.scalar, self.sequence, self.mapping = ScalarNode, SequenceNode, MappingNode
        self.duplicates: dict[int, list[str]] = {}
        self._built: dict[int, Any] = {}  # aliases share their anchor's node

    def build(self, node: Any) -> Any:
        cls = node.__class__
        tag = node.tag
        if cls is self.scalar:
            try:
                if tag == _STR:
                    value = node.value
                elif tag == _PLAIN:
                    value = _plain(node.value)
                else:
                    value = _scalar(tag, node.value)
            except ValueError:  # an integer of thousands of digits, which int() refuses
                raise ParseError("invalid YAML: a number too long to read", self._span(node)) from None
        else:
            built = self._built.get(id(node))
            if built is _BUILDING:
                raise ParseError("invalid YAML: an alias refers to a node that contains it",
                                 self._span(node))
            if built is not None:
                return built
            self._built[id(node)] = _BUILDING
            if cls is self.sequence:
                value = [self.build(item) for item in node.value]
            else:
                value = self._mapping(node)
            # An alias of `&k !Join [...]` is the function too, not its argument.
            value = self._built[id(node)] = self._tagged(tag, value)
            return value
        return self._tagged(tag, value)

    @staticmethod
    def _tagged(tag: str, value: Any) -> Any:
        if tag[0] == "!":
            key = long_form(tag)
            if key is not None:
                if tag == "!GetAtt" and isinstance(value, str):
                    logical_id, dot, attribute = value.partition(".")
                    value = [logical_id, attribute] if dot else value
                return ShortForm(tag, key, value)
        return value

    def _span(self, node: Any) -> Span:
        return _mark_span(self._text, node.start_mark)

    def _mapping(self, node: Any) -> dict[str, Any]:
        built: dict[str, Any] = {}
        repeated: list[str] | None = None
        for key_node, value_node in node.value:
            if key_node.__class__ is not self.scalar:
                raise ParseError("invalid YAML: a mapping key must be a scalar",
                                 self._span(key_node))
            key = key_node.value
            if key in built:
                repeated = repeated or []
                if key not in repeated:
                    repeated.append(key)
            built[key] = self.build(value_node)
        if repeated:
            self.duplicates[id(built)] = repeated
        return built


def _plain(text: str) -> Any:
    """A plain scalar as YAML 1.1 resolves it (null, booleans, decimal numbers), else text."""
    if not text:
        return None
    if text[0] not in _MAY_NOT_BE_TEXT:
        return text
    if text in _BOOLEANS:
        return _BOOLEANS[text]
    if text in _NULLS:
        return None
    if _DECIMAL.fullmatch(text):
        return int(text.replace("_", ""))
    if _PLAIN_FLOAT.fullmatch(text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


def _scalar(tag: str, text: str) -> Any:
    """Numbers, booleans and null as YAML 1.1 reads them; everything else as written."""
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() in ("true", "yes", "on")
    if tag == _INT and _DECIMAL.fullmatch(text):
        return int(text.replace("_", ""))
    if tag == _FLOAT and _PLAIN_FLOAT.fullmatch(text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text  # timestamps, octal-looking account ids, local tags' scalars: as written


def _mark_span(text: str, mark: Any) -> Span:
    """Where a YAML mark is, with lines counted as git counts them (at `\n` only: YAML also
    breaks lines at `\r`, NEL, LS and PS, which would move every later line)."""
    from kms_hooks.locate.yamlpos import mark_position

    line, column = mark_position(text, mark)
    return Span(line, column, line, column + 1)
