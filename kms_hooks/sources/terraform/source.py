"""Terraform configuration (`*.tf.json`) and plans (`terraform show -json plan.out`).

Readers turn each format into the Terraform model; `kms_hooks.sources.terraform.extract` finds the
policies.  Configuration is read a module at a time: a module is a directory, so when one
changed file is checked, the module's other files are read too, for the references into them
(a data source in `iam.tf.json` used by a key in `kms.tf.json`).  Findings are reported only
for the files a hook was given; each policy is checked once, however many of its files are.
"""
from __future__ import annotations

import importlib
import os
from kms_hooks.records import dataclass, field

from kms_hooks.model import Subject
from kms_hooks.sources.base import ParseError, SourceFile

TYPE_CHECKING = False
if TYPE_CHECKING:  # the model loads with the first Terraform file, not with every hook call
    from typing import Callable

    from kms_hooks.sources.terraform.model import Block

# Readers of the files of a module directory, by file name suffix: "module:function", the
# function taking a SourceFile and returning its top-level blocks, or None when the file is not
# Terraform configuration after all (raising ParseError when it cannot be parsed).
MODULE_READERS = {
    ".tf.json": "kms_hooks.sources.terraform.tf_json:read_file",
    ".tf": "kms_hooks.sources.terraform.hcl:read_file",
}

_PLAN_MARKERS = ('"planned_values"', '"resource_changes"')


# The longest suffix first: `x.tf.json` is JSON configuration, not `.json`.
_SUFFIXES = tuple(sorted(MODULE_READERS, key=len, reverse=True))


def _suffix(path: str) -> str | None:
    if not path.endswith(_SUFFIXES):
        return None
    name = os.path.basename(path)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return None


def _reader(suffix: str) -> Callable[[SourceFile], list[Block] | None]:
    module, _, function = MODULE_READERS[suffix].partition(":")
    reader: Callable[[SourceFile], list[Block] | None] = getattr(
        importlib.import_module(module), function)
    return reader


@dataclass
class _ModuleState:
    """One module directory: its subjects, extracted once, and those already checked."""

    subjects: list[Subject]
    paths: dict[int, set[str]] = field(default_factory=dict)
    checked: set[int] = field(default_factory=set)
    # The other configuration files, read from disk for the module: when one of them is given
    # later, it is not parsed again.
    read: dict[str, SourceFile] = field(default_factory=dict)


class TerraformSource:
    name = "terraform"

    def __init__(self) -> None:
        self._modules: dict[str, _ModuleState] = {}

    def sniff(self, file: SourceFile) -> bool:
        if _suffix(file.path) is not None:
            return True
        # `terraform show -json` output is saved as *.json; the name alone decides, without
        # loading identify's tables for a hook that reads only Terraform.
        if not file.path.lower().endswith(".json"):
            return False
        text = file.text
        return '"format_version"' in text and any(m in text for m in _PLAN_MARKERS)

    def read(self, file: SourceFile) -> list[Subject] | None:
        suffix = _suffix(file.path)
        if suffix is None:
            return self._plan(file)
        return self._configuration(file, suffix)

    def _plan(self, file: SourceFile) -> list[Subject] | None:
        from kms_hooks.documents import JsonDocument
        from kms_hooks.sources.terraform.extract import extract
        from kms_hooks.sources.terraform.plan import is_plan, read_plan

        data = file.plain_json()
        if not is_plan(data):
            return None
        # Plans run to tens of megabytes: positions are found for the findings alone, and as a
        # generated file a plan repeats no keys, so the first occurrence of each is the one.
        # The document keeps no parse: once read into the model, the plan's parsed values
        # (several times the size of its text) are not needed, and no other source reads it.
        modules = read_plan(JsonDocument(file.path, file.text, None, duplicates={}), data)
        del data
        file.cache.pop("plain-json", None)
        return extract(modules, [file.path], generated=True)

    def _configuration(self, file: SourceFile, suffix: str) -> list[Subject] | None:
        directory = os.path.dirname(file.path)
        key = os.path.realpath(directory or ".")
        state = self._modules.get(key)
        mine = os.path.normpath(file.path)
        if state is not None and mine in state.read:
            # Its syntax errors and suppressions were found when it was read for the module.
            file.errors.extend(state.read[mine].errors)
            file.suppressions.extend(state.read[mine].suppressions)
        else:
            blocks = _reader(suffix)(file)
            if blocks is None:
                return None
            if state is None:
                state = self._modules[key] = self._read_module(file, blocks, directory)
        from kms_hooks.sources.terraform.extract import subject_paths

        found = []
        for subject in state.subjects:
            if id(subject) in state.checked:
                continue
            paths = state.paths.get(id(subject))
            if paths is None:
                paths = state.paths[id(subject)] = {
                    os.path.normpath(p) for p in subject_paths(subject)}
            if mine in paths:
                state.checked.add(id(subject))
                found.append(subject)
        return found

    def _read_module(self, file: SourceFile, blocks: list[Block], directory: str) -> _ModuleState:
        """Every configuration file of the directory, the given one as given (its content may
        come from the git index), the others from disk."""
        from kms_hooks.sources.terraform.extract import extract
        from kms_hooks.sources.terraform.model import Module

        module = Module(directory or ".")
        mine = os.path.basename(file.path)
        paths = [file.path]
        read: dict[str, SourceFile] = {}
        try:
            names = sorted(file.tree.listdir(directory) if file.tree is not None
                           else os.listdir(directory or "."))
        except OSError:
            names = []
        for name in names:
            suffix = _suffix(name)
            if name == mine or suffix is None:
                if name == mine:
                    module.blocks.extend(blocks)
                continue
            sibling = file.tree.file(os.path.join(directory, name)) if file.tree is not None \
                else SourceFile(os.path.join(directory, name))
            try:
                found = _reader(suffix)(sibling)
            except ParseError:
                continue  # reported when that file itself is checked
            if found is not None:
                read[os.path.normpath(sibling.path)] = sibling
            if found:
                module.blocks.extend(found)
                paths.append(sibling.path)
        if mine not in names:
            module.blocks.extend(blocks)
        return _ModuleState(extract([module], paths), read=read)
