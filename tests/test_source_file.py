"""The file being checked: its tags, its content, and what it keeps once checked."""
from __future__ import annotations

import pathlib

import pytest
from identify.identify import tags_from_filename as identify_tags

from kms_hooks.sources.base import SourceFile, tags_from_filename


@pytest.mark.parametrize("name", [
    "policy.json", "POLICY.JSON", "template.yaml", "template.yml", "main.tf", "main.tf.json",
    "plan.json", ".babelrc", "Dockerfile", "Dockerfile.xenial", "README", "x.geojson",
    "archive.tar.gz", "notes.txt", ".json", "a.b.c.json", "package-lock.json", "Pipfile.lock",
])
def test_tags_are_identifys(name: str) -> None:
    assert tags_from_filename(name) == frozenset(identify_tags(name))


def test_content_is_read_whole_and_released_after_checking(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'{"Statement": []}' + b" " * 100_000)
    file = SourceFile(str(path))
    assert len(file.content) == 100_017
    assert file.json()[0] == {"Statement": []}
    file.release()
    assert file.cache == {}
    path.write_bytes(b"[]")
    assert file.text == "[]"  # read again from disk if asked


def test_content_given_by_the_caller_is_kept() -> None:
    file = SourceFile("staged.json", b'{"a": 1}')
    assert file.json()[0] == {"a": 1}
    file.release()
    assert file.text == '{"a": 1}'
