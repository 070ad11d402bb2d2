#!/usr/bin/env python3
"""list-tests.py -- every test's name in a checkout, collected statically, to
prove a reshuffle lost none (issue 13):

    python3 tests/tools/list-tests.py [ROOT]          one name a line, sorted
    python3 tests/tools/list-tests.py --diff OLD NEW  what is only in one side

Knows both layouts: today's tests/ tree and the one before it (app/tests,
scripts/emulator, scripts/image). Names, prefixed with their kind:
  cmocka    unit/FILE::TEST         every cmocka_unit_test*(TEST, ...) call,
                                    and test_sigv4.c's one test per folder
                                    of data/aws-sigv4 (named after it)
  unittest  SUITE::ID               unittest's loader (ids as discover makes
                                    them, relative to the suite's directory)
  terraform DIR/tests/FILE::RUN     every `run "RUN"` block of *.tftest.hcl
Python suites are loaded in a child per suite with the layout's own import
path (PYTHONPATH=tests, or nothing for the old layout, whose modules set
their own); a suite that cannot load is listed as such, not dropped.
Shell checks are not static: compare the ok/not ok lines of a run's logs.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys

# suite -> candidate directories, new layout first
SUITES = {
    "unit": ["tests/unit", "app/tests/unit"],
    "data": ["tests/data", "app/tests/data"],
    "integration": ["tests/integration", "app/tests/integration"],
    "emulator": ["tests/emulator", "scripts/emulator"],
    "image": ["tests/image", "scripts/image"],
}
CMOCKA = re.compile(r"cmocka_unit_test\w*\(\s*(\w+)")
RUN = re.compile(r'^\s*run\s+"([^"]+)"', re.M)

LOADER = r"""
import json, sys, unittest
def flat(s):
    if isinstance(s, unittest.TestSuite):
        for t in s:
            yield from flat(t)
    else:
        yield s
suite = unittest.defaultTestLoader.discover(sys.argv[1], pattern="test_*.py")
print(json.dumps([t.id() for t in flat(suite)]))
"""


def first_dir(root: str, suite: str) -> str | None:
    for d in SUITES[suite]:
        if os.path.isdir(os.path.join(root, d)):
            return d
    return None


def cmocka_names(root: str) -> list[str]:
    d = first_dir(root, "unit")
    out = []
    for path in sorted(glob.glob(os.path.join(root, d or "-", "test_*.c"))):
        with open(path, encoding="utf-8") as f:
            for name in CMOCKA.findall(f.read()):
                out.append(f"cmocka unit/{os.path.basename(path)}::{name}")
    data = first_dir(root, "data")
    for vec in sorted(glob.glob(os.path.join(root, data or "-", "aws-sigv4", "*", ""))):
        out.append(f"cmocka unit/test_sigv4.c::{os.path.basename(vec.rstrip(os.sep))}")
    return out


def unittest_names(root: str, suite: str, start: str) -> list[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if os.path.isdir(os.path.join(root, "tests", "lib")):
        env["PYTHONPATH"] = os.path.join(root, "tests")
    p = subprocess.run([sys.executable, "-c", LOADER, start], cwd=root, env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    if p.returncode != 0:
        return [f"unittest {suite}::(could not load: {p.stderr.strip().splitlines()[-1:]})"]
    ids = json.loads(p.stdout.strip().splitlines()[-1])
    return [f"unittest {suite}::{i}" for i in ids]


def python_suites(root: str) -> list[tuple[str, str]]:
    out = []
    for suite in ("integration", "emulator", "image"):
        d = first_dir(root, suite)
        if d:
            out.append((suite, d))
    for d in sorted(glob.glob(os.path.join(root, "infra", "**", "tests"), recursive=True)):
        if glob.glob(os.path.join(d, "test_*.py")):
            rel = os.path.relpath(d, root)
            out.append((rel, rel))
    return out


def terraform_names(root: str) -> list[str]:
    out = []
    pattern = os.path.join(root, "infra", "**", "*.tftest.hcl")
    for path in sorted(glob.glob(pattern, recursive=True)):
        with open(path, encoding="utf-8") as f:
            for name in RUN.findall(f.read()):
                out.append(f"terraform {os.path.relpath(path, root)}::{name}")
    return out


def collect(root: str) -> list[str]:
    names = cmocka_names(root) + terraform_names(root)
    for suite, d in python_suites(root):
        names += unittest_names(root, suite, d)
    return sorted(names)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--diff"] and len(argv) == 3:
        old, new = collect(argv[1]), collect(argv[2])
        gone = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        for n in gone:
            print(f"- {n}")
        for n in added:
            print(f"+ {n}")
        print(f"# {len(old)} before, {len(new)} after; {len(gone)} lost, {len(added)} new")
        return 1 if gone else 0
    if len(argv) > 1 or argv[:1] == ["--diff"]:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    for n in collect(root):
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
