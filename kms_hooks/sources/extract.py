"""Policies in a team's own JSON or YAML formats, where the configuration's `extract` entries say.

Each entry names files (a glob), a JMESPath expression that selects policy documents in them, and
the kind of policy they are.  The expression returns values, so each value is found again in the
parsed file by identity to know its path, and from the path its line and column.
"""
from __future__ import annotations


from kms_hooks.config import Extract, glob_matches
from kms_hooks.documents import EmbeddedJsonDocument, JsonDocument
from kms_hooks.model import KEY, Document, Path, Policy, Where
from kms_hooks.normalize import Reader, read_fragment, read_policy
from kms_hooks.sources.base import ParseError, SourceFile, parse_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Sequence


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
    from kms_hooks.locate.yamlpos import YamlDocument
    from kms_hooks.sources.cloudformation.loader import load, long_form

    # The loader keeps text as written (`Version: 2012-10-17` is not a date, account ids keep
    # their leading zeros) and the nodes for positions; a template reader may have run it already.
    if "yaml" not in file.cache:
        file.cache["yaml"] = load(text)
    data, root, duplicates = file.cache["yaml"]
    return YamlDocument(file.path, text, root, long_form, data), data, Reader(duplicates)


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
