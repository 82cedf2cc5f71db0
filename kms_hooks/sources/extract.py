"""Policies in a team's own JSON or YAML formats, where the configuration's `extract` entries say.

Each entry names files (a glob), a JMESPath expression that selects policy documents in them, and
the kind of policy they are.  The expression returns values, so each value is found again in the
parsed file by identity to know its path, and from the path its line and column.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterator, Sequence

from kms_hooks.config import Extract, glob_matches
from kms_hooks.documents import EmbeddedJsonDocument, JsonDocument, TextDocument, json_pointer
from kms_hooks.model import KEY, Document, Path, Policy, Span, Where
from kms_hooks.normalize import Reader, read_fragment, read_policy
from kms_hooks.sources.base import ParseError, SourceFile, parse_json


class ExtractSource:
    name = "extract"

    def __init__(self, entries: Sequence[Extract], root: str) -> None:
        self.entries = tuple(entries)
        self.root = root

    def _entries_for(self, file: SourceFile) -> list[Extract]:
        key = f"extract-entries-{id(self)}"
        if key not in file.cache:
            file.cache[key] = [e for e in self.entries if glob_matches(e.files, file.path,
                                                                       self.root)]
        found: list[Extract] = file.cache[key]
        return found

    def sniff(self, file: SourceFile) -> bool:
        return bool(self._entries_for(file))

    def read(self, file: SourceFile) -> list[Policy] | None:
        """The policies the entries find; None when they find none, so that other sources may
        still read the file (a raw policy among the files a broad glob names)."""
        document, data, reader = _parse(file)
        paths = _value_paths(data)
        policies: list[Policy] = []
        for entry in self._entries_for(file):
            for node in _flatten(entry.expression.search(data)):
                at = paths.get(id(node))
                if at is None:
                    continue  # a value the expression computed, not one written in the file
                policies.extend(_policy(document, node, at, reader, entry))
        return policies or None


def _parse(file: SourceFile) -> tuple[Document, Any, Reader]:
    text = file.text
    tags = file.extension_tags
    if "json" in tags or ("yaml" not in tags and text.lstrip()[:1] in ("{", "[")):
        data, duplicates = file.json()
        return JsonDocument(file.path, text, data), data, Reader(duplicates)
    document = YamlDocument(file.path, text)
    return document, document.data, Reader(document.duplicates)


def _flatten(found: Any) -> Iterator[Any]:
    """Projections return lists of results (and lists of lists); each leaf is one policy."""
    if isinstance(found, list):
        for item in found:
            yield from _flatten(item)
    elif found is not None:
        yield found


def _policy(document: Document, node: Any, at: Path, reader: Reader,
            entry: Extract) -> Iterator[Policy]:
    where = Where(document, at)
    name = document.pointer(at) or "the document"
    note = f"found by extract path {entry.path!r}: checked as {entry.kind} policy"
    if isinstance(node, str):
        try:
            inner, duplicates = parse_json(node)
        except ParseError:
            return  # a string that is not a JSON policy
        embedded = EmbeddedJsonDocument(document, at, node, inner)
        yield from _policy(embedded, inner, (), Reader(duplicates), entry)
        return
    if not isinstance(node, dict):
        return
    if "Statement" not in node and "Effect" in node:
        yield read_fragment(node, where, reader, entry.kind, name, known_source=True, note=note)
        return
    yield read_policy(node, where, reader, entry.kind, name, known_source=entry.kind == KEY,
                      note=note)


def _value_paths(data: Any) -> dict[int, Path]:
    """The path of every object, array and string, by identity.  Parsers make a new string object
    for each string they read, so a policy written as a JSON string is found by identity too."""
    paths: dict[int, Path] = {}
    pending: list[tuple[Any, Path]] = [(data, ())]
    while pending:
        node, at = pending.pop()
        paths.setdefault(id(node), at)
        if isinstance(node, dict):
            pending.extend((value, at + (key,)) for key, value in node.items()
                           if isinstance(value, (dict, list, str)))
        elif isinstance(node, list):
            pending.extend((value, at + (index,)) for index, value in enumerate(node)
                           if isinstance(value, (dict, list, str)))
    return paths


class YamlDocument(TextDocument):
    """A YAML file parsed by the C loader when present, with the composed nodes kept so that a
    path can be turned into the marks of its node only when a finding needs them."""

    def __init__(self, path: str, text: str) -> None:
        import yaml

        super().__init__(path, text)
        loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loader = loader_class(text)
        try:
            self.root = loader.get_single_node()
            self.data = loader.construct_object(self.root, deep=True) \
                if self.root is not None else None
            built = loader.constructed_objects
            self.duplicates = _yaml_duplicates(self.root, built) if self.root is not None else {}
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise ParseError(f"invalid YAML: {error.problem or error.context}",
                             Span(line, column, line, column + 1)) from None
        except yaml.YAMLError as error:
            raise ParseError(f"invalid YAML: {' '.join(str(error).split())}") from None
        except RecursionError:
            raise ParseError("invalid YAML: nested too deeply to read") from None
        finally:
            loader.dispose()

    def _node(self, at: Path) -> tuple[Any, Any]:
        """The (key node, value node) at `at`, or of its nearest existing parent."""
        import yaml

        key_node: Any = None
        node: Any = self.root
        for part in at:
            match: tuple[Any, Any] | None
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value
                              if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                    and 0 <= part < len(node.value):
                match = (None, node.value[part])
            else:
                match = None
            if match is None:
                break
            key_node, node = match
        return key_node, node

    def span(self, at: Path, key: bool = False) -> Span:
        key_node, node = self._node(at)
        chosen = key_node if key and key_node is not None else node
        if chosen is None:
            return Span(1, 1, 1, 1)
        start, end = chosen.start_mark.index, chosen.end_mark.index
        # A block collection ends where the next line starts: end it at its last character.
        while end > start and self.text[end - 1] in " \t\r\n":
            end -= 1
        return self.line_map.span(start, end)

    def pointer(self, at: Path) -> str:
        return json_pointer(at)


def _yaml_duplicates(root: Any, built: dict[Any, Any]) -> dict[int, list[str]]:
    """Mappings that repeat a key, by the identity of the dict built from them."""
    import yaml

    duplicates: dict[int, list[str]] = {}
    pending = [root]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue  # an alias: the same node again
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            counts = Counter(keys)
            repeated = [k for k in counts if counts[k] > 1]
            if repeated and node in built:
                duplicates[id(built[node])] = repeated
            pending.extend(v for _, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return duplicates

