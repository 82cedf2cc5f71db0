"""Raw policy documents and AWS CLI outputs in JSON files.

Where policies live in each output is the table below; the kind of a bare document with no
surrounding resource is decided from its content, as the rule catalog describes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from kms_hooks.documents import EmbeddedJsonDocument, JsonDocument
from kms_hooks.kms.facts import is_kms_action
from kms_hooks.model import (
    GUARDRAIL,
    IDENTITY,
    KEY,
    KEY_OR_ENDPOINT,
    Document,
    Path,
    Policy,
    Where,
)
from kms_hooks.normalize import Reader, read_fragment, read_policy
from kms_hooks.sources.base import ParseError, SourceFile, parse_json

@dataclass(frozen=True)
class Location:
    """Documents found by `holders` (a JMESPath expression selecting the objects that hold them)
    under `field` (None: the holder is the document itself)."""

    holders: str
    field: str | None
    kind: str
    name: str  # JMESPath on the holder giving a name for messages
    label: str  # what the document is, for -v
    aws_managed: str | None = None  # JMESPath on the holder: true for AWS managed policies


LOCATIONS = (
    # aws iam get-policy-version
    Location("PolicyVersion", "Document", IDENTITY, "join('', ['PolicyVersion ', VersionId])",
             "aws iam get-policy-version output"),
    # aws iam get-role-policy / get-user-policy / get-group-policy
    Location("@", "PolicyDocument", IDENTITY, "PolicyName", "aws iam get-*-policy output"),
    # aws kms get-key-policy: the policy is a JSON string
    Location("@", "Policy", KEY, "join('', ['key policy ', PolicyName])",
             "aws kms get-key-policy output"),
    # aws iam get-account-authorization-details
    Location("UserDetailList[].UserPolicyList[]", "PolicyDocument", IDENTITY, "PolicyName",
             "an inline user policy"),
    Location("GroupDetailList[].GroupPolicyList[]", "PolicyDocument", IDENTITY, "PolicyName",
             "an inline group policy"),
    Location("RoleDetailList[].RolePolicyList[]", "PolicyDocument", IDENTITY, "PolicyName",
             "an inline role policy"),
    Location("Policies[].PolicyVersionList[?IsDefaultVersion] | []", "Document", IDENTITY,
             "VersionId", "the default version of a managed policy"),
)

# Markers that a JSON text may hold a policy; anything else is skipped without parsing.
_MARKERS = ("Statement", "PolicyDocument", "Effect")


class RawSource:
    name = "raw"

    def sniff(self, file: SourceFile) -> bool:
        if "json" not in file.extension_tags:
            return False
        text = file.text
        return any(marker in text for marker in _MARKERS) or not text.strip()

    def read(self, file: SourceFile) -> list[Policy] | None:
        data, duplicates = file.json()
        document = JsonDocument(file.path, file.text, data)
        reader = Reader(duplicates)
        policies = list(_from_table(document, data, reader))
        if not policies:
            policies = list(_bare_documents(document, data, reader))
        return policies


def _from_table(document: JsonDocument, data: Any, reader: Reader) -> Iterator[Policy]:
    import jmespath

    if not isinstance(data, dict):
        return
    paths: dict[int, Path] | None = None
    managed_names = _managed_policy_names(data)
    for location in LOCATIONS:
        found = jmespath.search(location.holders, data)
        holders = found if isinstance(found, list) else [found]
        for holder in holders:
            if not isinstance(holder, dict):
                continue
            if location.field is not None and location.field not in holder:
                continue
            if paths is None:
                paths = _container_paths(data)
            at = paths.get(id(holder))
            if at is None:
                continue
            name = jmespath.search(location.name, holder)
            name = str(name) if name else document.pointer(at)
            aws_managed = False
            if location.holders.startswith("Policies"):
                name, aws_managed = managed_names.get(id(holder), (name, False))
            node = holder if location.field is None else holder[location.field]
            node_at = at if location.field is None else at + (location.field,)
            yield from _document(document, node, node_at, reader, location.kind, name,
                                 location.label, aws_managed)


def _managed_policy_names(data: dict[str, Any]) -> dict[int, tuple[str, bool]]:
    """Names of managed policy versions in authorization details, and whether AWS owns them
    (an ARN in the `aws` account: they cannot be edited, only detached)."""
    names: dict[int, tuple[str, bool]] = {}
    for policy in data.get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        arn = str(policy.get("Arn", ""))
        aws_managed = arn.split(":")[4:5] == ["aws"] and ":policy/" in arn
        for version in policy.get("PolicyVersionList") or []:
            names[id(version)] = (str(policy.get("PolicyName", arn)), aws_managed)
    return names


def _document(document: Document, node: Any, at: Path, reader: Reader, kind: str,
              name: str, label: str, aws_managed: bool = False) -> Iterator[Policy]:
    where = Where(document, at)
    if isinstance(node, str):
        # A policy held as a JSON string (get-key-policy's Policy); URL-encoded in some dumps.
        text = node
        encoded = text.startswith("%7B")
        if encoded:
            from urllib.parse import unquote

            text = unquote(text)
        try:
            inner, inner_duplicates = parse_json(text)
        except ParseError:
            return  # a string that is not a policy: nothing to check
        embedded = EmbeddedJsonDocument(document, at, text, inner, mappable=not encoded)
        yield from _document(embedded, inner, (), Reader(inner_duplicates), kind, name, label,
                             aws_managed)
        return
    if not isinstance(node, dict):
        return
    yield read_policy(node, where, reader, kind, name, known_source=kind == KEY,
                      aws_managed=aws_managed, note=f"{label}: checked as {kind} policy")


def _bare_documents(document: JsonDocument, data: Any, reader: Reader) -> Iterator[Policy]:
    """A policy document, a lone statement, or a list of either, with no surrounding output."""
    items: Iterable[tuple[Path, Any]]
    if isinstance(data, list):
        items = [((index,), item) for index, item in enumerate(data)]
    else:
        items = [((), data)]
    for at, node in items:
        if not isinstance(node, dict):
            continue
        name = "policy" if at == () else f"policy {at[0]}"
        if "Statement" in node:
            kind = decide_kind(_statements_of(node))
            if kind is not None:
                yield read_policy(node, Where(document, at), reader, kind, name,
                                  note=f"a policy document: checked as {kind} policy")
        elif "Effect" in node and ("Action" in node or "NotAction" in node):
            kind = decide_kind([node])
            if kind is not None:
                yield read_fragment(node, Where(document, at), reader, kind, f"statement {name}",
                                    note=f"a lone statement: checked as {kind} policy")


def _statements_of(node: dict[str, Any]) -> list[Any]:
    statements = node.get("Statement")
    if isinstance(statements, list):
        return statements
    return [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def decide_kind(statements: list[Any]) -> str | None:
    """The kind of a policy read without its context (see the rule catalog).

    No Principal: identity.  With a Principal: all Deny is a guardrail (a resource control
    policy); only `kms:` actions on `"*"` is a key policy; KMS ARNs in Resource may be a key or
    an endpoint policy.  Other documents with a Principal are other services' resource or trust
    policies: None, not checked.
    """
    objects = [s for s in statements if isinstance(s, dict)]
    if not any("Principal" in s or "NotPrincipal" in s for s in objects):
        return IDENTITY
    if objects and all(s.get("Effect") == "Deny" for s in objects):
        return GUARDRAIL
    actions = [a for s in objects for a in _as_list(s.get("Action", s.get("NotAction")))]
    resources = [r for s in objects for r in _as_list(s.get("Resource", s.get("NotResource")))]
    if not actions or not all(isinstance(a, str) and is_kms_action(a) for a in actions):
        if any(isinstance(r, str) and r.startswith("arn:") and ":kms:" in r for r in resources):
            return KEY_OR_ENDPOINT
        return None
    if all(r == "*" for r in resources):
        return KEY
    return KEY_OR_ENDPOINT


def _container_paths(data: Any) -> dict[int, Path]:
    """The path of every object and array, by identity: JMESPath returns values, and findings
    need to know where those values are.  Iterative, so deep nesting cannot overflow."""
    paths: dict[int, Path] = {}
    pending: list[tuple[Any, Path]] = [(data, ())]
    while pending:
        node, at = pending.pop()
        if isinstance(node, dict):
            paths[id(node)] = at
            pending.extend((value, at + (key,)) for key, value in node.items()
                           if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            paths[id(node)] = at
            pending.extend((value, at + (index,)) for index, value in enumerate(node)
                           if isinstance(value, (dict, list)))
    return paths
