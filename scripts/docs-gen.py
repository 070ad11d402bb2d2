#!/usr/bin/env python3
"""docs-gen.py -- keep the tables the code already knows in docs/, and the
Markdown links valid.

Writes between markers (like scripts/tf-docs.py does for Terraform):
  docs/settings.md  <!-- BEGIN_SETTINGS --> ... <!-- END_SETTINGS -->
                    from `build/s3json --help` (settings_print_help(), the
                    table settings_load() walks), so the doc cannot list a
                    variable the binary does not read, or miss one
  docs/errors.md    <!-- BEGIN_ERRORS --> ... <!-- END_ERRORS -->
                    from every routes_error(rep, STATUS, "code", "message")
                    call in app/src/http/*.c (the error switch
                    reply_s3_error() in routes.c and the few replies the
                    server makes itself)
Checks every relative link in the repository's *.md files: it must name a
file or directory inside the repository and, with a #fragment into a .md
file, a heading of that file (a moved section breaks links silently).

Usage: scripts/docs-gen.py [--check | --self-test]
  --check      write nothing; exit 1 naming stale tables and broken links
               (tests/steps/20-lint.sh runs this after the build)
  --self-test  prove on made-up inputs that each parser reads what it must
               and each check fires (20-lint.sh runs it first)
Environment: S3JSON_BINARY (default build/s3json) is the binary asked for --help.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def _cell(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().replace("|", "\\|")


# ---------------------------------------------------------------- settings


def parse_help(text: str) -> list[tuple[str, str, str]]:
    """(variable, default, meaning) from settings_print_help()'s output:
    `  NAME (or ALT) [default]` then an indented help line."""
    rows, lines = [], text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("Environment variables")), None)
    if start is None:
        raise ValueError("no 'Environment variables' section in --help output")
    head = re.compile(r"^  (\S+)(?: \(or (\S+)\))? \[(.*)\]$")
    i = start + 1
    while i < len(lines):
        m = head.match(lines[i])
        if not m or i + 1 >= len(lines) or not lines[i + 1].startswith("      "):
            raise ValueError(f"unexpected --help line: {lines[i]!r}")
        name = f"`{m.group(1)}`" + (f" (or `{m.group(2)}`)" if m.group(2) else "")
        default = m.group(3)
        default = default if default in ("required", "unset") else f"`{default}`"
        rows.append((name, default, lines[i + 1].strip()))
        i += 2
    return rows


def settings_table() -> str:
    binary = os.environ.get("S3JSON_BINARY", os.path.join(ROOT, "build", "s3json"))
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"docs-gen: {binary} is missing; build it first (make)")
    out = subprocess.run([binary, "--help"], check=True, capture_output=True, text=True).stdout
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += ["| %s | %s | %s |" % (n, d, _cell(h)) for n, d, h in parse_help(out)]
    return "\n".join(lines)


# ------------------------------------------------------------------ errors

CALL = re.compile(r'routes_error\(\s*[^,]+,\s*(\d{3}),\s*"([a-z_]+)",\s*(.*?)\);', re.S)
LITERALS = re.compile(r'^(\s*"(?:[^"\\]|\\.)*"\s*)+$', re.S)


def _message(expr: str) -> str:
    if LITERALS.match(expr):
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', expr))
    return f"from `{_cell(expr)}`"


def parse_errors(sources: dict[str, str]) -> list[tuple[int, str, list[str], list[str]]]:
    """(status, code, messages, files) per error code, in status order."""
    found: dict[tuple[int, str], tuple[list[str], list[str]]] = {}
    for path, text in sorted(sources.items()):
        for m in CALL.finditer(text):
            msgs, files = found.setdefault((int(m.group(1)), m.group(2)), ([], []))
            msg = _message(m.group(3))
            if msg not in msgs:
                msgs.append(msg)
            if path not in files:
                files.append(path)
    return [(s, c, msgs, files) for (s, c), (msgs, files) in sorted(found.items())]


def errors_table() -> str:
    d = os.path.join(ROOT, "app", "src", "http")
    sources = {
        f"app/src/http/{f}": open(os.path.join(d, f)).read()
        for f in sorted(os.listdir(d))
        if f.endswith(".c")
    }
    rows = parse_errors(sources)
    if not rows:
        raise SystemExit("docs-gen: no routes_error() call found in app/src/http")
    lines = ["| status | error | message | sent by |", "| --- | --- | --- | --- |"]
    for status, code, msgs, files in rows:
        msg = "; ".join(m if m.startswith("from `") else f'"{_cell(m)}"' for m in msgs)
        src = ", ".join(f"`{f.split('/')[-1]}`" for f in files)
        lines.append(f"| {status} | `{code}` | {msg} | {src} |")
    return "\n".join(lines)


# ------------------------------------------------------------------- links

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def _anchors(path: str) -> set[str]:
    out, fenced = set(), False
    for line in open(path):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6} ", line):
            out.add(_slug(line.lstrip("#")))
    return out


def md_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    return sorted(os.path.join(ROOT, p) for p in out if os.path.exists(os.path.join(ROOT, p)))


def broken_links(files: list[str], root: str = ROOT) -> list[str]:
    bad = []
    for path in files:
        fenced = False
        for n, line in enumerate(open(path), 1):
            if line.startswith("```"):
                fenced = not fenced
            if fenced:
                continue
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue  # http:, https:, mailto:: not ours to check offline
                file_part, _, frag = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                where = f"{os.path.relpath(path, root)}:{n}: {target}"
                if os.path.relpath(dest, root).startswith(".."):
                    bad.append(f"{where} (outside the repository)")
                elif not os.path.exists(dest):
                    bad.append(f"{where} (no such file)")
                elif frag and dest.endswith(".md") and frag not in _anchors(dest):
                    bad.append(f"{where} (no such heading)")
    return bad


# --------------------------------------------------------------- self-test

HELP_SAMPLE = """Usage: s3json [--help]

Environment variables (default in brackets):
  S3JSON_BUCKET [required]
      S3 bucket | holding the documents
  AWS_REGION (or AWS_DEFAULT_REGION) [us-east-1]
      region of the bucket
  S3JSON_PREFIX [""]
      key prefix
"""

C_SAMPLE = """
  case S3_TIMEOUT:
    routes_error(rep, 504, "upstream_timeout",
                 "the store did not "
                 "answer in time");
    routes_error(&rq->reply, 400, "bad_name", names_strerror(nc));
    routes_error(rep, 400, "bad_name", "too long");
"""


def self_test() -> int:
    import tempfile

    failures = []

    def expect(what: str, got, want) -> None:
        if got != want:
            failures.append(f"{what}: got {got!r}, want {want!r}")

    expect("help rows", parse_help(HELP_SAMPLE), [
        ("`S3JSON_BUCKET`", "required", "S3 bucket | holding the documents"),
        ("`AWS_REGION` (or `AWS_DEFAULT_REGION`)", "`us-east-1`", "region of the bucket"),
        ("`S3JSON_PREFIX`", '`""`', "key prefix"),
    ])
    try:
        parse_help(HELP_SAMPLE + "  BROKEN LINE\n")
        failures.append("a malformed --help line was accepted")
    except ValueError:
        pass
    expect("errors", parse_errors({"x.c": C_SAMPLE}), [
        (400, "bad_name", ["from `names_strerror(nc)`", "too long"], ["x.c"]),
        (504, "upstream_timeout", ["the store did not answer in time"], ["x.c"]),
    ])
    expect("splice", splice("a\n<!-- B -->\nold\n<!-- E -->\nz", "<!-- B -->", "<!-- E -->", "new"),
           "a\n<!-- B -->\nnew\n<!-- E -->\nz")
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(root, "docs", "a.md"), "w") as f:
            f.write("# Title\n\n## The `cache` (issue 9)\n")
        doc = os.path.join(root, "README.md")
        with open(doc, "w") as f:
            f.write("[ok](docs/a.md) [ok](docs/a.md#the-cache-issue-9) [ok](https://x.org/y)\n"
                    "```\n[in a fence](nowhere.md)\n```\n"
                    "[gone](docs/b.md) [out](../shared/NOTES.md) [anchor](docs/a.md#nope)\n")
        expect("links", [b.split(": ", 1)[1] for b in broken_links([doc], root)], [
            "docs/b.md (no such file)",
            "../shared/NOTES.md (outside the repository)",
            "docs/a.md#nope (no such heading)",
        ])
    for f in failures:
        print("FAIL " + f)
    print("docs-gen self-test: " + ("failed" if failures else "every parser and check works"))
    return 1 if failures else 0


# -------------------------------------------------------------------- main

TABLES = [
    ("docs/settings.md", "<!-- BEGIN_SETTINGS -->", "<!-- END_SETTINGS -->", settings_table),
    ("docs/errors.md", "<!-- BEGIN_ERRORS -->", "<!-- END_ERRORS -->", errors_table),
]


def splice(old: str, begin: str, end: str, content: str) -> str:
    if begin not in old or end not in old:
        raise SystemExit(f"docs-gen: markers {begin} / {end} missing")
    return old[: old.index(begin)] + f"{begin}\n{content}\n{end}" + old[old.index(end) + len(end) :]


def main(argv: list[str]) -> int:
    if "--self-test" in argv:
        return self_test()
    check = "--check" in argv
    problems = []
    for rel, begin, end, make in TABLES:
        path = os.path.join(ROOT, rel)
        old = open(path).read()
        new = splice(old, begin, end, make())
        if old != new:
            if check:
                problems.append(f"{rel}: table out of date (run scripts/docs-gen.py)")
            else:
                with open(path, "w") as f:
                    f.write(new)
                print(f"updated {rel}")
    problems += broken_links(md_files())
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
