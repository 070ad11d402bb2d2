"""tests/run and its counters: the count is exact, and a step that reports
nothing, or not what its plan announced, fails (issue 13).

Run: PYTHONPATH=tests python3 -m unittest tests/lib/test_run.py
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import unittest

from lib import tap, tapsum

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def count(text: str, rc: int = 0) -> tuple[int, int, int, str]:
    c = tapsum.judge(tapsum.count_lines(text.splitlines(True)), rc)
    return c.passed, c.failed, c.skipped, "; ".join(c.notes)


class TapsumTest(unittest.TestCase):
    def test_counts_ok_not_ok_and_skip(self):
        text = "1..4\nok 1 - a\nnot ok 2 - b\n# detail\nok 3 - c # SKIP no tool\nok 4 - d\n"
        self.assertEqual(count(text, 1)[:3], (2, 1, 1))

    def test_plans_of_several_producers_add_up(self):
        text = "1..2\nok 1 - a\nok 2 - b\n# next binary\n1..1\nok 1 - c\n"
        self.assertEqual(count(text), (3, 0, 0, ""))

    def test_silent_step_fails(self):
        # The old runner counted a step printing nothing as one passed test.
        p, f, s, note = count("building...\ndone\n")
        self.assertEqual((p, f, s), (0, 1, 0))
        self.assertIn("no TAP", note)

    def test_plan_mismatch_fails(self):
        # A binary that crashed after its second test of five.
        p, f, s, note = count("1..5\nok 1 - a\nok 2 - b\n", 134)
        self.assertEqual((p, f), (2, 1))
        self.assertIn("announced 5", note)

    def test_lines_without_plan_fail(self):
        self.assertEqual(count("ok 1 - a\n")[:2], (1, 1))

    def test_nonzero_exit_with_all_ok_fails(self):
        p, f, s, note = count("1..1\nok 1 - a\n", 2)
        self.assertEqual((p, f), (1, 1))
        self.assertIn("exit status 2", note)

    def test_skipped_step_is_one_skip_with_its_reason(self):
        self.assertEqual(count("1..0 # SKIP terraform not on PATH\n"),
                         (0, 0, 1, "skipped: terraform not on PATH"))  # fmt: skip

    def test_indented_and_comment_lines_are_not_counted(self):
        text = "1..1\n    ok 1 - subtest\n# ok 9 - not a test\nok 1 - a\n"
        self.assertEqual(count(text), (1, 0, 0, ""))


def _fixtures() -> tuple[type, type, type]:
    """Test cases for the TAP runner to run (inside a function, so that
    discovery does not collect them as tests of this suite)."""

    class _Skipped(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            raise unittest.SkipTest("no emulator here")

        def test_a(self):
            pass

        def test_b(self):
            pass


    class _Broken(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            raise RuntimeError("setup broke")

        def test_c(self):
            pass


    class _Mixed(unittest.TestCase):
        def test_ok(self):
            pass

        def test_fail(self):
            self.assertEqual(1, 2)

        def test_subtests(self):
            for i in range(3):
                with self.subTest(i=i):
                    self.assertLess(i, 1)

        @unittest.skip("not here")
        def test_skip(self):
            pass

    return _Skipped, _Broken, _Mixed


class TapRunnerTest(unittest.TestCase):
    def run_tap(self, *cases: type) -> str:
        loader = unittest.TestLoader()
        suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in cases)
        out = io.StringIO()
        tap.TapRunner(stream=out).run(suite)
        return out.getvalue()

    def test_a_line_per_test_and_the_plan_holds(self):
        text = self.run_tap(_fixtures()[2])
        self.assertTrue(text.startswith("1..4\n"), text)
        self.assertEqual(count(text, 1)[:3], (1, 2, 1))

    def test_class_setup_skip_and_error_stand_for_each_test(self):
        # unittest reports one skip/error for the class and runs none of its
        # tests; the plan counted them, so each gets its line.
        text = self.run_tap(*_fixtures()[:2])
        self.assertTrue(text.startswith("1..3\n"), text)
        self.assertIn("_Skipped.test_a # SKIP no emulator here", text)
        self.assertIn("not ok 3 - ", text)
        self.assertEqual(count(text, 1), (0, 1, 2, ""))


class LibShTest(unittest.TestCase):
    """tests/lib/lib.sh's helpers, as the steps use them."""

    def sh(self, script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", ". tests/lib/lib.sh\n" + script], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    def test_tap_lines_and_plan(self):
        p = self.sh("ok a\neq b 1 2\nskip c 'no tool'\ndone_testing")
        self.assertEqual(p.stdout.splitlines(), ["ok 1 - a", "not ok 2 - b: expected [1], got [2]",
                                                 "ok 3 - c # SKIP no tool", "1..3"])  # fmt: skip
        self.assertEqual(p.returncode, 1)

    def test_stop_pid_stops_that_pid(self):
        p = self.sh("sleep 30 & pid=$!\nstop_pid \"$pid\"\nkill -0 \"$pid\" 2>/dev/null && echo alive || echo gone\n"
                    "stop_pid ''\necho empty-ok")  # fmt: skip
        self.assertEqual(p.stdout.split(), ["gone", "empty-ok"], p.stderr)

    def test_end_run_prints_timings_log_and_plan_and_exits(self):
        p = self.sh("ok a\nend_run /tmp/x.log 'apply 3 s'\necho unreachable")
        self.assertEqual(p.stdout.splitlines(), ["ok 1 - a", "", "# timings:", "#   apply 3 s",
                                                 "# log: /tmp/x.log", "1..1"])  # fmt: skip
        self.assertEqual(p.returncode, 0)

    def test_free_port_is_a_port(self):
        p = self.sh("free_port")
        self.assertTrue(1024 <= int(p.stdout) <= 65535, p.stdout + p.stderr)


STEPS = {
    "10-good.sh": ". tests/lib/lib.sh\nok first\neq second 1 1\ndone_testing\n",
    "20-silent.sh": "echo building\n",
    "30-short.sh": "echo 1..3\necho 'ok 1 - a'\n",
    "40-skip.sh": "echo '1..0 # SKIP no engine here'\n",
    "50-needs.sh": ". tests/lib/lib.sh\nneeds sh no-such-tool-13\nok unreachable\ndone_testing\n",
}


class RunnerTest(unittest.TestCase):
    def test_total_is_exact_and_bad_steps_fail(self):
        d = tempfile.mkdtemp(prefix="tests-run-")
        try:
            for name, body in STEPS.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write("# shellcheck shell=bash\n" + body)
            env = dict(os.environ, TESTS_STEPS_DIR=d, TESTS_LOG_DIR=os.path.join(d, "logs"))
            p = subprocess.run([os.path.join(ROOT, "tests", "run")], env=env, capture_output=True,
                               text=True, timeout=120)  # fmt: skip
        finally:
            shutil.rmtree(d, ignore_errors=True)
        lines = p.stdout.strip().splitlines()
        self.assertNotEqual(p.returncode, 0)
        # good: 2 passed; silent: 1 failed; short: 1 passed + 1 failed;
        # skip: 1; needs (a tool missing): 1
        self.assertEqual(lines[-1], "3 passed, 2 failed, 2 skipped", p.stdout)
        summary = "\n".join(lines[-7:])
        self.assertIn("ok    10-good", summary)
        self.assertRegex(summary, r"FAIL  20-silent .*reported no TAP")
        self.assertRegex(summary, r"FAIL  30-short .*announced 3 tests, 1 reported")
        self.assertIn("skip  40-skip", summary)
        self.assertRegex(summary, r"skip  50-needs \(\d+s\): skipped: no-such-tool-13 not installed")


if __name__ == "__main__":
    unittest.main()
