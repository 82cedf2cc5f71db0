"""Extraction, reference following and kinds work on the Terraform model alone: these tests
build modules by hand, as any reader (.tf.json, plan, HCL) would."""
from __future__ import annotations

from typing import Any

from kms_hooks.model import (
    ENDPOINT,
    IDENTITY,
    KEY,
    SPECIFIC,
    THIS_ACCOUNT,
    Grant,
    Policy,
    Span,
    Where,
)
from kms_hooks.sources.terraform.extract import content_kind, extract
from kms_hooks.sources.terraform.model import Attribute, Block, Expression, Module, Reference
from kms_hooks.sources.terraform.resolve import Resolver
from kms_hooks.sources.terraform.templates import parse_expression, parse_reference, parse_template


class PathDocument:
    """A document that knows positions only as paths: enough to build a model."""

    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def span(self, at: Any, key: bool = False) -> Span:
        return Span(1, 1, 1, 1)

    def pointer(self, at: Any) -> str:
        return "/".join(map(str, at))


def literal(doc: PathDocument, value: Any, *at: Any) -> Expression:
    return Expression(Where(doc, at), str(value), literal=value, is_literal=True)


def reference(doc: PathDocument, text: str, *at: Any) -> Expression:
    found = parse_reference(text)
    assert found is not None
    return Expression(Where(doc, at), text, reference=found)


def listed(doc: PathDocument, *items: Expression) -> Expression:
    return Expression(Where(doc, ()), "", items=items)


def block(doc: PathDocument, type_: str, labels: tuple[str, ...],
          blocks: tuple[Block, ...] = (), **attributes: Expression) -> Block:
    return Block(type_, labels, {name: Attribute(name, value, value.where)
                                 for name, value in attributes.items()},
                 blocks, Where(doc, (type_,) + labels))


def test_a_document_used_by_a_key_and_a_role_is_two_policies() -> None:
    doc = PathDocument("iam.tf")
    statement = block(doc, "statement", (), (
        block(doc, "principals", (), type=literal(doc, "*"),
              identifiers=listed(doc, literal(doc, "*"))),),
        actions=listed(doc, literal(doc, "kms:Decrypt")),
        resources=listed(doc, literal(doc, "*")))
    module = Module("m", [
        block(doc, "data", ("aws_iam_policy_document", "d"), (statement,)),
        block(doc, "resource", ("aws_kms_key", "k"),
              policy=reference(doc, "data.aws_iam_policy_document.d.json")),
        block(doc, "resource", ("aws_iam_role_policy", "r"),
              policy=reference(doc, "data.aws_iam_policy_document.d.json")),
    ])
    subjects = extract([module], ["iam.tf"])
    kinds = sorted((s.kind, s.name) for s in subjects if isinstance(s, Policy))
    assert kinds == [
        (IDENTITY, "data.aws_iam_policy_document.d (the policy of aws_iam_role_policy.r)"),
        (KEY, "data.aws_iam_policy_document.d (the policy of aws_kms_key.k)"),
    ]
    key = next(s for s in subjects if isinstance(s, Policy) and s.kind == KEY)
    assert key.known_source and key.version == "2012-10-17" and key.statements is not None
    only = key.statements[0]
    assert only.effect == "Allow"  # a document statement without effect allows
    assert only.principals is not None and only.principals[0].type == "*"
    # Nothing is reported for a file that was not passed.
    assert extract([module], ["other.tf"]) == []


def test_references_resolve_to_what_they_return() -> None:
    doc = PathDocument("main.tf")
    module = Module("m", [
        block(doc, "resource", ("aws_kms_alias", "a"), name=literal(doc, "alias/app")),
        block(doc, "data", ("aws_kms_key", "by_arn"), key_id=literal(
            doc, "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
        block(doc, "data", ("aws_kms_key", "by_alias"), key_id=literal(doc, "alias/other")),
        block(doc, "locals", (), policy_arn=reference(doc, "aws_kms_key.k[0].arn")),
    ])
    resolver = Resolver(module)

    def resolved(text: str) -> tuple[str | None, str | None, str | None]:
        value = resolver.value(reference(doc, text))
        return value.text, value.kind, value.fix.title if value.fix else None

    key_arn = f"arn:{SPECIFIC}:kms:{SPECIFIC}:{THIS_ACCOUNT}:key/{SPECIFIC}"
    assert resolved("aws_kms_key.k.arn") == (key_arn, "key-arn", None)
    assert resolved("aws_kms_replica_key.k.key_id") == (SPECIFIC, "key-id",
                                                         "aws_kms_replica_key.k.arn")
    assert resolved("aws_kms_key.k[\"x\"].id") == (SPECIFIC, "key-id", 'aws_kms_key.k["x"].arn')
    assert resolved("aws_kms_alias.a.arn") == (
        f"arn:{SPECIFIC}:kms:{SPECIFIC}:{THIS_ACCOUNT}:alias/app", "alias-arn",
        "aws_kms_alias.a.target_key_arn")
    assert resolved("aws_kms_alias.a.name") == ("alias/app", "alias-name", None)
    assert resolved("aws_kms_alias.a.target_key_arn") == (key_arn, "key-arn", None)
    assert resolved("aws_kms_alias.a.target_key_id")[1:] == ("key-id",
                                                             "aws_kms_alias.a.target_key_arn")
    assert resolved("data.aws_kms_key.by_arn.arn")[0] == \
        "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert resolved("data.aws_kms_key.by_alias.key_id") == ("alias/other", None, None)
    assert resolved("data.aws_kms_key.by_alias.id")[1] == "key-id"
    assert resolved("data.aws_kms_alias.x.target_key_arn") == (key_arn, "key-arn", None)
    assert resolved("data.aws_caller_identity.c.account_id") == (THIS_ACCOUNT, None, None)
    assert resolved("local.policy_arn") == (key_arn, "key-arn", None)
    for unknown in ("var.key_arn", "module.keys.arn", "data.aws_iam_role.r.arn", "local.nope",
                    "aws_kms_key.k", "aws_s3_bucket.b.arn"):
        assert resolved(unknown) == (None, None, None), unknown


def test_templates_resolve_their_interpolations() -> None:
    doc = PathDocument("main.tf.json")
    where = Where(doc, ())
    module = Module("m", [])
    value = Resolver(module).value(parse_template(
        "arn:aws:kms:${var.region}:${data.aws_caller_identity.c.account_id}:key/*", where))
    assert value.text == f"arn:aws:kms:{SPECIFIC}:{THIS_ACCOUNT}:key/*"
    assert value.display == "arn:aws:kms:${var.region}:${data.aws_caller_identity.c.account_id}" \
        ":key/*"


def test_the_template_parser() -> None:
    where = Where(PathDocument("x"), ())
    single = parse_template("${aws_kms_key.k.arn}", where)
    assert single.reference == Reference(("aws_kms_key", "k", "arn"))
    assert single.source == "${aws_kms_key.k.arn}"
    escaped = parse_template("arn:aws:kms:*:$${aws:PrincipalAccount}:key/*", where)
    assert escaped.is_literal and escaped.literal == "arn:aws:kms:*:${aws:PrincipalAccount}:key/*"
    mixed = parse_template("a-${ var.x }-b", where)
    assert mixed.template is not None and mixed.template[0] == "a-"
    assert isinstance(mixed.template[1], Expression)
    assert mixed.template[1].source == "${ var.x }" and mixed.template[2] == "-b"
    assert parse_template("%{ if var.x }a%{ endif }", where).template is None
    call = parse_expression('jsonencode({Version = "2012-10-17", "Statement" = [{a: 1}]})', where)
    assert call.call is not None and call.call[0] == "jsonencode"
    members = call.call[1][0].members
    assert members is not None and [name for name, _ in members] == ["Version", "Statement"]
    indexed = parse_expression('aws_kms_key.k["a"].arn', where).reference
    assert indexed is not None and indexed.parts == ("aws_kms_key", "k", '["a"]', "arn")
    assert indexed.text == 'aws_kms_key.k["a"].arn'
    unknown = parse_expression("var.a ? var.b : var.c", where)
    assert (unknown.reference, unknown.call, unknown.is_literal) == (None, None, False)
    assert parse_reference("data.aws_iam_policy_document.d") == Reference(
        ("data", "aws_iam_policy_document", "d"))
    assert parse_reference("var.a + 1") is None


def test_a_key_without_policy_has_the_default_one_and_an_endpoint_policy_resource_counts() -> None:
    doc = PathDocument("main.tf")
    module = Module("m", [
        block(doc, "resource", ("aws_kms_key", "k")),
        block(doc, "resource", ("aws_vpc_endpoint", "e"),
              service_name=literal(doc, "com.amazonaws.us-east-1.kms")),
        block(doc, "resource", ("aws_vpc_endpoint_policy", "p"),
              vpc_endpoint_id=reference(doc, "aws_vpc_endpoint.e.id"),
              policy=literal(doc, '{"Statement": []}')),
        block(doc, "resource", ("aws_kms_grant", "g"),
              operations=listed(doc, literal(doc, "Decrypt"))),
    ])
    subjects = extract([module], ["main.tf"])
    policies = {s.name: s for s in subjects if isinstance(s, Policy)}
    assert set(policies) == {"aws_kms_key.k", "aws_vpc_endpoint_policy.p"}
    assert policies["aws_kms_key.k"].statements is None
    endpoint = policies["aws_vpc_endpoint_policy.p"]
    assert endpoint.kind == ENDPOINT
    assert endpoint.attributes["service_name"].text == "com.amazonaws.us-east-1.kms"
    grants = [s for s in subjects if isinstance(s, Grant)]
    assert [g.name for g in grants] == ["aws_kms_grant.g"] and grants[0].constraints is None


def test_content_decides_the_kind_of_a_document_used_elsewhere() -> None:
    doc = PathDocument("main.tf")
    statement = block(doc, "statement", (), (
        block(doc, "principals", (), type=literal(doc, "AWS"),
              identifiers=listed(doc, literal(doc, "arn:aws:iam::111122223333:root"))),),
        actions=listed(doc, literal(doc, "kms:*")), resources=listed(doc, literal(doc, "*")))
    module = Module("m", [
        block(doc, "data", ("aws_iam_policy_document", "d"), (statement,)),
        block(doc, "module", ("kms",), policy=reference(doc, "data.aws_iam_policy_document.d.json")),
    ])
    (policy,) = extract([module], ["main.tf"])
    assert isinstance(policy, Policy) and policy.kind == KEY and not policy.known_source
    assert policy.note == "used by module.kms.policy: checked as a key policy by its content"
    assert policy.statements is not None and content_kind(policy.statements) == KEY
