"""The sources: kinds of files that hold policies, and which hook reads which."""
from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

    from kms_hooks.model import Subject
    from kms_hooks.sources.base import Source, SourceFile

# Source name -> "module:class".  Order matters: the first source whose sniff and read accept a
# file reads it (a CloudFormation template also holds "Statement", so it goes before raw JSON).
SOURCES = {
    "raw": "kms_hooks.sources.raw:RawSource",
    "terraform": "kms_hooks.sources.terraform.source:TerraformSource",
    "cloudformation": "kms_hooks.sources.cloudformation.template:CloudFormationSource",
}
# Sources whose sniff lives apart ("module:function"): their reader, with all it imports, is
# loaded for the first file the sniff accepts.
SNIFFS = {
    "cloudformation": "kms_hooks.sources.cloudformation.sniff:may_be_template",
}
ORDER = ("cloudformation", "terraform", "raw")

# Console script -> the sources it reads.
HOOKS = {
    "kms-policies": ORDER,
    "kms-iam-policies": ("raw",),
    "kms-cloudformation": ("cloudformation",),
    "kms-terraform": ("terraform",),
}


def _attribute(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class Deferred:
    """A source that sniffs with a light function and loads its reader on the first file the
    sniff accepts (one reader for the run: a source may keep state across files)."""

    def __init__(self, name: str, sniff: Callable[[SourceFile], bool], target: str) -> None:
        self.name = name
        self._sniff = sniff
        self._target = target
        self._source: Source | None = None

    def sniff(self, file: SourceFile) -> bool:
        return self._sniff(file)

    def read(self, file: SourceFile) -> Iterable[Subject] | None:
        if self._source is None:
            self._source = _attribute(self._target)()
        return self._source.read(file)


def load(names: tuple[str, ...]) -> list[Source]:
    loaded: list[Source] = []
    for name in names:
        if name not in SOURCES:
            continue
        if name in SNIFFS:
            loaded.append(Deferred(name, _attribute(SNIFFS[name]), SOURCES[name]))
        else:
            loaded.append(_attribute(SOURCES[name])())
    return loaded
