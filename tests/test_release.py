"""A release a user can pin: the README names this version everywhere, the changelog describes
it, and the README's pre-commit snippet, as written but for the repository URL, works against a
clone of this repository at that tag."""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

from kms_hooks import __url__, __version__
from tests.hookrepo import ROOT, Shell, readme_rev

README = (ROOT / "README.md").read_text(encoding="utf-8")
TAG = f"v{__version__}"
# A policy whose "*" on line 6, column 17 is a KMS101 error.
BAD = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
       '    "Action": "kms:Decrypt",\n    "Resource": "*"\n  }]\n}\n')


def test_every_pin_in_the_readme_names_this_version() -> None:
    assert readme_rev() == TAG
    pins = re.findall(r"^\s+rev: (\S+)$", README, re.M)
    pins += re.findall(re.escape(__url__) + r"@(\S+?)[\"\s]", README)
    pins += re.findall(r"uses: " + re.escape(__url__.split("github.com/")[1]) + r"@(\S+)$",
                       README, re.M)
    assert len(pins) >= 3 and set(pins) == {TAG}, pins


def test_the_changelog_describes_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## (\S+)", changelog, re.M)
    assert first is not None and first.group(1).lstrip("v[").rstrip("]") == __version__


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")
def test_readme_snippet_against_a_clone_at_the_tag(shell: Shell, tmp_path: pathlib.Path) -> None:
    """What a user gets: a clone of this repository (committed content only), its tag.  Until
    the release commit is tagged, the commit to be tagged is this one: it must carry the
    version, and the clone is tagged as the release will be."""
    clone = tmp_path / "kms-hooks"
    done = subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], capture_output=True,
                          text=True, env=shell.env)
    assert done.returncode == 0, done.stderr
    tagged = subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{TAG}"],
                            cwd=clone, capture_output=True, text=True, env=shell.env)
    if tagged.returncode != 0:
        shell.git(clone, "tag", TAG)
    at_tag = shell.git(clone, "show", f"{TAG}:kms_hooks/__init__.py")
    assert f'__version__ = "{__version__}"' in at_tag

    start = README.index("\n## Use it with pre-commit\n")
    [snippet] = re.findall(r"^```yaml\n(.*?)^```$", README[start:README.index("\n## ", start + 1)],
                           re.S | re.M)
    assert __url__ in snippet
    repo = shell.new_repo(tmp_path / "app", {
        ".pre-commit-config.yaml": snippet.replace(__url__, str(clone)),
        "iam/reader.json": BAD, "stacks/notes.template": "Resources are AWS:: types\n"})
    shell.git(repo, "add", "-A")
    done = shell("pre-commit run --all-files", repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "iam/reader.json:6:17: KMS101 error" in done.stdout
    assert "notes.template" not in done.stdout
