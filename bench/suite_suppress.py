"""Suppression comments: a generated `.tf` file and a generated template of 1,000 and 2,000
resources, each resource with a finding and a `kms-hooks:ignore` comment above it, against the
same file whose comments are not directives (`kms-hookz:`): the same bytes to parse, and no
directive to find.  The difference is what finding and applying the suppressions costs; from
1,000 to 2,000 resources it should double, not quadruple.

Each figure is the median of several runs, each in a fresh process, timed inside the process
(imports included, interpreter start excluded), as in suite_raw.py.
"""
from __future__ import annotations

import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from suite_raw import timed_inside, tool_program  # noqa: E402  (the same way of timing)

RUNS = 5
TOOL = tool_program("main")
SIZES = (1000, 2000)


def _hcl(count: int) -> str:
    return "".join(f"""
# kms-hooks:ignore=KMS101 reads keys shared by every account
resource "aws_iam_role_policy" "p{index}" {{
  role = "r{index}"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["kms:Decrypt"], Resource = "*" }}]
  }})
}}
""" for index in range(count))


def _yaml(count: int) -> str:
    return "Resources:\n" + "".join(f"""\
  # kms-hooks:ignore=KMS101 reads keys shared by every account
  Policy{index}:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p{index}
      Roles: [r{index}]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: "*"
""" for index in range(count))


def run() -> list[tuple[str, float, str, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind, name, make in (("HCL", "main.tf", _hcl), ("YAML", "template.yaml", _yaml)):
            for count in SIZES:
                text = make(count)
                timed = []
                for variant, written in (("on", text), ("off", text.replace("kms-hooks:",
                                                                            "kms-hookz:"))):
                    folder = pathlib.Path(scratch) / f"{kind}-{count}-{variant}"
                    folder.mkdir()
                    (folder / name).write_text(written)
                    timed.append(timed_inside(TOOL, folder / name, RUNS))
                rows.append((f"{kind}, {count:,} resources, each suppressed", timed[0],
                             "the same, comments not directives", timed[1]))
    return rows
