"""CloudFormation and SAM templates, JSON and YAML.

Where policies live in a template is the table below: for each resource type, a JMESPath
expression (on the resource) selecting the objects that hold a policy, the property that is the
policy, and the kind of policy it is.  Intrinsic functions inside policies are resolved by
`IntrinsicReader`; YAML is read by `loader`, which keeps the node marks for positions.
"""
from __future__ import annotations

import re
from kms_hooks.records import dataclass, replace

from kms_hooks.documents import EmbeddedJsonDocument, JsonDocument, embedded_error, not_json
from kms_hooks.model import (
    ENDPOINT,
    Fix,
    GUARDRAIL,
    IDENTITY,
    KEY,
    SPECIFIC,
    THIS_ACCOUNT,
    Attachment,
    Document,
    Path,
    Policy,
    Problem,
    Statement,
    Value,
    Where,
)
from kms_hooks.normalize import Reader, read_policy
from kms_hooks.sources.base import ParseError, SourceFile, joined_note, parse_json
from kms_hooks.sources.cloudformation import fix
from kms_hooks.sources.cloudformation.sniff import template_format
from kms_hooks.sources.edits import json_split, removal
from kms_hooks.suppress import Suppression
from kms_hooks.sources.cloudformation.intrinsics import (
    OVER_BUDGET,
    IntrinsicReader,
    Template,
    alternatives,
    function,
    is_no_value,
)
from kms_hooks.sources.cloudformation.suppressions import metadata, yaml_comments

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

DOCUMENT = "document"  # the property is a policy document (an object, a JSON string, Fn::Sub)
SAM_POLICIES = "sam-policies"  # a SAM Policies list: documents, managed policies, templates


@dataclass(frozen=True)
class Place:
    """Policies of resources of `types`: under `field` of each object `holders` selects."""

    types: tuple[str, ...]
    holders: str  # JMESPath on the resource; entries() expands Fn::If and lists
    field: str
    kind: str
    label: str  # what the policy is, for -v
    form: str = DOCUMENT
    when: str | None = None  # JMESPath on the resource: the place applies only when true
    # Without the property, AWS applies a default policy: checked as a policy with no statements.
    default_when_absent: bool = False
    # Policy.attributes name -> property: facts each policy of the resource is read with, and
    # facts reported about the resource itself (given to its first policy only).
    attributes: tuple[tuple[str, str], ...] = ()
    reported_once: tuple[tuple[str, str], ...] = ()
    # What the policy is attached to (Policy.attached): (kind, JMESPath on the resource
    # selecting references or names), SELF for the resource that holds the policy.
    attached: tuple[tuple[str, str], ...] = ()


SELF = "@"
# What a resource that holds a policy is, as a grantee or the owner of a key or endpoint policy.
NOUNS = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group",
         "AWS::SSO::PermissionSet": "permission set", "AWS::Serverless::Function": "function",
         "AWS::Serverless::StateMachine": "state machine", "AWS::KMS::Key": "key",
         "AWS::KMS::ReplicaKey": "key", "AWS::EC2::VPCEndpoint": "endpoint"}
_TARGETS = (("role", "entries(Properties.Roles)"), ("user", "entries(Properties.Users)"),
            ("group", "entries(Properties.Groups)"))

PLACES = (
    Place(("AWS::IAM::Policy",), "Properties", "PolicyDocument", IDENTITY, "an IAM policy",
          attached=_TARGETS),
    Place(("AWS::IAM::ManagedPolicy",), "Properties", "PolicyDocument", IDENTITY,
          "a managed policy", attached=_TARGETS),
    Place(("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"),
          "entries(Properties.Policies)", "PolicyDocument", IDENTITY, "an inline policy",
          attached=(("", SELF),)),
    Place(("AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"),
          "Properties", "PolicyDocument", IDENTITY, "an inline policy",
          attached=(("role", "Properties.RoleName"), ("user", "Properties.UserName"),
                    ("group", "Properties.GroupName"))),
    Place(("AWS::SSO::PermissionSet",), "Properties", "InlinePolicy", IDENTITY,
          "a permission set's inline policy", attached=(("", SELF),)),
    Place(("AWS::Serverless::Function", "AWS::Serverless::StateMachine"), "Properties",
          "Policies", IDENTITY, "SAM Policies", form=SAM_POLICIES, attached=(("", SELF),)),
    Place(("AWS::KMS::Key", "AWS::KMS::ReplicaKey"), "Properties", "KeyPolicy", KEY,
          "a key policy", default_when_absent=True,
          reported_once=(("bypass_policy_lockout_safety_check",
                          "BypassPolicyLockoutSafetyCheck"),), attached=(("", SELF),)),
    Place(("AWS::EC2::VPCEndpoint",), "Properties", "PolicyDocument", ENDPOINT,
          "a VPC endpoint policy", default_when_absent=True,
          attributes=(("service_name", "ServiceName"),), attached=(("", SELF),)),
    Place(("AWS::Organizations::Policy",), "Properties", "Content", GUARDRAIL,
          "an Organizations policy",
          when="contains(['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY'], "
               "Properties.Type)"),
)
# Managed policies attached from the other side: the roles, users and groups whose
# ManagedPolicyArns name a managed policy of the template.
ATTACHING = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}
ATTACHING_PATH = "entries(Properties.ManagedPolicyArns)"

_BY_TYPE: dict[str, list[Place]] = {}
for _place in PLACES:
    for _type in _place.types:
        _BY_TYPE.setdefault(_type, []).append(_place)

# SAM policy templates that grant KMS actions (from SAM's policy_templates.json).  SAM expands
# each into one statement on arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/
# ${keyId}, with keyId = the template's KeyId.
SAM_KMS_TEMPLATES = {
    "KMSDecryptPolicy": ("kms:Decrypt",),
    "KMSEncryptPolicy": ("kms:Encrypt",),
    "KMSEncryptPolicy_v2": ("kms:Encrypt", "kms:GenerateDataKey",
                            "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
                            "kms:GenerateDataKeyPairWithoutPlaintext"),
}
SAM_KMS_RESOURCE = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}"

# A top-level Resources key in block style, or a document in flow style.
_TOP_LEVEL_RESOURCES = re.compile(r"""^["']?Resources["']?[ \t]*:|\A\s*\{""", re.MULTILINE)


class CloudFormationSource:
    name = "cloudformation"

    def sniff(self, file: SourceFile) -> bool:
        return template_format(file) is not None

    def read(self, file: SourceFile) -> list[Policy] | None:
        document: Document
        is_yaml = template_format(file) == "yaml"
        if not is_yaml:
            data, duplicates = file.json()
            if not is_template(data):
                return None
            document = JsonDocument(file.path, file.text, data)
        else:
            from kms_hooks.locate.yamlpos import YamlDocument
            from kms_hooks.sources.cloudformation.loader import load, long_form

            if "yaml" not in file.cache:
                try:
                    file.cache["yaml"] = load(file.text)
                except ParseError:
                    # A broken template is an error; other broken YAML that merely mentions
                    # both words (a multi-document manifest) is not this hook's to judge.
                    if _TOP_LEVEL_RESOURCES.search(file.text):
                        raise
                    return None
            data, root, duplicates = file.cache["yaml"]
            if not is_template(data):
                return None
            document = YamlDocument(file.path, file.text, root, long_form, data)
            file.suppressions.extend(yaml_comments(file.path, file.text, root))
        template = Template(data, yaml=is_yaml, size=len(file.text))
        reader = IntrinsicReader(template, duplicates)
        policies = list(_policies(document, template, reader, file.suppressions))
        # Messages name the logical id: a template holds many policies, often alike.
        more = OVER_BUDGET if template.over_budget else None
        return [replace(p, name_in_messages=True, note=joined_note(p.note, more))
                for p in policies]


def is_template(data: Any) -> bool:
    """A mapping whose Resources hold at least one entry with a Type."""
    resources = data.get("Resources") if isinstance(data, dict) else None
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and isinstance(r.get("Type"), str) for r in resources.values())


def _policies(document: Document, template: Template, reader: IntrinsicReader,
              suppressions: list[Suppression]) -> Iterator[Policy]:
    attaching = _attaching(document, template, reader)
    # A logical id written twice: CloudFormation deploys the last one, and the first is never
    # checked.  Said (KMS002) on the first policy of the one that counts.
    repeated = set(reader.duplicates(template.resources))
    for logical_id, resource in template.resources.items():
        if not isinstance(resource, dict):
            continue
        policies = _policies_of(document, template, reader, logical_id, resource, attaching,
                                suppressions)
        yield from (_with_repeated_id(document, logical_id, policies)
                    if logical_id in repeated else policies)


def _with_repeated_id(document: Document, logical_id: str,
                      policies: Iterator[Policy]) -> Iterator[Policy]:
    problem = Problem(
        "KMS002", f'the logical id "{logical_id}" appears more than once under Resources; '
                  "only the last one is deployed, and the others are not checked",
        Where(document, ("Resources", logical_id), True))
    first = True
    for policy in policies:
        yield replace(policy, problems=(problem, *policy.problems)) if first else policy
        first = False


def _policies_of(document: Document, template: Template, reader: IntrinsicReader,
                 logical_id: str, resource: dict[str, Any],
                 attaching: dict[str, list[Attachment]],
                 suppressions: list[Suppression]) -> Iterator[Policy]:
    if "Metadata" in resource:
        found_metadata = metadata(document, ("Resources", str(logical_id)), resource)
        if found_metadata is not None:
            suppressions.append(found_metadata)
    kind = resource.get("Type")
    places = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if not places:
        return
    found = _Resource(document, template, reader, str(logical_id), resource, attaching)
    for place in places:
        yield from found.policies(place)


def _attaching(document: Document, template: Template,
               reader: IntrinsicReader) -> dict[str, list[Attachment]]:
    """For each resource that some role, user or group lists in ManagedPolicyArns (by a
    reference), what lists it."""
    found: dict[str, list[Attachment]] = {}
    for logical_id, resource in template.resources.items():
        noun = ATTACHING.get(str(resource.get("Type"))) if isinstance(resource, dict) else None
        properties = resource.get("Properties") if noun is not None else None
        if noun is None or not isinstance(properties, dict) \
                or "ManagedPolicyArns" not in properties:
            continue
        where = Where(document, ("Resources", logical_id))
        for item in _search(ATTACHING_PATH, resource) or ():
            for value in reader.values(item, where) or ():
                if value.refers is not None:
                    found.setdefault(value.refers, []).append(
                        Attachment(noun, f"Resources/{logical_id}", resource=True))
    return found


def _attachment(kind: str, value: Value) -> Attachment:
    """What a reference or a name written in an attachment property names."""
    if value.refers is not None:
        return Attachment(kind, value.refers, resource=True)
    text = value.text
    if text is not None and SPECIFIC not in text and THIS_ACCOUNT not in text:
        return Attachment(kind, text)
    return Attachment(kind, None, value.shown)


class _Resource:
    """One resource of the template and the policies it holds."""

    def __init__(self, document: Document, template: Template, reader: IntrinsicReader,
                 logical_id: str, resource: dict[str, Any],
                 attaching: dict[str, list[Attachment]] | None = None) -> None:
        self.document = document
        self.template = template
        self.reader = reader
        self.resource = resource
        self.at: Path = ("Resources", logical_id)
        self.name = f"Resources/{logical_id}"
        self.resource_where = Where(document, self.at, key=True)  # its logical id
        self._paths: dict[int, Path] | None = None
        self.attaching = (attaching or {}).get(self.name, [])

    def where(self, at: Path, key: bool = False) -> Where:
        return Where(self.document, at, key)

    def path_of(self, node: Any) -> Path | None:
        if node is self.resource.get("Properties"):
            return self.at + ("Properties",)  # the common case, without walking the resource
        if self._paths is None:
            from kms_hooks.sources.raw import _container_paths

            self._paths = _container_paths(self.resource)
        found = self._paths.get(id(node))
        return None if found is None else self.at + found

    def policies(self, place: Place) -> Iterator[Policy]:
        if place.when is not None and not _search(place.when, self.resource):
            return
        context: dict[str, Any] = {
            "known_source": place.kind == KEY,
            "attributes": self._attributes(place.attributes),
            "resource_where": self.resource_where,
            "attached": self._attached(place),
            "narrow": fix.narrowing(self.template.yaml, fix.NODE),
            "split": None if self.template.yaml else json_split,
        }
        found = list(self._policies(place, context))
        reported = self._attributes(place.reported_once)
        if found and reported:
            # Facts reported about the resource go with one policy, or they would be reported
            # once per branch of an Fn::If.
            found[0] = replace(found[0], attributes={**found[0].attributes, **reported})
        yield from found

    def _policies(self, place: Place, context: dict[str, Any]) -> Iterator[Policy]:
        holders = _search(place.holders, self.resource)
        if holders is None and place.default_when_absent:
            yield Policy(place.kind, self.name, self.resource_where, None,
                         note="no Properties: the default policy applies", **context)
            return
        for holder in holders if isinstance(holders, list) else [holders]:
            holder_at = self.path_of(holder) if isinstance(holder, dict) else None
            if holder_at is None:
                continue
            label = place.label
            policy_name = holder.get("PolicyName")
            if isinstance(policy_name, str):
                label += f" ({policy_name})"
            node = holder.get(place.field)
            field_at = holder_at + (place.field,)
            if node is None or _may_be_absent(node):
                if place.default_when_absent:
                    where = self.resource_where if node is None else self.where(field_at)
                    yield Policy(place.kind, self.name, where, None,
                                 note=f"no {place.field}: the default policy applies",
                                 **context)
                if node is None:
                    continue
            for alternative, alternative_where in self.reader.nodes(node, self.where(field_at)):
                note = f"{label}: checked as {place.kind} policy"
                if place.form == SAM_POLICIES:
                    yield from self._sam_policies(alternative, alternative_where, context)
                else:
                    yield from self._document(alternative, alternative_where, place.kind,
                                              note, context)

    def _attached(self, place: Place) -> tuple[Attachment, ...]:
        found: list[Attachment] = []
        for kind, path in place.attached:
            if path == SELF:
                found.append(Attachment(NOUNS.get(str(self.resource.get("Type")), "resource"),
                                        self.name, resource=True))
                continue
            node = _search(path, self.resource)
            where = self.where(self.at)
            for item in node if isinstance(node, list) else [node]:
                if item is None or is_no_value(item):
                    continue  # the property is absent
                for value in self.reader.values(item, where) or [Value(None, where)]:
                    found.append(_attachment(kind, value))
        found.extend(self.attaching)
        return tuple(dict.fromkeys(found))

    def _attributes(self, wanted: tuple[tuple[str, str], ...]) -> dict[str, Value]:
        properties = self.resource.get("Properties")
        found: dict[str, Value] = {}
        if not isinstance(properties, dict):
            return found
        for attribute, prop in wanted:
            if prop not in properties:
                continue
            at = self.at + ("Properties", prop)
            node = properties[prop]
            if isinstance(node, bool):
                values = [Value("true" if node else "false", self.where(at))]
            else:
                values = self.reader.values(node, self.where(at)) or [Value(None, self.where(at))]
            # The value that matters most: the one a rule would report (`true`), else the first.
            chosen = next((v for v in values if (v.text or "").lower() == "true"), values[0])
            shown = chosen.display or _written(self.template, node)
            found[attribute] = Value(chosen.text, self.where(at, key=True), f"{prop}: {shown}",
                                     chosen.kind, removal(self.where(at), f"remove {prop}",
                                                          not self.template.yaml,
                                                          len(properties) == 1))
        return found

    def _document(self, node: Any, where: Where, kind: str, note: str,
                  context: dict[str, Any]) -> Iterator[Policy]:
        if isinstance(node, dict) and function(node) is None:
            yield read_policy(node, where, self.reader, kind, self.name, note=note, **context)
            return
        if isinstance(node, str):
            yield from self._embedded(node, where, kind, note, context, None)
            return
        called = function(node)
        if called is None:
            return
        name, argument = called
        if name == "Fn::ToJsonString":
            yield from self._document(argument, where.child(name), kind, note, context)
        elif name == "Fn::Sub" and isinstance(argument, str):
            yield from self._embedded(argument, where.child(name), kind, note, context, {})
        elif name == "Fn::Sub" and isinstance(argument, list) and len(argument) == 2 \
                and isinstance(argument[0], str) and isinstance(argument[1], dict):
            yield from self._embedded(argument[0], where.child(name).child(0), kind, note,
                                      context, argument[1])

    def _embedded(self, text: str, where: Where, kind: str, note: str, context: dict[str, Any],
                  sub_variables: dict[str, Any] | None) -> Iterator[Policy]:
        """A policy written as a JSON string (plain, or the template of an Fn::Sub)."""
        try:
            inner, duplicates = parse_json(text)
        except ParseError as error:
            if sub_variables is None:
                # CloudFormation rejects it; a Sub template may only become JSON once substituted.
                at = embedded_error(where.doc, where.at, text, error.span.line, error.span.column)
                yield Policy(kind, self.name, where, (), problems=(not_json(error.message, at),),
                             note=note, **context)
            return
        embedded = EmbeddedJsonDocument(where.doc, where.at, text, inner)
        reader: Reader = Reader(duplicates) if sub_variables is None else IntrinsicReader(
            self.template, duplicates, sub_variables)
        written = fix.PLAIN_STRING if sub_variables is None else fix.SUB_STRING
        context = {**context, "narrow": fix.narrowing(self.template.yaml, written)}
        yield read_policy(inner, Where(embedded, ()), reader, kind, self.name,
                          note=note + " (written as a JSON string)", **context)

    def _sam_policies(self, node: Any, where: Where,
                      context: dict[str, Any]) -> Iterator[Policy]:
        """SAM's Policies: one entry or a list of managed policy names, policy documents and
        policy templates."""
        items = list(enumerate(node)) if isinstance(node, list) else [(None, node)]
        for index, item in items:
            item_where = where if index is None else where.child(index)
            for entry, entry_where in self.reader.nodes(item, item_where):
                if not isinstance(entry, dict) or function(entry) is not None:
                    continue  # a managed policy name or ARN
                if "Statement" in entry:
                    yield read_policy(entry, entry_where, self.reader, IDENTITY, self.name,
                                      note="a SAM inline policy: checked as identity policy",
                                      **context)
                elif len(entry) == 1:
                    ((template_name, parameters),) = entry.items()
                    if template_name in SAM_KMS_TEMPLATES and isinstance(parameters, dict):
                        yield from self._sam_template(template_name, parameters,
                                                      entry_where.child(template_name), context)

    def _sam_template(self, template_name: str, parameters: dict[str, Any], where: Where,
                      context: dict[str, Any]) -> Iterator[Policy]:
        if "KeyId" not in parameters:
            return
        key_id = parameters["KeyId"]
        key_where = where.child("KeyId")
        texts = self.reader.sub_texts(SAM_KMS_RESOURCE, {"keyId": key_id})
        shown = f"{template_name} with KeyId {_written(self.template, key_id)}"
        key_fix = Fix(f"KeyId: {self._key_id_fix(key_id)}")
        refers = next((v.refers for v in self.reader.values(key_id, key_where) or ()
                       if v.refers), None)
        # An alias as KeyId builds key/alias/NAME, which names no key: it is the alias name
        # in a place where only a key id works.
        resources = tuple(Value(_alias_in_key_arn(text) or text, key_where, shown, fix=key_fix,
                                refers=refers)
                          for text in texts) if texts else (Value(None, key_where, shown),)
        statement = Statement(
            where=where.as_key(), sid=None, effect="Allow",
            actions=tuple(Value(action, where.as_key(), f"{action} ({template_name})")
                          for action in SAM_KMS_TEMPLATES[template_name]),
            not_actions=None, resources=resources, not_resources=None, principals=None,
            not_principals=None, conditions=())
        yield Policy(IDENTITY, self.name, where, (statement,), version="2012-10-17",
                     note=f"SAM policy template {template_name}: checked as identity policy",
                     **context)

    def _key_id_fix(self, key_id: Any) -> str:
        called = function(key_id)
        if called is not None and called[0] == "Fn::GetAtt":
            target = called[1][0] if isinstance(called[1], list) else str(called[1]).split(".")[0]
            if self.template.yaml:
                return f"!Ref {target}"
            return f'{{"Ref": "{target}"}}'
        return "the key id (Ref of the key, or its KeyId attribute)"


def _alias_in_key_arn(text: str) -> str | None:
    """The alias name a SAM template's key ARN holds where the key id belongs."""
    head, found, alias = text.partition(":key/alias/")
    return "alias/" + alias if found else None


def _written(template: Template, node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, bool):
        return "true" if node else "false"
    return template.written(node)


def _may_be_absent(node: Any) -> bool:
    """Whether a property may be AWS::NoValue (directly or in a branch of an Fn::If)."""
    if is_no_value(node):
        return True
    called = function(node)
    if called is not None and called[0] == "Fn::If" and isinstance(called[1], list) \
            and len(called[1]) == 3:
        return _may_be_absent(called[1][1]) or _may_be_absent(called[1][2])
    return False


# JMESPath, with one function for CloudFormation's conditional structure -------------------------

_COMPILED: dict[str, Any] = {}
_OPTIONS: Any = None


def _search(expression: str, data: Any) -> Any:
    global _OPTIONS
    import jmespath

    if _OPTIONS is None:
        from jmespath import functions

        class Functions(functions.Functions):
            @functions.signature({"types": []})
            def _func_entries(self, node: Any) -> list[Any]:
                """The entries a list property may hold: both branches of each Fn::If, at the
                list and at each entry, AWS::NoValue dropped."""
                found: list[Any] = []
                for alternative in alternatives(node):
                    items = alternative if isinstance(alternative, list) else [alternative]
                    for item in items:
                        found.extend(alternatives(item))
                return found

        _OPTIONS = jmespath.Options(custom_functions=Functions())
    compiled = _COMPILED.get(expression)
    if compiled is None:
        compiled = _COMPILED[expression] = jmespath.compile(expression)
    return compiled.search(data, options=_OPTIONS)
