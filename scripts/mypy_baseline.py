#!/usr/bin/env python3
"""Type-check vfx, sam2 and effects with mypy against a baseline that only shrinks.

usage: python scripts/mypy_baseline.py            check (CI: .ci/run)
       python scripts/mypy_baseline.py --update   rewrite mypy-baseline.txt to today's errors

mypy-baseline.txt holds the errors the code had when the checker was added, one per line as
``path: [code]`` (no line numbers or messages, so edits elsewhere in a file and library
versions do not disturb it).
The check fails on any error beyond the baseline (new code must type-check), and also when
errors were fixed but the baseline still lists them, so that each fix is recorded and the
baseline only ever shrinks. ``--update`` refuses to add errors.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
_ERROR = re.compile(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: .*?\s+\[(?P<code>[\w-]+)\]$")


HEADER = "# mypy errors the code still has (scripts/mypy_baseline.py); this list only shrinks\n"


def current_errors() -> collections.Counter[str]:
    """mypy's errors (config: pyproject.toml [tool.mypy]) counted by ``path: [code]`` (messages
    quote library types, which change with numpy/torch versions, so they are not compared)."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    summary = run.stdout.strip().splitlines()[-1:] or [""]
    if run.returncode not in (0, 1) or not summary[0].startswith(("Success:", "Found ")):
        sys.exit(f"mypy did not run (is it installed? pip install -e '.[test]'):\n"
                 f"{run.stdout}{run.stderr}")
    found: collections.Counter[str] = collections.Counter()
    for line in run.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            found[f"{match['path']}: [{match['code']}]"] += 1
    return found


def main() -> int:
    found = current_errors()
    known = collections.Counter(
        line for line in BASELINE.read_text().splitlines() if line and not line.startswith("#")
    ) if BASELINE.exists() else collections.Counter()
    new = found - known
    fixed = known - found
    if "--update" in sys.argv[1:]:
        if new and BASELINE.exists():
            print("refusing to add errors to the baseline; fix these instead:")
            print("\n".join(sorted(new.elements())))
            return 1
        BASELINE.write_text(HEADER + "".join(f"{e}\n" for e in sorted(found.elements())))
        print(f"baseline: {sum(found.values())} errors")
        return 0
    if new:
        print(f"mypy: {sum(new.values())} new type error(s) (run `python -m mypy` for lines):")
        print("\n".join(sorted(new.elements())))
    if fixed:
        print(f"mypy: {sum(fixed.values())} baseline error(s) are fixed; record it with "
              "`python scripts/mypy_baseline.py --update`")
    if new or fixed:
        return 1
    print(f"mypy: no errors beyond the baseline ({sum(found.values())} left to fix)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
