"""Times the tool against plain baselines: runs every bench/suite_*.py and prints each row.

    python bench/bench.py            # every suite
    python bench/bench.py raw git    # only suite_raw.py and suite_git.py

Each suite module exposes `run() -> list[tuple[str, float, str, float]]`: rows of (label, tool
seconds, baseline label, baseline seconds).  A suite whose data is absent returns no rows.
Timings are for people to read; no test asserts them.
"""
from __future__ import annotations

import importlib.util
import pathlib
import sys
from typing import Sequence

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

Row = tuple[str, float, str, float]


def suites(names: Sequence[str] = ()) -> list[pathlib.Path]:
    found = sorted(HERE.glob("suite_*.py"))
    if names:
        found = [p for p in found if p.stem[len("suite_"):] in names]
    return found


def load(path: pathlib.Path) -> object:
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def format_row(row: Row) -> str:
    label, tool, baseline_label, baseline = row
    ratio = f"{tool / baseline:6.2f}x" if baseline > 0 else "     -"
    return (f"{label:<48} {tool * 1000:9.1f} ms  vs {baseline_label:<34} "
            f"{baseline * 1000:9.1f} ms  ratio {ratio}  diff {(tool - baseline) * 1000:+8.1f} ms")


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, str(ROOT))
    paths = suites(names)
    if not paths:
        print("no suite found", file=sys.stderr)
        return 2
    for path in paths:
        print(f"# {path.name}", flush=True)
        rows: list[Row] = load(path).run()  # type: ignore[attr-defined]
        if not rows:
            print("  (skipped: its data is absent)")
        for row in rows:
            print(format_row(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
