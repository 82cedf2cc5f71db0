"""Where policies live in Terraform, and what kind each one is.

This is the one extraction that every Terraform reader feeds (`.tf.json`, plan JSON, HCL): it
sees only the Terraform model (`kms_hooks.sources.terraform.model`), never a file format.

    extract(modules, reported) -> list[Subject]

`modules`: the Modules to read.  Each holds the top-level blocks of one module: every file of a
module directory (so that a reference from `kms.tf.json` to a data source in `iam.tf.json` is
followed), or one module instance of a plan.  Blocks are `resource`, `data` and `locals` blocks
as `Block("resource", ("aws_kms_key", "k"), ...)`; other block types are ignored.  A block's
`address` names it in messages (plans: `module.app.aws_iam_role_policy.batch`); without one the
name is built from its labels.

`reported`: the files whose findings are wanted (the files a hook was given).  Only subjects
with a location in one of them are returned: a policy whose statements, resource or resource
arguments (such as `bypass_policy_lockout_safety_check`) lie in such a file.  Paths are compared
after `os.path.normpath`.  A caller that extracts the same module for several reported files
should extract once with all of them, or drop subjects it already checked.

Returns `Policy` subjects (kind identity, key, endpoint or guardrail) and `Grant` subjects.
What a policy value can be:
- a JSON string (a literal, or a template whose interpolations are resolved): read as a policy,
  with positions inside the string mapped to the file where the reader's document allows it;
- a reference to `data.aws_iam_policy_document.X.json` (directly or through locals): that data
  source's statements, checked as the kind of every resource that uses it (one Policy per
  kind, grouped when the resources add nothing of their own), or as an identity policy when
  nothing uses it (a document with principals is read by its content, as a raw document is);
- `jsonencode({...})`, `file(...)`, `templatefile(...)`: read by `kms_hooks.sources.terraform.encoded`;
- anything else (`var.x`, a conditional): unknown; the Policy has no statements and `note`
  says what was not read (shown with -v).
A key or endpoint resource with no policy argument gets AWS's default policy: a Policy with
`statements=None`.
"""
from __future__ import annotations

import os
from kms_hooks.records import dataclass, field, replace

from kms_hooks.kms.facts import is_kms_action
from kms_hooks.model import (
    ENDPOINT,
    GUARDRAIL,
    IDENTITY,
    KEY,
    KEY_OR_ENDPOINT,
    SPECIFIC,
    THIS_ACCOUNT,
    Attachment,
    Grant,
    Policy,
    Statement,
    Subject,
    Value,
)
from kms_hooks.sources.base import joined_note
from kms_hooks.sources.terraform.fix import attribute_removal, narrowing
from kms_hooks.sources.terraform.model import Block, Expression, Module, Reference
from kms_hooks.sources.terraform.policies import POLICY_DOCUMENT, DocumentReader, policy
from kms_hooks.sources.terraform.resolve import OVER_BUDGET, Resolver
from kms_hooks.sources.terraform.strings import Document, read_json_string

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Collection, Iterable, Iterator


@dataclass(frozen=True)
class Fact:
    """A resource argument that rules read (Policy.attributes[name]), found by `path`
    (JMESPath on the resource); with `via`, `path` is a reference to another block, whose
    argument `via` holds the fact (an endpoint policy's service, from its endpoint)."""

    name: str
    path: str
    via: str | None = None


_BYPASS = Fact("bypass_policy_lockout_safety_check", "bypass_policy_lockout_safety_check")


@dataclass(frozen=True)
class Location:
    """Policies of `resource`: the objects selected by `holders` (JMESPath on the resource,
    `@` for the resource itself) hold the policy in argument `field`."""

    resource: str
    holders: str
    field: str
    kind: str
    # An absent policy means AWS's default one (keys, endpoints), not "no policy here".
    default: bool = False
    facts: tuple[Fact, ...] = ()
    # (argument, values): the resource holds a policy of this kind only for these values
    # (absent or unknown: yes).
    only_if: tuple[str, tuple[str, ...]] | None = None
    # What the policy is attached to (Policy.attached): (kind, argument of the resource that
    # names it), SELF for the resource itself.
    attached: tuple[tuple[str, str], ...] = ()


SELF = "@"


@dataclass(frozen=True)
class Attaches:
    """Resources that attach a policy resource from the other side: argument `policy` refers
    to the policy, `targets` (kind, argument) to what it is attached to (SELF: this resource)."""

    resource: str
    policy: str
    targets: tuple[tuple[str, str], ...]


ATTACHES = (
    Attaches("aws_iam_role_policy_attachment", "policy_arn", (("role", "role"),)),
    Attaches("aws_iam_user_policy_attachment", "policy_arn", (("user", "user"),)),
    Attaches("aws_iam_group_policy_attachment", "policy_arn", (("group", "group"),)),
    Attaches("aws_iam_policy_attachment", "policy_arn",
             (("role", "roles"), ("user", "users"), ("group", "groups"))),
    Attaches("aws_iam_role", "managed_policy_arns", (("role", SELF),)),
)

LOCATIONS: tuple[Location, ...] = (
    Location("aws_iam_policy", "@", "policy", IDENTITY),
    Location("aws_iam_role_policy", "@", "policy", IDENTITY, attached=(("role", "role"),)),
    Location("aws_iam_user_policy", "@", "policy", IDENTITY, attached=(("user", "user"),)),
    Location("aws_iam_group_policy", "@", "policy", IDENTITY, attached=(("group", "group"),)),
    Location("aws_iam_role", "inline_policy[]", "policy", IDENTITY, attached=(("role", SELF),)),
    Location("aws_ssoadmin_permission_set_inline_policy", "@", "inline_policy", IDENTITY,
             attached=(("permission set", "permission_set_arn"),)),
    Location("aws_kms_key", "@", "policy", KEY, default=True, facts=(_BYPASS,),
             attached=(("key", SELF),)),
    Location("aws_kms_replica_key", "@", "policy", KEY, default=True, facts=(_BYPASS,),
             attached=(("key", SELF),)),
    Location("aws_kms_external_key", "@", "policy", KEY, default=True, facts=(_BYPASS,),
             attached=(("key", SELF),)),
    Location("aws_kms_replica_external_key", "@", "policy", KEY, default=True,
             facts=(_BYPASS,), attached=(("key", SELF),)),
    Location("aws_kms_key_policy", "@", "policy", KEY, facts=(_BYPASS,),
             attached=(("key", "key_id"),)),
    Location("aws_vpc_endpoint", "@", "policy", ENDPOINT, default=True,
             facts=(Fact("service_name", "service_name"),), attached=(("endpoint", SELF),)),
    Location("aws_vpc_endpoint_policy", "@", "policy", ENDPOINT,
             facts=(Fact("service_name", "vpc_endpoint_id", via="service_name"),),
             attached=(("endpoint", "vpc_endpoint_id"),)),
    Location("aws_organizations_policy", "@", "content", GUARDRAIL,
             only_if=("type", ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"))),
)
GRANT_RESOURCE = "aws_kms_grant"

_ATTACHES: dict[str, list[Attaches]] = {}
for _attaches in ATTACHES:
    _ATTACHES.setdefault(_attaches.resource, []).append(_attaches)

_BY_RESOURCE: dict[str, list[Location]] = {}
for _location in LOCATIONS:
    _BY_RESOURCE.setdefault(_location.resource, []).append(_location)

# The resource and data source types extraction reads: readers of large inputs (plans) may
# build blocks for these alone.
RESOURCE_TYPES = frozenset(_BY_RESOURCE) | {GRANT_RESOURCE} | frozenset(_ATTACHES)
DATA_TYPES = frozenset({POLICY_DOCUMENT, "aws_kms_key", "aws_kms_alias", "aws_caller_identity",
                        "aws_partition", "aws_region", "aws_vpc_endpoint_service"})
REFERENCED_RESOURCE_TYPES = frozenset({"aws_kms_alias"})

_KIND_NAMES = {IDENTITY: "an identity policy", KEY: "a key policy", ENDPOINT: "an endpoint policy",
               GUARDRAIL: "a guardrail (organizations policy)",
               KEY_OR_ENDPOINT: "a key or endpoint policy"}


def extract(modules: Iterable[Module], reported: Collection[str],
            generated: bool = False) -> list[Subject]:
    """The policies and grants of Terraform modules that touch the reported files (see the
    module documentation); `generated` when the modules were read from a plan, whose policies
    are fixed where they come from."""
    wanted = {os.path.normpath(path) for path in reported}
    found: list[Subject] = []
    for module in modules:
        extraction = _Extraction(module)
        subjects = extraction.subjects()
        more = OVER_BUDGET if extraction.resolver.over_budget else None
        narrow = narrowing(module)
        for subject in subjects:
            if not touches(subject, wanted):
                continue
            # A file position alone does not say which resource, or which use of a shared
            # document, a finding is about: messages name it.  One copy of each subject with
            # all that it gains here (a plan has tens of thousands).
            note = joined_note(subject.note, more)
            found.append(replace(subject, name_in_messages=True, note=note, narrow=narrow,
                                 generated=generated or subject.generated)
                         if isinstance(subject, Policy) else
                         replace(subject, name_in_messages=True, note=note))
    return found


def touches(subject: Subject, paths: Collection[str]) -> bool:
    """Whether a subject has a location in one of `paths` (normalized)."""
    if os.path.normpath(subject.where.doc.path) in paths:
        return True  # most do where they are written: no need to gather the others
    return any(os.path.normpath(p) in paths for p in subject_paths(subject))


def subject_paths(subject: Subject) -> set[str]:
    """The files a subject's locations lie in."""
    paths = {subject.where.doc.path}
    if isinstance(subject, Policy):
        if subject.resource_where is not None:
            paths.add(subject.resource_where.doc.path)
        paths.update(value.where.doc.path for value in subject.attributes.values())
        paths.update(s.where.doc.path for s in subject.statements or ())
    return paths


@dataclass
class _Use:
    """A resource that uses a policy document data source as its policy."""

    kind: str
    resource: Block
    name: str
    facts: dict[str, Value]
    attached: tuple[Attachment, ...] = ()


@dataclass
class _Extraction:
    module: Module
    resolver: Resolver = field(init=False)
    documents: DocumentReader = field(init=False)
    uses: dict[int, list[_Use]] = field(default_factory=dict)
    # Policy resources attached from the other side, by id of the policy's block.
    attaching: dict[int, list[Attachment]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.module)
        self.documents = DocumentReader(self.resolver)

    def _attachments(self) -> None:
        for block in self.module.blocks:
            if block.type != "resource" or not block.labels:
                continue
            for attaches in _ATTACHES.get(block.labels[0], ()):
                written = block.get(attaches.policy)
                if written is None:
                    continue
                targets = [t for t in (self._referenced_block_of(v) for v in
                                       self.resolver.references(written)) if t is not None]
                if not targets:
                    targets = self._blocks_by_arn(written)
                if not targets:
                    continue
                found = [a for kind, argument in attaches.targets
                         for a in self._named(block, kind, argument)]
                for target in targets:
                    self.attaching.setdefault(id(target), []).extend(found)

    def _blocks_by_arn(self, written: Expression) -> list[Block]:
        """The resources whose `arn` is one of the ARNs written (a plan holds values, not
        references, for what exists already)."""
        arns = {v.text for v in self.resolver.values(written) if v.text is not None}
        found = []
        for block in self.module.blocks:
            arn = block.get("arn") if block.type == "resource" else None
            if arn is not None and arn.is_literal and arn.literal in arns:
                found.append(block)
        return found

    def _referenced_block_of(self, reference: Reference) -> Block | None:
        return self.resolver.target(reference)[0]

    def _named(self, block: Block, kind: str, argument: str) -> list[Attachment]:
        """What argument `argument` of `block` names (SELF: the block itself)."""
        if argument == SELF:
            return [Attachment(kind, block.name, resource=True)]
        written = block.get(argument)
        if written is None:
            return []
        found = []
        for value in self.resolver.values(written):
            if value.refers is not None:
                found.append(Attachment(kind, value.refers, resource=True))
            elif value.text is not None and SPECIFIC not in value.text \
                    and THIS_ACCOUNT not in value.text:
                found.append(Attachment(kind, value.text))
            else:
                found.append(Attachment(kind, None, value.shown))
        return found

    def _attached(self, location: Location, block: Block) -> tuple[Attachment, ...]:
        found = [a for kind, argument in location.attached
                 for a in self._named(block, kind, argument)]
        found.extend(self.attaching.get(id(block), ()))
        return tuple(dict.fromkeys(found))

    def subjects(self) -> list[Subject]:
        found: list[Subject] = []
        self._attachments()
        with_own_policy = self._endpoints_with_policy_resource()
        for block in self.module.blocks:
            if block.type != "resource" or not block.labels:
                continue
            if block.labels[0] == GRANT_RESOURCE:
                found.append(self._grant(block))
                continue
            for location in _BY_RESOURCE.get(block.labels[0], ()):
                found.extend(self._policies(location, block, id(block) in with_own_policy))
        found.extend(self._documents())
        return found

    # Resources -----------------------------------------------------------------------------

    def _endpoints_with_policy_resource(self) -> set[int]:
        """Endpoints whose policy an aws_vpc_endpoint_policy sets: not "without a policy"."""
        found: set[int] = set()
        for block in self.module.blocks:
            if block.type == "resource" and block.labels[:1] == ("aws_vpc_endpoint_policy",):
                target = self._referenced_block(block.get("vpc_endpoint_id"))
                if target is not None:
                    found.add(id(target))
        return found

    def _referenced_block(self, expression: Expression | None) -> Block | None:
        if expression is None:
            return None
        expression = self.resolver.follow(expression)
        if expression.reference is None:
            return None
        return self.resolver.target(expression.reference)[0]

    def _policies(self, location: Location, block: Block, policy_elsewhere: bool) -> Iterator[Policy]:
        if not self._applies(location, block):
            return
        facts = self._facts(location, block)
        attached = self._attached(location, block)
        for index, holder, suffix in _holders(location, block):
            name = block.name + suffix
            context: dict[str, Any] = dict(known_source=location.kind == KEY, attributes=facts,
                                           resource_where=block.where, attached=attached)
            written = holder.get(location.field)
            if written is None or (written.is_literal and written.literal is None):
                if location.default and not policy_elsewhere:
                    yield Policy(kind=location.kind, name=name, where=block.where,
                                 statements=None, note=f"no {location.field} argument: AWS's "
                                 f"default {_noun(location.kind)} applies", **context)
                continue
            followed = self.resolver.follow(written)
            target = self.documents.document_block(followed)
            if target is not None:
                self.uses.setdefault(id(target), []).append(
                    _Use(location.kind, block, name, facts, attached))
                continue
            written_as = f"{followed.call[0]}(...)" if followed.call is not None else "JSON"
            document = None
            if followed.call is not None:
                # Loaded only for policies written as function calls.
                from kms_hooks.sources.terraform.encoded import read_expression_policy

                document = read_expression_policy(followed, self.resolver, location.kind, name)
            if document is None and (followed.is_literal and isinstance(followed.literal, str)
                                     or followed.template is not None):
                document = read_json_string(followed, self.resolver, location.kind, name)
            if document is not None:
                if location.kind == GUARDRAIL and _not_a_policy(document):
                    continue  # an organizations policy of another type (tag, backup, ...)
                note = (f"{location.field}: {document.unknown}: not checked" if document.unknown
                        else f"{location.field} written as {written_as}: checked as "
                             f"{_KIND_NAMES[location.kind]}")
                if not document.complete:
                    note += " (statements written as expressions are not read)"
                yield policy(document, location.kind, name, followed.where, note=note, **context)
                continue
            shown = followed.source or written.source or "an expression"
            yield Policy(kind=location.kind, name=name, where=written.where, statements=(),
                         complete=False, note=f"{location.field} is {_short(shown)}, which is "
                         "not known here: not checked", **context)

    def _applies(self, location: Location, block: Block) -> bool:
        if location.only_if is None:
            return True
        argument, accepted = location.only_if
        written = block.get(argument)
        if written is None:
            return True
        text = self.resolver.value(written).text
        return text is None or text in accepted

    def _facts(self, location: Location, block: Block) -> dict[str, Value]:
        found: dict[str, Value] = {}
        view = _view(block)
        for fact in location.facts:
            expression = _search(fact.path, view)
            if not isinstance(expression, Expression):
                continue
            if fact.via is not None:
                target = self._referenced_block(expression)
                expression = target.get(fact.via) if target is not None else None
                if expression is None:
                    continue
            value = self.resolver.value(expression)
            shown = f"{fact.name} = {expression.source or value.text or '(unknown)'}" \
                if fact.via is None else None
            fix = attribute_removal(expression.where, fact.name) if fact.via is None \
                else value.fix
            found[fact.name] = Value(value.text, value.where, shown or value.display,
                                     value.kind, fix)
        return found

    def _grant(self, block: Block) -> Grant:
        operations_attribute = block.attributes.get("operations")
        operations = tuple(self.resolver.values(operations_attribute.value)) \
            if operations_attribute is not None else None
        constraints = block.nested("constraints")
        grantee = block.get("grantee_principal")
        key_id = block.get("key_id")
        return Grant(
            name=block.name, where=block.where, operations=operations,
            grantee=self.resolver.value(grantee) if grantee is not None else None,
            key_id=self.resolver.value(key_id) if key_id is not None else None,
            constraints=constraints[0].where if constraints else None,
            operations_where=operations_attribute.where if operations_attribute else None,
            note="a KMS grant")

    # Policy documents ----------------------------------------------------------------------

    def _documents(self) -> Iterator[Policy]:
        referrers = self._document_referrers()
        for block in self.module.blocks:
            if block.type != "data" or block.labels[:1] != (POLICY_DOCUMENT,):
                continue
            document = self.documents.read(block)
            uses = self.uses.get(id(block))
            if uses:
                yield from self._used(block, document, uses)
                continue
            inputs = [r for r in referrers.get(id(block), []) if r[1]]
            others = [r for r in referrers.get(id(block), []) if not r[1]]
            if inputs and not others:
                continue  # read as part of the documents that include it
            yield from self._unused(block, document, [name for name, _ in others])

    def _used(self, block: Block, document: Document, uses: list[_Use]) -> Iterator[Policy]:
        groups: dict[tuple[Any, ...], list[_Use]] = {}
        for use in uses:
            key = (use.kind,) + tuple(sorted(
                (name, value.text, id(value.where.doc), value.where.at)
                for name, value in use.facts.items()))
            groups.setdefault(key, []).append(use)
        for group in groups.values():
            first = group[0]
            users = ", ".join(u.name for u in group)
            kind_name = _KIND_NAMES[first.kind]
            note = (f"{document.unknown}: not checked" if document.unknown
                    else f"checked as {kind_name}")
            if not document.complete:
                note += (" (dynamic statement blocks are not expanded: what their content "
                         "writes without the iterator is checked)")
            attached = tuple(dict.fromkeys(a for use in group for a in use.attached))
            yield policy(document, first.kind, f"{block.name} (the policy of {users})",
                         block.where, note=note, known_source=first.kind == KEY,
                         attributes=first.facts, resource_where=first.resource.where,
                         attached=attached)

    def _unused(self, block: Block, document: Document, users: list[str]) -> Iterator[Policy]:
        where = "used by " + ", ".join(sorted(set(users))) if users else \
            "not used as the policy of any resource in this module"
        if document.unknown:
            yield policy(document, IDENTITY, block.name, block.where,
                         note=f"{where}; {document.unknown}: not checked")
            return
        principals = any(s.principals is not None or s.not_principals is not None
                         for s in document.statements)
        kind = content_kind(document.statements) if users or principals else IDENTITY
        if kind is None:
            yield policy(Document(unknown="other"), IDENTITY, block.name, block.where,
                         note=f"{where}, and by its content not a policy this tool checks")
            return
        yield policy(document, kind, block.name, block.where,
                     note=f"{where}: checked as {_KIND_NAMES[kind]}"
                     + (" by its content" if users or principals else ""))

    def _document_referrers(self) -> dict[int, list[tuple[str, bool]]]:
        """For each policy document: the blocks that refer to it outside the policy arguments
        already read, and whether as another document's source or override."""
        found: dict[int, list[tuple[str, bool]]] = {}
        pending: list[tuple[Block, Block]] = [(b, b) for b in self.module.blocks]
        while pending:
            top, block = pending.pop()
            is_document = top.type == "data" and top.labels[:1] == (POLICY_DOCUMENT,)
            for name, attribute in block.attributes.items():
                for reference in self.resolver.references(attribute.value):
                    target, _ = self.resolver.target(reference)
                    if target is None or target is top or target.type != "data" \
                            or target.labels[:1] != (POLICY_DOCUMENT,):
                        continue
                    as_input = is_document and "policy_documents" in name or name in (
                        "source_json", "override_json")
                    found.setdefault(id(target), []).append((f"{top.name}.{name}", as_input))
            pending.extend((top, nested) for nested in block.blocks)
        return found


def content_kind(statements: Iterable[Statement]) -> str | None:
    """The kind of a document read without a resource to say what it is, as for raw documents
    (see the rule catalog): no principal is identity; all Deny a guardrail; only kms: actions
    on "*" a key policy; KMS ARNs in its resources a key or endpoint policy; else not ours."""
    listed = list(statements)
    if not any(s.principals is not None or s.not_principals is not None for s in listed):
        return IDENTITY
    if listed and all(s.is_deny for s in listed):
        return GUARDRAIL
    actions = [v.text for s in listed for v in (s.actions or s.not_actions or ())]
    resources = [v.text for s in listed for v in (s.resources or s.not_resources or ())]
    if not actions or not all(a is not None and is_kms_action(a) for a in actions):
        if any(r is not None and r.startswith("arn:") and ":kms:" in r for r in resources):
            return KEY_OR_ENDPOINT
        return None
    if all(r == "*" for r in resources):
        return KEY
    return KEY_OR_ENDPOINT


def _not_a_policy(document: Document) -> bool:
    return not document.statements and any("Statement" in p.message for p in document.problems)


def _noun(kind: str) -> str:
    return {KEY: "key policy", ENDPOINT: "endpoint policy (full access)"}.get(kind, "policy")


def _short(text: str, most: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[: most - 3] + "..."


def _view(block: Block) -> dict[str, Any]:
    """A block as JMESPath sees it: arguments as values, nested blocks as lists of views."""
    view: dict[str, Any] = {name: a.value for name, a in block.attributes.items()}
    for nested in block.blocks:
        view.setdefault(nested.type, []).append(_view(nested))
    view[_BLOCK] = block  # the block itself, for the caller of a search
    return view


_BLOCK = "__block__"


def _search(path: str, view: dict[str, Any]) -> Any:
    """JMESPath on a block's view; the table's simple forms (`@`, `name`, `name[]`) are read
    directly, the same way JMESPath reads them, without loading it."""
    if path == "@":
        return view
    if path.isidentifier():
        return view.get(path)
    if path.endswith("[]") and path[:-2].isidentifier():
        found = view.get(path[:-2])
        return found if isinstance(found, list) else None
    import jmespath

    return jmespath.search(path, view)


def _holders(location: Location, block: Block) -> Iterator[tuple[int, Block, str]]:
    """The blocks holding a location's policy: the resource, or nested blocks
    (`inline_policy[]`), with the suffix that names them in messages."""
    found = _search(location.holders, _view(block))
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        return
    nested_index = 0
    for view in found:
        if not isinstance(view, dict) or not isinstance(view.get(_BLOCK), Block):
            continue
        holder: Block = view[_BLOCK]
        if holder is block:
            yield 0, holder, ""
        else:
            yield nested_index, holder, f".{holder.type}[{nested_index}]"
            nested_index += 1


