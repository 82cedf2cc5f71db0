"""The sources: kinds of files that hold policies, and which hook reads which."""
from __future__ import annotations

import importlib

from kms_hooks.sources.base import Source

# Source name -> "module:class".  Order matters: the first source whose sniff and read accept a
# file reads it (a CloudFormation template also holds "Statement", so it goes before raw JSON).
SOURCES = {
    "raw": "kms_hooks.sources.raw:RawSource",
    "terraform": "kms_hooks.sources.terraform.source:TerraformSource",
    "cloudformation": "kms_hooks.sources.cloudformation.template:CloudFormationSource",
}
ORDER = ("cloudformation", "terraform", "raw")

# Console script -> the sources it reads.
HOOKS = {
    "kms-policies": ORDER,
    "kms-iam-policies": ("raw",),
    "kms-cloudformation": ("cloudformation",),
    "kms-terraform": ("terraform",),
}


def load(names: tuple[str, ...]) -> list[Source]:
    loaded: list[Source] = []
    for name in names:
        if name not in SOURCES:
            continue
        module, _, cls = SOURCES[name].partition(":")
        loaded.append(getattr(importlib.import_module(module), cls)())
    return loaded
