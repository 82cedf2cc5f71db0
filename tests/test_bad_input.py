"""Bad input: each gets a located KMS001 finding or a one-line error, never a traceback, and the
other files are still checked.  Exit codes as interface.md says."""
from __future__ import annotations

import json
import pathlib

import pytest

from kms_hooks import engine
from kms_hooks.cli import exit_status, main, main_iam_policies
from kms_hooks.sources.base import SourceFile

# A file with one known finding, checked next to each bad one to show it is not skipped.
GOOD_TEXT = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",' \
    ' "Resource": "*"}]}\n'
GOOD_COLUMN = GOOD_TEXT.index('"*"') + 1
GOOD_FINDING = f':1:{GOOD_COLUMN}: KMS101 error: kms:Decrypt on "Resource": "*"'


@pytest.fixture
def other(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "other.json"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str,
        hook: object = main) -> tuple[int, list[str], str]:
    code = hook(list(args))  # type: ignore[operator]
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "internal error" not in captured.err
    return code, captured.out.splitlines(), captured.err


def reported_alone(capsys: pytest.CaptureFixture[str], bad: pathlib.Path, other: pathlib.Path,
                   finding: str) -> None:
    """`bad` gets exactly `finding`, and `other`, checked in the same run, its own finding."""
    code, out, _ = run(capsys, str(bad), str(other))
    assert code == 1
    assert out[0] == f"{bad}:{finding}"
    assert out[1].startswith(f"{other}{GOOD_FINDING}")
    assert len(out) == 2


def test_invalid_json_is_reported_where_the_parser_stopped(
        tmp_path: pathlib.Path, other: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Statement": [\n  {"Effect": "Allow",}\n]}\n', encoding="utf-8")
    reported_alone(capsys, bad, other, "2:22: KMS001 error: invalid JSON: Expecting property name "
                   "enclosed in double quotes")


def test_text_that_is_not_utf8_is_reported_at_the_first_bad_byte(
        tmp_path: pathlib.Path, other: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"Statement": [],\n "Sid": "caf\u00e9"}\n'.encode("latin-1"))
    reported_alone(capsys, bad, other, "2:13: KMS001 error: not UTF-8 text (byte 0xe9)")


@pytest.mark.parametrize("content", [b"", b"   \n\t\n", b"\xef\xbb\xbf\n"])
def test_an_empty_json_file_is_skipped_like_any_file_without_a_policy(
        tmp_path: pathlib.Path, other: pathlib.Path, capsys: pytest.CaptureFixture[str],
        content: bytes) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(content)
    code, out, err = run(capsys, str(empty), str(other))
    assert code == 1
    assert [line.split(":")[0] for line in out] == [str(other)]
    assert "empty" not in err
    code, out, err = run(capsys, "-v", str(empty))
    assert (code, out) == (0, [])
    assert f"{empty}: skipped: empty file" in err.splitlines()


def test_a_utf8_byte_order_mark_is_stripped_and_the_file_checked(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    marked = tmp_path / "bom.json"
    marked.write_bytes(b"\xef\xbb\xbf" + GOOD_TEXT.encode("utf-8"))
    code, out, _ = run(capsys, str(marked))
    assert code == 1
    # Columns count characters after the mark, as editors show them.
    assert out[0].startswith(f"{marked}{GOOD_FINDING}")


def test_a_50_mb_file_is_checked(tmp_path: pathlib.Path, other: pathlib.Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    statement = {"Effect": "Allow", "Action": [f"s3:GetObjectVersion{i}" for i in range(40)],
                 "Resource": "arn:aws:s3:::bucket/" + "k" * 400}
    count = 50 * 1024 * 1024 // len(json.dumps(statement, indent=1)) + 1
    document = {"Version": "2012-10-17",
                "Statement": [statement] * count
                + [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    big = tmp_path / "big.json"
    text = json.dumps(document, indent=1)
    big.write_text(text, encoding="utf-8")
    assert big.stat().st_size > 50 * 1024 * 1024
    line = text.count("\n", 0, text.rindex('"Resource": "*"')) + 1
    code, out, _ = run(capsys, str(big), str(other))
    assert code == 1
    assert out == [f"{big}:{line}:16: KMS101 error: kms:Decrypt on \"Resource\": \"*\" reaches "
                   "any KMS key, in any account, whose key policy lets this account use it; list "
                   "the key ARNs or arn:aws:kms:*:ACCOUNT:key/*",
                   out[1]]
    assert out[1].startswith(f"{other}{GOOD_FINDING}")


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"Statement": ', "}")])
def test_nesting_10000_levels_deep(tmp_path: pathlib.Path, other: pathlib.Path,
                                   capsys: pytest.CaptureFixture[str], opening: str,
                                   closing: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"Statement": ' + opening * 10_000 + "1" + closing * 10_000 + "}",
                    encoding="utf-8")
    reported_alone(capsys, deep, other, "1:1: KMS001 error: invalid JSON: nested too deeply to read")


def test_nesting_that_parses_is_checked(tmp_path: pathlib.Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    # Deep, but within what the parser takes: a condition value nested 500 lists deep.
    nested = tmp_path / "nested.json"
    nested.write_text(
        '{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",'
        ' "Condition": {"StringEquals": {"aws:ResourceAccount": ' + "[" * 500 + '"1"'
        + "]" * 500 + "}}}]}", encoding="utf-8")
    code, out, _ = run(capsys, str(nested))
    assert code == 1
    # A list inside the list of values is malformed, not a value that closes the perimeter.
    assert [line.split(": ")[1] for line in out] == ["KMS101 error", "KMS003 warning"]
    assert out[1].endswith('condition "aws:ResourceAccount" takes strings, numbers or booleans,'
                           " not an array")


def test_a_missing_path_is_a_usage_error(tmp_path: pathlib.Path, other: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A typo in a CI step (`kms-policies infra/` with no infra) must not pass as 0 findings.
    for missing in (tmp_path / "missing.json", tmp_path / "infra"):
        code, out, err = run(capsys, str(other), str(missing))
        assert (code, out) == (2, [])
        assert err == f"kms-policies: error: {missing}: no such file or directory\n"


def test_a_directory_without_policies_passes(tmp_path: pathlib.Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "package.json").write_text('{"name": "app", "version": "1.0.0"}')
    (folder / "tsconfig.json").write_text('{"compilerOptions": {"strict": true}}')
    (folder / "README.md").write_text("# app\n")
    code, out, err = run(capsys, "-v", str(folder))
    assert code == 0
    assert out == []
    assert err.splitlines()[-1] == "0 findings in 0 files with policies, 3 checked"


def test_an_empty_directory_passes(tmp_path: pathlib.Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tmp_path))
    assert (code, out) == (0, [])
    assert err.splitlines()[-1] == "0 findings in 0 files with policies, 0 checked"


def test_cli_outputs_missing_their_names_are_still_checked(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    # get-policy-version without VersionId, get-key-policy without PolicyName.
    version = tmp_path / "version.json"
    version.write_text(json.dumps({"PolicyVersion": {"Document": json.loads(GOOD_TEXT)}}))
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"Policy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]})}))
    code, out, _ = run(capsys, "--format", "json", str(version), str(key))
    assert code == 1
    found = json.loads("\n".join(out))
    assert sorted(f["rule"] for f in found) == ["KMS101", "KMS201", "KMS202"]


def test_a_parse_error_fails_whatever_the_threshold_except_never(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Statement": [', encoding="utf-8")
    assert run(capsys, "--fail-on", "error", str(bad))[0] == 1
    assert run(capsys, "--fail-on", "note", str(bad), hook=main_iam_policies)[0] == 1
    assert run(capsys, "--fail-on", "never", str(bad))[0] == 0


def test_usage_errors_exit_2(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--fail-on", "sometimes", str(tmp_path)])
    assert raised.value.code == 2
    assert run(capsys, "--trusted-account", "12345", str(tmp_path))[0] == 2
    assert run(capsys, "--select", "KMS999", str(tmp_path))[0] == 2


class _BrokenSource:
    """A source with a bug: it fails on the files it claims."""

    name = "broken"

    def sniff(self, file: SourceFile) -> bool:
        return file.path.endswith("trips.json")

    def read(self, file: SourceFile) -> None:
        raise KeyError("Statement")


def test_an_internal_error_is_one_line_naming_the_file_and_fails(
        tmp_path: pathlib.Path, other: pathlib.Path) -> None:
    trips = tmp_path / "trips.json"
    trips.write_text(GOOD_TEXT, encoding="utf-8")
    outcome = engine.run([SourceFile(str(trips)), SourceFile(str(other))],
                         engine.Options(sources=("raw",), extra_sources=(_BrokenSource(),)))
    assert outcome.errors == [f"{trips}: internal error: KeyError: 'Statement'"]
    assert [(f.where.doc.path, f.rule) for f in outcome.findings] == [(str(other), "KMS101")]
    assert exit_status(outcome, "never") == exit_status(outcome, "error") == 1
