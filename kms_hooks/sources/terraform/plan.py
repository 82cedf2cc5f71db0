"""Terraform plans in JSON (`terraform show -json plan.out`) read into the Terraform model.

A plan holds every resource with its values resolved: `planned_values` (the root module and its
nested `child_modules`) and `resource_changes[].change.after`; both are read, each resource
once.  A value that is known only after apply (a policy built from a data source that depends on
a resource still to be created) is absent from the plan's values and marked in `after_unknown`;
for such values the plan's `configuration` says what was written, and a reference to a data
source (`data.aws_iam_policy_document.x.json`) is kept as a reference, so extraction follows it
to the data source's planned statements.  Strings in a plan are values, never templates.

Only the resource and data source types that extraction reads are built, so a large plan costs
little more than its JSON parse.
"""
from __future__ import annotations

import re
from collections import deque

from kms_hooks.documents import JsonDocument
from kms_hooks.model import Path, Where
from kms_hooks.sources.terraform.extract import DATA_TYPES, REFERENCED_RESOURCE_TYPES, RESOURCE_TYPES
from kms_hooks.sources.terraform.model import Attribute, Block, Expression, Module, Reference
from kms_hooks.sources.terraform.policies import POLICY_DOCUMENT
from kms_hooks.sources.terraform.templates import parse_reference

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

_MANAGED_TYPES = RESOURCE_TYPES | REFERENCED_RESOURCE_TYPES
_MODULE_STEP = re.compile(r'module\.([^.\[]+)(?:\[[^\]]*\])?\.?')
_DOCUMENT_REFERENCE = "data." + POLICY_DOCUMENT + "."
_INDEXES = ("each.key", "count.index")


def is_plan(data: Any) -> bool:
    return isinstance(data, dict) and "format_version" in data and (
        isinstance(data.get("planned_values"), dict)
        or isinstance(data.get("resource_changes"), list))


def read_plan(document: JsonDocument, data: dict[str, Any]) -> list[Module]:
    """One Module per module instance of the plan (`data`, parsed from `document`), holding
    the blocks extraction reads."""
    reader = _PlanReader(document, data)
    return reader.modules()


def _wanted(resource: dict[str, Any]) -> bool:
    mode, type_ = resource.get("mode"), resource.get("type")
    if not isinstance(type_, str):
        return False  # `"type": []` is no resource this tool knows
    if mode == "managed":
        return type_ in _MANAGED_TYPES
    return mode == "data" and type_ in DATA_TYPES


def _completed(reference: Reference, instance_address: str) -> Reference:
    """A reference as the plan's configuration lists it, made exact: older plans list a data
    source alone (a policy is its `json`), and a reference indexed by `each.key` or
    `count.index` names the instance with the referring resource's own key."""
    parts = reference.parts
    key = re.search(r"(\[[^\]]*\])$", instance_address)
    if key is not None and len(parts) >= 2:
        name_at = 2 if parts[0] == "data" else 1
        already_indexed = parts[name_at + 1 : name_at + 2][:1] and \
            parts[name_at + 1].startswith("[")
        if len(parts) > name_at and not already_indexed:
            parts = parts[: name_at + 1] + (key.group(1),) + parts[name_at + 1 :]
    if parts[:2] == ("data", POLICY_DOCUMENT) and len(_plain(parts)) == 3:
        parts = parts + ("json",)
    return Reference(parts)


def _plain(parts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in parts if not p.startswith("["))


def _config_module(address: str) -> tuple[str, ...]:
    """`module.a[0].module.b["x"]` -> ("a", "b"): the configuration that instance comes from."""
    return tuple(m.group(1) for m in _MODULE_STEP.finditer(address))


def _config_address(address: str) -> str:
    """A resource address within its module, without instance keys: `aws_kms_key.k`."""
    local = _MODULE_STEP.sub("", address) if address.startswith("module.") else address
    return re.sub(r"\[[^\]]*\]", "", local)


class _PlanReader:
    def __init__(self, document: JsonDocument, data: dict[str, Any]) -> None:
        self.document = document
        self.data = data
        self._modules: dict[str, Module] = {}
        self._changes: dict[str, tuple[Path, dict[str, Any]]] = {}
        self._config: dict[tuple[tuple[str, ...], str], tuple[Path, dict[str, Any]]] = {}
        self._config_read = False

    def modules(self) -> list[Module]:
        changes = self.data.get("resource_changes")
        changes = changes if isinstance(changes, list) else []
        for index, change in enumerate(changes):
            if isinstance(change, dict) and _wanted(change) \
                    and isinstance(change.get("address"), str):
                self._changes.setdefault(change["address"],
                                         (("resource_changes", index), change))
        seen: set[str] = set()
        planned = self.data.get("planned_values")
        root = planned.get("root_module") if isinstance(planned, dict) else None
        if isinstance(root, dict):
            for at, module_address, resource in self._planned(root):
                address = resource.get("address")
                if not isinstance(address, str) or address in seen or not _wanted(resource):
                    continue
                seen.add(address)
                self._add(module_address, resource, at, resource.get("values"),
                          at + ("values",))
        for address, (at, change) in self._changes.items():
            if address in seen:
                continue
            body = change.get("change")
            after = body.get("after") if isinstance(body, dict) else None
            if not isinstance(after, dict):
                continue  # deleted, or not planned
            seen.add(address)
            written = change.get("module_address")
            self._add(written if isinstance(written, str) else "", change, at, after,
                      at + ("change", "after"))
        self._add_document_users()
        return list(self._modules.values())

    def _planned(self, root: dict[str, Any]) -> Iterator[tuple[Path, str, dict[str, Any]]]:
        pending: deque[tuple[dict[str, Any], Path]] = deque(
            [(root, ("planned_values", "root_module"))])
        while pending:
            module, at = pending.popleft()
            address = module.get("address")
            module_address = address if isinstance(address, str) else ""
            resources = module.get("resources")
            for index, resource in enumerate(resources if isinstance(resources, list) else []):
                if isinstance(resource, dict):
                    yield at + ("resources", index), module_address, resource
            children = module.get("child_modules")
            for index, child in enumerate(children if isinstance(children, list) else []):
                if isinstance(child, dict):
                    pending.append((child, at + ("child_modules", index)))

    def _module(self, address: str) -> Module:
        module = self._modules.get(address)
        if module is None:
            module = self._modules[address] = Module(address)
        return module

    def _add(self, module_address: str, resource: dict[str, Any], at: Path, values: Any,
             values_at: Path) -> None:
        address = str(resource.get("address"))
        mode = "data" if resource.get("mode") == "data" else "resource"
        labels = (str(resource.get("type")), str(resource.get("name")))
        unknown: Any = {}
        change = self._changes.get(address)
        if change is not None:
            body = change[1].get("change")
            if isinstance(body, dict):
                unknown = body.get("after_unknown") or {}
        config = self._resource_config(module_address, address)
        attributes, nested = self._body(values if isinstance(values, dict) else {}, values_at,
                                        unknown, config, address)
        where = Where(self.document, at + ("address",))
        self._module(module_address).blocks.append(
            Block(mode, labels, attributes, tuple(nested), where, address))

    def _body(self, values: dict[str, Any], at: Path, unknown: Any,
              config: tuple[Path, dict[str, Any]] | None, address: str = ""
              ) -> tuple[dict[str, Attribute], list[Block]]:
        attributes: dict[str, Attribute] = {}
        nested: list[Block] = []
        unknown_map = unknown if isinstance(unknown, dict) else {}
        for name, value in values.items():
            value_at = at + (name,)
            marker = unknown_map.get(name)
            if marker is True:
                continue  # known after apply: what the configuration says, below
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                markers = marker if isinstance(marker, list) else []
                for index, item in enumerate(value):
                    item_marker = markers[index] if index < len(markers) else {}
                    inner_attributes, inner_nested = self._body(item, value_at + (index,),
                                                                item_marker, None)
                    nested.append(Block(name, (), inner_attributes, tuple(inner_nested),
                                        Where(self.document, value_at + (index,))))
            elif value is None:
                continue  # not set
            else:
                attributes[name] = Attribute(name, self._value(value, value_at, marker),
                                             Where(self.document, value_at, True))
        for name, marker in unknown_map.items():
            if marker is True and name not in attributes and not any(
                    b.type == name for b in nested):
                written = self._written(name, config, at, address)
                if written is not None:
                    attributes[name] = Attribute(name, written, written.where.as_key())
        return attributes, nested

    def _value(self, value: Any, at: Path, marker: Any) -> Expression:
        where = Where(self.document, at)
        if marker is True:
            return Expression(where, "(known after apply)")
        if isinstance(value, list):
            item_markers = marker if isinstance(marker, list) else []
            return Expression(where, "", items=tuple(
                self._value(item, at + (index,), item_markers[index] if index < len(item_markers)
                            else (True if item is None else None))
                for index, item in enumerate(value)))
        if isinstance(value, dict):
            member_markers = marker if isinstance(marker, dict) else {}
            return Expression(where, "", members=tuple(
                (key, self._value(item, at + (key,), member_markers.get(key)))
                for key, item in value.items()))
        return Expression(where, "", literal=value, is_literal=True)

    # The configuration, for values known only after apply ---------------------------------

    def _written(self, name: str, config: tuple[Path, dict[str, Any]] | None,
                 values_at: Path, address: str) -> Expression | None:
        """What the configuration says an unknown argument is: a reference when it is one
        reference and nothing else; None when the configuration does not set it (the provider
        computes it: the default); unknown when the plan has no configuration."""
        if config is None:
            return Expression(Where(self.document, values_at), "(known after apply)")
        config_at, expressions = config
        written = expressions.get(name)
        if written is None:
            return None
        where = Where(self.document, config_at + (name,))
        if isinstance(written, dict):
            if "constant_value" in written:
                return Expression(where, "", literal=written["constant_value"], is_literal=True)
            references = written.get("references")
            if isinstance(references, list) and references and isinstance(references[0], str):
                first = references[0]
                # `references` lists every traversal in the expression, each followed by its
                # prefixes: one reference and its prefixes (and the instance key that indexes
                # it, `each.key`) means the expression is that one.
                if all(isinstance(r, str) and (first.startswith(r) or r in _INDEXES)
                       for r in references):
                    reference = parse_reference(first)
                    if reference is not None:
                        return Expression(where, first, reference=_completed(
                            reference, address if set(references) & set(_INDEXES) else ""))
        return Expression(where, "(known after apply)")

    def _resource_config(self, module_address: str,
                         address: str) -> tuple[Path, dict[str, Any]] | None:
        if not self._config_read:
            self._read_config()
        if not self._config:
            return None  # a plan without configuration: no addresses to work out
        return self._config.get((_config_module(module_address), _config_address(address)))

    def _read_config(self) -> None:
        self._config_read = True
        configuration = self.data.get("configuration")
        root = configuration.get("root_module") if isinstance(configuration, dict) else None
        if not isinstance(root, dict):
            return
        pending: list[tuple[dict[str, Any], Path, tuple[str, ...]]] = [
            (root, ("configuration", "root_module"), ())]
        while pending:
            module, at, names = pending.pop()
            resources = module.get("resources")
            for index, resource in enumerate(resources if isinstance(resources, list) else []):
                if not isinstance(resource, dict) or not isinstance(resource.get("address"), str):
                    continue
                expressions = resource.get("expressions")
                self._config[(names, resource["address"])] = (
                    at + ("resources", index, "expressions"),
                    expressions if isinstance(expressions, dict) else {})
            calls = module.get("module_calls")
            for name, call in (calls.items() if isinstance(calls, dict) else ()):
                inner = call.get("module") if isinstance(call, dict) else None
                if isinstance(inner, dict):
                    pending.append((inner, at + ("module_calls", name, "module"), names + (name,)))

    def _add_document_users(self) -> None:
        """Resources of other types whose configuration refers to a policy document, so that
        extraction knows the document is used (by something it does not check)."""
        if not any(b.type == "data" and b.labels[0] == POLICY_DOCUMENT
                   for m in self._modules.values() for b in m.blocks):
            return
        if not self._config_read:
            self._read_config()
        # The configuration's resources by module, once: not a search of all of them for each
        # module instance (plans with thousands of modules).
        by_module: dict[tuple[str, ...], list[tuple[str, tuple[Path, dict[str, Any]]]]] = {}
        for (config_names, address), found in self._config.items():
            if not address.startswith("data.") and address.split(".")[0] not in _MANAGED_TYPES:
                by_module.setdefault(config_names, []).append((address, found))
        for module_address, module in list(self._modules.items()):
            for address, (at, expressions) in by_module.get(_config_module(module_address), ()):
                attributes: dict[str, Attribute] = {}
                for name, written in expressions.items():
                    references = written.get("references") if isinstance(written, dict) else None
                    for text in references if isinstance(references, list) else []:
                        reference = parse_reference(text) if isinstance(text, str) \
                            and text.startswith(_DOCUMENT_REFERENCE) else None
                        if reference is not None:
                            where = Where(self.document, at + (name,))
                            attributes[name] = Attribute(
                                name, Expression(where, text, reference=reference), where)
                            break
                if attributes:
                    type_, _, local = address.partition(".")
                    prefix = f"{module_address}." if module_address else ""
                    module.blocks.append(Block("resource", (type_, local), attributes, (),
                                               next(iter(attributes.values())).where,
                                               prefix + address))
