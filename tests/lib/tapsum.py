"""Counts one step's TAP output for tests/run; exact or the step fails.

    python3 -m lib.tapsum LOG EXIT_STATUS
prints one line: `PASSED FAILED SKIPPED NOTE`.

Counted: top-level `ok` / `not ok` lines (`# SKIP` makes an ok a skip) and
plans `1..N` (a step may print several: one per cmocka binary, one per
unittest run; they add up). `1..0 # SKIP reason` is a skipped step: one
skip, with its reason. The step fails, with one failure more and the
reason in NOTE, when it
  - reported nothing (no plan, no test line),
  - saw a different number of test lines than its plans announced (a test
    binary that crashed half-way, a test lost between collection and run),
  - exited non-zero although every line it printed was `ok`.
Indented lines (subtests, YAML blocks) and `#` comments are not counted.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

PLAN = re.compile(r"^1\.\.(\d+)(?:\s*#\s*SKIP\b\s*(.*))?\s*$", re.I)
TEST = re.compile(r"^(not ok|ok)\b(.*)$")
SKIP = re.compile(r"#\s*SKIP\b\s*(.*)$", re.I)


@dataclass
class Count:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    planned: int = 0
    plans: int = 0
    skip_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.passed + self.failed + self.skipped


def count_lines(lines: list[str]) -> Count:
    c = Count()
    for raw in lines:
        line = raw.rstrip("\r\n")
        m = PLAN.match(line)
        if m:
            c.plans += 1
            c.planned += int(m.group(1))
            if int(m.group(1)) == 0 and m.group(2) is not None:
                c.skip_reasons.append(m.group(2).strip())
            continue
        m = TEST.match(line)
        if not m:
            continue
        if m.group(1) == "not ok":
            c.failed += 1
        elif SKIP.search(m.group(2)):
            c.skipped += 1
        else:
            c.passed += 1
    return c


def judge(c: Count, rc: int) -> Count:
    if c.plans == 0 and c.seen == 0:
        c.failed += 1
        c.notes.append("reported no TAP (no plan, no test line)")
        return c
    if c.planned == 0 and c.seen == 0 and c.skip_reasons:
        c.skipped += 1  # a skipped step counts as one skipped test
        c.notes.append("skipped: " + c.skip_reasons[0])
        if rc != 0:
            c.failed += 1
            c.notes.append(f"exit status {rc} after skipping")
        return c
    seen = c.seen
    if c.plans == 0:
        c.failed += 1
        c.notes.append(f"no plan (1..N) for its {seen} test lines")
    elif c.planned != seen:
        c.failed += 1
        c.notes.append(f"plan announced {c.planned} tests, {seen} reported")
    if rc != 0 and c.failed == 0:
        c.failed += 1
        c.notes.append(f"exit status {rc} with every test ok")
    return c


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python3 -m lib.tapsum LOG EXIT_STATUS", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        c = judge(count_lines(f.readlines()), int(argv[2]))
    print(c.passed, c.failed, c.skipped, "; ".join(c.notes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
