"""The HCL reader: `.tf` text into the Terraform model, with exact positions."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from kms_hooks.documents import EmbeddedJsonDocument
from kms_hooks.model import Span, Where
from kms_hooks.sources.base import SourceFile
from kms_hooks.sources.terraform.hcl import HclFile, read_file, read_hcl
from kms_hooks.sources.terraform.model import Block, Expression, Reference

ROOT = pathlib.Path(__file__).resolve().parent.parent
READER = ROOT / "fixtures" / "terraform-hcl" / "reader"


def read(name: str) -> HclFile:
    path = READER / name
    return read_hcl(str(path), path.read_text())


def read_text(text: str) -> HclFile:
    return read_hcl("main.tf", text)


def at(where: Where) -> tuple[int, int]:
    span = where.span()
    return span.line, span.column


def block(file: HclFile, *signature: str) -> Block:
    for found in file.blocks:
        if (found.type, *found.labels) == signature:
            return found
    raise AssertionError(f"no block {signature}")


def embedded(expression: Expression) -> EmbeddedJsonDocument:
    """The JSON held in a string or template (its source: interpolations as written), with
    positions mapped through the outer document."""
    text = expression.source
    return EmbeddedJsonDocument(expression.where.doc, expression.where.at, text, json.loads(text))


@pytest.fixture(scope="module")
def forms() -> HclFile:
    return read("forms.tf")


def test_blocks_labels_and_addresses(forms: HclFile) -> None:
    assert forms.error is None
    assert [(b.type, b.labels, b.address) for b in forms.blocks] == [
        ("resource", ("aws_kms_key", "data"), "aws_kms_key.data"),
        ("resource", ("aws_iam_policy", "reader"), "aws_iam_policy.reader"),
        ("resource", ("aws_iam_role_policy", "inline"), "aws_iam_role_policy.inline"),
        ("data", ("aws_iam_policy_document", "doc"), "data.aws_iam_policy_document.doc"),
        ("module", ("app",), "module.app"),
    ]
    key = block(forms, "resource", "aws_kms_key", "data")
    assert key.where.span() == Span(2, 1, 19, 2)
    assert key.where.as_key().span() == Span(2, 1, 2, 30)  # the header: type and labels
    assert key.where.pointer() == "resource.aws_kms_key.data"


def test_attribute_name_and_value_positions(forms: HclFile) -> None:
    key = block(forms, "resource", "aws_kms_key", "data")
    bypass = key.attributes["bypass_policy_lockout_safety_check"]
    assert bypass.where.span() == Span(4, 3, 4, 37)
    assert bypass.value.is_literal and bypass.value.literal is True
    assert at(bypass.value.where) == (4, 40)
    days = key.attributes["deletion_window_in_days"].value
    assert days.literal == 7 and at(days.where) == (5, 40)
    assert key.attributes["description"].value.literal == "data key"


def test_flush_heredoc_json_maps_to_the_file_lines(forms: HclFile) -> None:
    policy = block(forms, "resource", "aws_kms_key", "data").attributes["policy"].value
    assert policy.template is not None
    assert policy.template[0].startswith('{\n  "Version": "2012-10-17",')  # indentation removed
    account = policy.template[1]
    assert isinstance(account, Expression) and account.reference == Reference(
        ("data", "aws_caller_identity", "current", "account_id"))
    assert at(account.where) == (12, 48)  # the expression inside "${"
    document = embedded(policy)
    assert document.span(("Statement", 0, "Action")) == Span(13, 21, 13, 28)
    assert document.span(("Statement", 0, "Action"), key=True) == Span(13, 11, 13, 19)
    assert document.span(("Statement", 0, "Principal", "AWS")) == Span(12, 32, 12, 98)
    assert document.span(("Statement", 0, "Resource")) == Span(14, 23, 14, 26)
    assert document.pointer(("Statement", 0)) == "resource.aws_kms_key.data.policy/Statement/0"


def test_jsonencode_object_members_and_items_keep_positions(forms: HclFile) -> None:
    policy = block(forms, "resource", "aws_iam_policy", "reader").attributes["policy"].value
    assert policy.call is not None
    name, (argument,) = policy.call
    assert name == "jsonencode"
    assert argument.members is not None
    members = dict(argument.members)
    assert members["Version"].literal == "2012-10-17"
    statements = members["Statement"].items
    assert statements is not None and statements[0].members is not None
    statement = dict(statements[0].members)
    actions = statement["Action"].items
    assert actions is not None
    assert [a.literal for a in actions] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert at(actions[1].where) == (27, 34)
    resources = statement["Resource"].items
    assert resources is not None
    assert resources[0].reference == Reference(("aws_kms_key", "data", "arn"))
    assert at(resources[0].where) == (28, 19) and at(resources[1].where) == (28, 41)
    # A child path under the argument, as the extraction builds it with Where.child().
    assert argument.where.child("Statement").child(0).child("Action").child(1).span() == \
        Span(27, 34, 27, 55)
    assert argument.where.child("Statement").child(0).child("Effect").as_key().span() == \
        Span(26, 7, 26, 13)
    condition = dict(dict(statement["Condition"].members or ())["StringEquals"].members or ())
    assert condition["aws:PrincipalOrgID"].reference == Reference(("var", "org"))
    assert condition["aws:PrincipalOrgID"].where.pointer() == (
        'resource.aws_iam_policy.reader.policy.jsonencode().Statement[0].Condition.StringEquals'
        '["aws:PrincipalOrgID"]')


def test_template_parts_and_single_interpolation(forms: HclFile) -> None:
    reader = block(forms, "resource", "aws_iam_policy", "reader")
    name = reader.attributes["name"].value
    assert name.template is not None and name.template[0] == "reader-"
    assert isinstance(name.template[1], Expression)
    assert name.template[1].reference == Reference(("var", "env"))
    document = block(forms, "data", "aws_iam_policy_document", "doc")
    resources = document.blocks[0].attributes["resources"].value.items
    assert resources is not None
    # "${aws_kms_alias.data.arn}" is the reference itself, placed at the string.
    assert resources[0].reference == Reference(("aws_kms_alias", "data", "arn"))
    assert resources[0].source == "${aws_kms_alias.data.arn}"
    assert resources[0].where.span() == Span(45, 18, 45, 45)
    assert resources[1].reference == Reference(("aws_kms_key", "data", "keys", "[0]", "arn"))
    assert resources[1].reference.text == "aws_kms_key.data.keys[0].arn"
    assert resources[2].reference == Reference(("local", "arns", "[*]", "arn"))


def test_quoted_json_string_maps_through_escapes(forms: HclFile) -> None:
    policy = block(forms, "resource", "aws_iam_role_policy", "inline").attributes["policy"].value
    assert policy.template is not None
    key_id = policy.template[1]
    assert isinstance(key_id, Expression)
    assert key_id.reference == Reference(("aws_kms_key", "data", "key_id"))
    document = embedded(policy)
    assert document.span(("Statement", 0, "Action")) == Span(38, 66, 38, 81)
    assert document.span(("Statement", 0, "Resource")) == Span(38, 97, 38, 127)


def test_nested_and_dynamic_blocks(forms: HclFile) -> None:
    document = block(forms, "data", "aws_iam_policy_document", "doc")
    assert [(b.type, b.labels) for b in document.blocks] == [
        ("statement", ()), ("dynamic", ("statement",)), ("statement", ())]
    first, dynamic, last = document.blocks
    assert first.attributes["sid"].value.literal == "Use"
    assert first.attributes["actions"].where.pointer() == \
        "data.aws_iam_policy_document.doc.statement[0].actions"
    assert last.where.pointer() == "data.aws_iam_policy_document.doc.statement[1]"
    assert at(last.where) == (53, 3)
    assert dynamic.where.pointer() == "data.aws_iam_policy_document.doc.dynamic.statement[0]"
    assert dynamic.blocks[0].type == "content"
    effect = last.attributes["effect"].value  # a conditional: unknown
    assert effect.source == 'var.deny ? "Deny" : "Allow"'
    assert (effect.literal, effect.is_literal, effect.template, effect.reference, effect.call) == \
        (None, False, None, None, None)


def test_file_call_with_path_module(forms: HclFile) -> None:
    policy = block(forms, "module", "app").attributes["policy"].value
    assert policy.call is not None
    name, (path,) = policy.call
    assert name == "file"
    assert path.template is not None
    assert isinstance(path.template[0], Expression)
    assert path.template[0].reference == Reference(("path", "module"))
    assert path.template[1] == "/policies/app.json"
    assert at(path.where) == (60, 17)


def test_plain_heredoc_keeps_indentation_and_any_delimiter() -> None:
    file = read_text('resource "a" "b" {\n  x = <<END_OF_POLICY\n  {"Action": "kms:Decrypt"}\n'
                     'END_OF_POLICY\n}\n')
    value = file.blocks[0].attributes["x"].value
    assert value.literal == '  {"Action": "kms:Decrypt"}\n'
    assert embedded(value).span(("Action",)) == Span(3, 14, 3, 27)


def test_flush_heredoc_with_tabs_blank_lines_and_interpolation_at_line_start() -> None:
    file = read_text('resource "a" "b" {\n  x = <<-EOT\n\t\t${var.a}\n\t\t\n\t\t  {"A": 1}\n\tEOT\n}\n')
    value = file.blocks[0].attributes["x"].value
    # The least-indented line starts with an interpolation after two tabs: two are removed;
    # the whitespace-only line does not count and is kept as written.
    assert value.template is not None
    assert value.template[1:] == ('\n\t\t\n  {"A": 1}\n',)
    offsets = value.where.doc.string_offsets(value.where.at)  # type: ignore[attr-defined]
    assert offsets is not None
    text = value.source
    assert text == '${var.a}\n\t\t\n  {"A": 1}\n'
    assert len(offsets) == len(text) + 1
    brace = text.index('{"A"')
    assert value.where.doc.line_map.line_col(offsets[brace]) == (5, 5)  # type: ignore


def test_escapes_and_literal_dollar_braces() -> None:
    file = read_text('locals {\n  a = "x\\"y\\\\z\\u00e9\\n"\n  b = "arn:$${aws:username}"\n'
                     '  c = <<EOF\n$${aws:PrincipalAccount} %%{x} \\n\nEOF\n}\n')
    attributes = file.blocks[0].attributes
    assert attributes["a"].value.literal == 'x"y\\z\u00e9\n'
    assert attributes["b"].value.literal == "arn:${aws:username}"
    assert attributes["c"].value.literal == "${aws:PrincipalAccount} %{x} \\n\n"


def test_source_keeps_escaped_dollars_and_maps_past_them() -> None:
    file = read_text('resource "a" "b" {\n  policy = <<-EOF\n    {"Resource": "x/$${aws:username}",\n'
                     '     "Action": "kms:Decrypt"}\n  EOF\n}\n')
    value = file.blocks[0].attributes["policy"].value
    assert value.literal == '{"Resource": "x/${aws:username}",\n "Action": "kms:Decrypt"}\n'
    assert value.source == '{"Resource": "x/$${aws:username}",\n "Action": "kms:Decrypt"}\n'
    document = embedded(value)
    assert document.span(("Resource",)) == Span(3, 18, 3, 38)
    assert document.span(("Action",)) == Span(4, 16, 4, 29)


def test_columns_count_characters_not_bytes() -> None:
    file = read_text('locals {\n  é = "ü"\n  k = aws_kms_key.k.arn\n  n = "ä${var.x}"\n}\n')
    attributes = file.blocks[0].attributes
    assert attributes["é"].where.span() == Span(2, 3, 2, 4)
    assert attributes["é"].value.where.span() == Span(2, 7, 2, 10)
    template = attributes["n"].value.template
    assert template is not None and isinstance(template[1], Expression)
    assert at(template[1].where) == (4, 11)


def test_templates_with_directives_are_unknown() -> None:
    file = read_text('locals {\n  a = "%{ if var.x }kms:*%{ endif }"\n}\n')
    value = file.blocks[0].attributes["a"].value
    assert (value.is_literal, value.template, value.reference) == (False, None, None)
    assert value.source == '"%{ if var.x }kms:*%{ endif }"'


def test_strip_markers_trim_the_literal_beside_them() -> None:
    file = read_text('locals {\n  a = "x  ${~ var.y ~}  z"\n}\n')
    assert file.blocks[0].attributes["a"].value.template == (
        "x", file.blocks[0].attributes["a"].value.template[1], "z")  # type: ignore[index]


def test_repeated_top_level_blocks_get_their_own_paths() -> None:
    file = read_text('locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n')
    first, second = file.blocks
    assert first.attributes["a"].where.pointer() == "locals.a"
    assert second.attributes["a"].where.pointer() == "locals[1].a"
    assert at(second.attributes["a"].value.where) == (5, 7)


def test_syntax_error_reported_at_first_error_and_valid_blocks_kept() -> None:
    file = read("broken.tf")
    assert file.error == ("invalid HCL: unexpected 'policy = [1,'", Span(6, 3, 6, 15))
    assert [b.address for b in file.blocks] == ["aws_kms_key.first", "aws_iam_policy.after"]
    policy = file.blocks[1].attributes["name"].value
    assert policy.literal == "x"


def test_missing_token_is_reported() -> None:
    file = read_text('resource "aws_kms_key" "k" {\n  description = "x"\n')
    assert file.error is not None
    message, span = file.error
    assert message == "invalid HCL: missing '}'"
    assert (span.line, span.column) == (3, 1)
    assert file.blocks == []


def test_empty_file_has_no_blocks_and_no_error() -> None:
    assert read_text("").blocks == [] and read_text("# only a comment\n").error is None


def test_json_only_runs_do_not_import_the_parser(tmp_path: pathlib.Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", '
                      '"Resource": "*"}]}')
    script = ("import sys\nfrom kms_hooks.cli import main\nmain([sys.argv[1]])\n"
              "print(sorted(m for m in sys.modules if m.startswith('tree_sitter')))")
    result = subprocess.run([sys.executable, "-c", script, str(policy)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_read_file_records_the_syntax_error_and_returns_the_valid_blocks() -> None:
    file = SourceFile(str(READER / "broken.tf"))
    blocks = read_file(file)
    assert [b.address for b in blocks] == ["aws_kms_key.first", "aws_iam_policy.after"]
    assert [(e.message, e.span) for e in file.errors] == [
        ("invalid HCL: unexpected 'policy = [1,'", Span(6, 3, 6, 15))]
