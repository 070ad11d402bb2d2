#!/usr/bin/env python3
"""tf-docs.py -- keep the Inputs/Outputs tables of infra/ READMEs in sync.

For every directory under infra/ with a variables.tf or outputs.tf, renders a
Markdown table of its variables (name, description, type, default, required)
and outputs, and writes it into that directory's README.md between
`<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` (the terraform-docs
convention) when the README has those markers. infra/README.md gets, between
its own markers, an index: each root and module, its counts of inputs and
outputs, and a link to its README's tables.

Usage: scripts/tf-docs.py [--check]
  --check  write nothing; exit 1 and name the READMEs that are out of date
           (scripts/tf-check.sh runs this)

A small HCL reader: enough for variables.tf/outputs.tf as written here
(top-level blocks, attributes, nested braces and brackets, quoted strings).
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
INFRA = os.path.join(ROOT, "infra")
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _strip_comments(text: str) -> str:
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
            continue
        if c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _blocks(text: str, kind: str) -> list[tuple[str, str]]:
    """(name, body) of each top-level `kind "name" { ... }` block."""
    text = _strip_comments(text)
    found = []
    for m in re.finditer(r'^%s\s+"([^"]+)"\s*\{' % kind, text, re.M):
        i, depth, in_str = m.end(), 1, False
        while i < len(text) and depth:
            c = text[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
            i += 1
        found.append((m.group(1), text[m.end() : i - 1]))
    return found


def _attr(body: str, name: str) -> str | None:
    """Raw expression of a top-level attribute of a block body."""
    depth, in_str, i, n = 0, False, 0, len(body)
    line_start = True
    while i < n:
        c = body[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        elif depth == 0 and line_start:
            m = re.match(r"\s*%s\s*=\s*" % re.escape(name), body[i:])
            if m and not body[i + m.end() :].startswith("="):
                j = k = i + m.end()
                d, s = 0, False
                while k < n:
                    ch = body[k]
                    if s:
                        if ch == "\\":
                            k += 1
                        elif ch == '"':
                            s = False
                    elif ch == '"':
                        s = True
                    elif ch in "{[(":
                        d += 1
                    elif ch in "}])":
                        d -= 1
                    elif ch == "\n" and d == 0:
                        break
                    k += 1
                return body[j:k].strip()
        line_start = c == "\n" or (line_start and c in " \t")
        i += 1
    return None


def _unquote(expr: str | None) -> str:
    if expr is None:
        return ""
    if expr.startswith('"') and expr.endswith('"'):
        return expr[1:-1].replace('\\"', '"')
    return expr


def _cell(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    return s.replace("|", "\\|")


def _code(s: str) -> str:
    s = _cell(s)
    return f"`{s}`" if s else ""


def render(d: str, heading: str = "##") -> str:
    lines = []
    var_path, out_path = os.path.join(d, "variables.tf"), os.path.join(d, "outputs.tf")
    variables = _blocks(open(var_path).read(), "variable") if os.path.exists(var_path) else []
    outputs = _blocks(open(out_path).read(), "output") if os.path.exists(out_path) else []
    lines.append(f"{heading} Inputs")
    lines.append("")
    if variables:
        lines.append("| Name | Description | Type | Default | Required |")
        lines.append("|------|-------------|------|---------|:--------:|")
        for name, body in variables:
            default = _attr(body, "default")
            lines.append(
                "| `%s` | %s | %s | %s | %s |"
                % (
                    name,
                    _cell(_unquote(_attr(body, "description"))),
                    _code(_attr(body, "type") or "any"),
                    _code(default) if default is not None else "n/a",
                    "no" if default is not None else "yes",
                )
            )
    else:
        lines.append("No inputs.")
    lines.append("")
    lines.append(f"{heading} Outputs")
    lines.append("")
    if outputs:
        lines.append("| Name | Description |")
        lines.append("|------|-------------|")
        for name, body in outputs:
            lines.append("| `%s` | %s |" % (name, _cell(_unquote(_attr(body, "description")))))
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def index(dirs: list[str]) -> str:
    """infra/README.md's table: one row per root and module, linking to the
    README that holds its tables (copies here would only drift)."""
    lines = ["| root / module | inputs | outputs |", "|---|---:|---:|"]
    for d in dirs:
        rel = os.path.relpath(d, INFRA).replace(os.sep, "/")
        counts = []
        for f, kind in (("variables.tf", "variable"), ("outputs.tf", "output")):
            path = os.path.join(d, f)
            counts.append(len(_blocks(open(path).read(), kind)) if os.path.exists(path) else 0)
        lines.append(f"| [`{rel}`]({rel}/README.md#inputs) | {counts[0]} | {counts[1]} |")
    return "\n".join(lines)


def tf_dirs() -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(INFRA):
        dirnames[:] = sorted(x for x in dirnames if x not in (".terraform", "tests"))
        if "variables.tf" in filenames or "outputs.tf" in filenames:
            found.append(dirpath)
    return found


def splice(path: str, content: str) -> tuple[str, str]:
    old = open(path).read() if os.path.exists(path) else ""
    block = f"{BEGIN}\n{content}\n{END}"
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + block + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + block + "\n"
    return old, new


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    dirs = tf_dirs()
    targets = []
    for d in dirs:
        readme = os.path.join(d, "README.md")
        # Only READMEs that opted in with the markers: other owners' stay theirs.
        if os.path.exists(readme) and BEGIN in open(readme).read():
            targets.append((readme, render(d)))
    targets.append((os.path.join(INFRA, "README.md"), index(dirs)))
    for path, content in targets:
        old, new = splice(path, content)
        if old != new:
            stale.append(os.path.relpath(path, ROOT))
            if not check:
                with open(path, "w") as f:
                    f.write(new)
    if check and stale:
        print("out of date (run scripts/tf-docs.py): " + ", ".join(stale))
        return 1
    if not check:
        for s in stale:
            print(f"updated {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
