"""Python unittest in TAP, the one format tests/run counts.

    python3 -m lib.tap [unittest arguments]   e.g.
    python3 -m lib.tap discover -s tests/integration -p 'test_*.py'
    python3 -m lib.tap tests/emulator/test_emu.py

Prints the plan `1..N` first (N = every test collected), then one line per
test: `ok n - id`, `not ok n - id` (the traceback follows as `#` lines) or
`ok n - id # SKIP reason`. A skip or error in setUpClass/setUpModule stops
unittest from running that class's tests without reporting them one by one;
here each of them gets its own line, so the plan still matches. An error in a
tearDown hook after its tests passed adds one `not ok` line: the plan no
longer matches and tests/run fails the step, which is what such an error
deserves. Exit status as unittest's: 0 only when nothing failed.
"""

from __future__ import annotations

import re
import sys
import unittest
from typing import Any, Iterator, TextIO

# unittest's name for a class- or module-level hook: "setUpClass (mod.Class)"
_HOOK = re.compile(r"^(\w+) \((.+)\)$")


def _flatten(suite: unittest.TestSuite | unittest.TestCase) -> Iterator[unittest.TestCase]:
    if isinstance(suite, unittest.TestSuite):
        for t in suite:
            yield from _flatten(t)
    else:
        yield suite


def _comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in text.rstrip("\n").split("\n"))


class TapResult(unittest.TestResult):
    """Prints each outcome as a TAP line as soon as it is known."""

    def __init__(self, stream: TextIO, planned: list[str]):
        super().__init__()
        self.stream = stream
        self.planned = planned
        self.reported: set[str] = set()
        self.n = 0

    def _line(self, ok: bool, name: str, tail: str = "", detail: str = "") -> None:
        self.n += 1
        self.reported.add(name)
        self.stream.write(f"{'ok' if ok else 'not ok'} {self.n} - {name}{tail}\n")
        if detail:
            self.stream.write(_comment(detail))
        self.stream.flush()

    def _hook_tests(self, test: Any) -> list[str] | None:
        """The unreported tests a failed class/module hook stands for."""
        m = _HOOK.match(str(test))
        if m is None or m.group(1) not in ("setUpClass", "setUpModule"):
            return None
        prefix = m.group(2) + "."
        return [t for t in self.planned if t.startswith(prefix) and t not in self.reported]

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        if not getattr(test, "_tap_failed", False):
            self._line(True, test.id())

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        for name in self._hook_tests(test) or [test.id() if hasattr(test, "id") else str(test)]:
            self._line(True, name, f" # SKIP {reason}")

    def _fail(self, test: Any, err: Any) -> None:
        detail = self._exc_info_to_string(err, test)
        names = self._hook_tests(test)
        for name in names or [test.id() if hasattr(test, "id") else str(test)]:
            self._line(False, name, detail=detail)

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        self._fail(test, err)

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._fail(test, err)

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None and not getattr(test, "_tap_failed", False):
            # One line per test: its first failing subtest marks it failed;
            # addSuccess is still called for the test and must stay quiet.
            test._tap_failed = True
            self._line(False, test.id(), detail=f"{subtest}\n" + self._exc_info_to_string(err, test))

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._line(True, test.id(), " # TODO expected failure")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self._line(False, test.id(), detail="unexpected success")


class TapRunner:
    """A unittest test runner (for unittest.main) that writes TAP."""

    def __init__(self, stream: TextIO | None = None, **_: Any):
        self.stream = stream or sys.stdout

    def run(self, test: unittest.TestSuite) -> TapResult:
        planned = [t.id() for t in _flatten(test)]
        self.stream.write(f"1..{len(planned)}\n")
        self.stream.flush()
        result = TapResult(self.stream, planned)
        unittest.registerResult(result)
        test(result)
        return result


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    unittest.main(module=None, argv=["python3 -m lib.tap", *args], testRunner=TapRunner)


if __name__ == "__main__":
    main()
