#!/usr/bin/env python3
"""lint-bash32.py -- refuse what a Mac's bash 3.2 and BSD tools cannot run.

The scripts a user runs on a laptop (scripts/deploy/, scripts/image/,
scripts/tf-*.sh) must work with macOS's /bin/bash 3.2 and its BSD userland.
Only bash 5 and GNU tools exist on this machine, so nothing would fail here:
this lint refuses, line by line, the constructs bash 3.2 lacks and the
GNU-only commands and flags, and tests/e2e/bsd-path.sh catches at run
time what a static look misses.

Usage: tests/tools/lint-bash32.py FILE...     prints FILE:LINE: rule: text
       tests/tools/lint-bash32.py --self-test proves every rule fires on its
                                          example and not on the portable form
Exit 0 when nothing is found.
"""
import re
import sys

NAME = r"[A-Za-z_][A-Za-z0-9_]*"

# (rule, regex, bad example, portable form). Regexes see one line with its
# comment and quoted here-doc text removed (see code_of).
RULES = [
    ("associative array (bash 4)", r"\b(declare|local|typeset|readonly)\s+-[a-zA-Z]*A",
     "declare -A seen", "seen_list=''"),
    ("mapfile/readarray (bash 4)", r"(^|[;&|({\s])(mapfile|readarray)\b",
     "mapfile -t dirs < <(ls)", "while IFS= read -r d; do dirs+=(\"$d\"); done < <(ls)"),
    ("case conversion ${x,,} ${x^^} (bash 4)", r"\$\{[#!]?" + NAME + r"(\[[^]]*\])?(,,?|\^\^?)[^}]*\}",
     "lower=${name,,}", "lower=$(printf %s \"$name\" | tr '[:upper:]' '[:lower:]')"),
    ("nameref declare -n (bash 4.3)", r"\b(declare|local|typeset)\s+-[a-zA-Z]*n\b",
     "local -n ref=$1", "eval \"val=\\${$1}\""),
    ("case attribute declare -l/-u (bash 4)", r"\b(declare|local|typeset)\s+-[a-zA-Z]*[lu]\b",
     "declare -l x", "declare x"),
    ("global declare -g (bash 4.2)", r"\b(declare|typeset)\s+-[a-zA-Z]*g",
     "declare -g x=1", "x=1"),
    ("|& or &>> (bash 4)", r"\|&|&>>",
     "make |& tee log", "make 2>&1 | tee log"),
    ("coproc (bash 4)", r"(^|[;&|\s])coproc\b", "coproc cat", "cat &"),
    ("${x@Q} transformations (bash 4.4)", r"\$\{" + NAME + r"(\[[^]]*\])?@[QEPAaKkUuL]\}",
     "echo ${x@Q}", "printf '%q' \"$x\""),
    ("case fall-through ;& ;;& (bash 4)", r";;&|(?<!;);&",
     "a) x ;& b) y ;;", "a) x ;; b) y ;;"),
    ("shopt of bash 4+", r"\bshopt\s+-s\s+.*\b(globstar|lastpipe|inherit_errexit|autocd|checkjobs|direxpand|localvar_inherit|localvar_unset|assoc_expand_once|compat\d+)\b",
     "shopt -s globstar", "find . -name x"),
    ("negative array index (bash 4.3)", r"\$\{" + NAME + r"\[-\d+\]\}",
     "last=${a[-1]}", "last=${a[${#a[@]}-1]}"),
    ("wait -n (bash 4.3)", r"\bwait\s+-n\b", "wait -n", "wait \"$pid\""),
    ("test -v (bash 4.2)", r"(\[\[?|\btest)\s+-v\s", "[ -v x ]", "[ -n \"${x+set}\" ]"),
    ("$EPOCHSECONDS/$EPOCHREALTIME/$BASHPID (bash 4/5)", r"\$\{?(EPOCHSECONDS|EPOCHREALTIME|BASHPID)\b",
     "t=$EPOCHSECONDS", "t=$(date +%s)"),
    ("printf %(...)T (bash 4.2)", r"\bprintf\b.*%\([^)]*\)T", "printf '%(%s)T' -1", "date +%s"),
    ("brace range with step or zero padding (bash 4)", r"\{(-?\d+\.\.-?\d+\.\.-?\d+|0\d+\.\.\d+)\}",
     "for i in {01..10}; do :; done", "for i in $(seq 1 10); do :; done"),
    ("read -i / read -N (bash 4)", r"\bread\b[^|;&]*\s-[a-zA-Z]*[iN]\b", "read -N 1 c", "read -n 1 c"),
    # GNU-only commands and flags (macOS has none of these).
    ("GNU-only command (not on macOS)", r"(^\s*|[;&|(`!]\s*|\$\(\s*|\bthen\s+|\bdo\s+|\belse\s+|\|\|\s*|&&\s*)(timeout|stdbuf|nproc|realpath|tac|sha256sum|sha1sum|md5sum|numfmt|truncate)\b(?!\s*[=(])",
     "timeout 900 aws ecs wait services-stable", "deploy_wait_stable c s 900"),
    ("sed -i without a suffix (BSD sed takes the next word)", r"\bsed\s+(-[a-zA-Z]+\s+)*-i(\s|$)",
     "sed -i 's/a/b/' f", "sed -i.bak 's/a/b/' f && rm f.bak"),
    ("sed -r (BSD: -E)", r"\bsed\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*r", "sed -r 's/a+/b/'", "sed -E 's/a+/b/'"),
    ("grep -P (no PCRE in BSD grep)", r"\bgrep\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*P", "grep -oP '\\d+'", "grep -oE '[0-9]+'"),
    ("date -d/--date (GNU date strings)", r"\bdate\s+(-u\s+)?(-d\b|--date)", "date -d '1 hour ago'", "date -u +%s"),
    ("date %N (not in BSD strftime)", r"\bdate\b[^|;]*\+[^ ]*%N", "date +%s%N", "date +%s"),
    ("stat -c/--format (BSD: -f)", r"\bstat\s+(-[a-zA-Z]+\s+)*(-c|--format|--printf)", "stat -c %s f", "wc -c <f"),
    ("readlink -f (not in older macOS)", r"\breadlink\s+-[a-zA-Z]*[fem]", "readlink -f x", "cd \"$(dirname x)\" && pwd"),
    ("find -printf and other GNU find tests", r"\bfind\b.*\s-(printf|fprintf|regextype|xtype|readable|writable|executable)\b",
     "find . -name x -printf '%h\\n'", "find . -name x -exec dirname {} \\;"),
    ("xargs -r/-d/-a (GNU xargs)", r"\bxargs\s+(-[a-zA-Z0-9]+\s+)*-[a-zA-Z]*[rda]\b", "xargs -r rm", "xargs rm"),
    ("head -n -N (negative count)", r"\bhead\s+(-n|-c)\s*-\d", "head -n -1 f", "sed '$d' f"),
    ("sort -V (not in macOS sort)", r"\bsort\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*V", "sort -V", "sort -t. -k1,1n -k2,2n"),
    ("cp/ln/mv GNU flags (-t, -T, -r for ln, --long)", r"\b(cp|mv)\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*[tT]\b|\bln\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*[rtT]\b|\b(cp|ln|mv|mkdir|rm)\s+--[a-z]",
     "ln -sr a b", "ln -s \"$(pwd)/a\" b"),
    ("base64 -w (GNU)", r"\bbase64\s+(-[a-zA-Z]+\s+)*-w", "base64 -w0", "base64 | tr -d '\\n'"),
]

EMPTY_ARRAY_RULE = "empty array expanded under set -u (bash < 4.4: unbound variable)"


def code_of(line):
    """The line without a trailing comment (a '#' after whitespace, outside quotes)."""
    out, quote = [], None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and (quote == "'" or line[i - 1] != "\\"):
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t;"):
            break
        out.append(ch)
    return "".join(out)


def heredoc_lines(lines):
    """Indexes of lines inside here-documents (their text is data, not code)."""
    inside, end, skip = False, None, set()
    for i, line in enumerate(lines):
        if inside:
            skip.add(i)
            if line.strip() == end:
                inside = False
            continue
        m = re.search(r"<<-?\s*(['\"]?)(\w+)\1", code_of(line))
        if m and "<<<" not in line:
            inside, end = True, m.group(2)
    return skip


def empty_arrays(code_lines):
    """Arrays the file sets to empty (x=() or local/declare -a x): they may be expanded empty."""
    names = set()
    for line in code_lines:
        names.update(re.findall(r"(?:^|[\s;])(" + NAME + r")=\(\s*\)", line))
        for m in re.finditer(r"\b(?:local|declare|typeset)\s+-a\s+([^=;]+)", line):
            names.update(n for n in m.group(1).split() if re.fullmatch(NAME, n))
    return names


def lint(path, text):
    lines = text.split("\n")
    skip = heredoc_lines(lines)
    code = ["" if i in skip else code_of(l) for i, l in enumerate(lines)]
    # A command continued with a backslash is checked as one line (at its
    # first line's number): `find ... \` + `-printf ...` is one find.
    for i in range(len(code) - 1, 0, -1):
        if code[i - 1].rstrip().endswith("\\") and code[i].strip():
            code[i - 1] = code[i - 1].rstrip()[:-1] + " " + code[i].strip()
            code[i] = ""
    set_u = any(re.search(r"\bset\s+-[a-zA-Z]*u|\bset\s+-o\s+nounset", c) for c in code) or \
        path.endswith("lib.sh")  # sourced by scripts that set -u
    maybe_empty = empty_arrays(code) if set_u else set()
    found = []
    for n, c in enumerate(code, 1):
        if not c.strip():
            continue
        for rule, rx, _, _ in RULES:
            if re.search(rx, c):
                found.append((n, rule, lines[n - 1].strip()))
        # Guarded form ${x[@]+"${x[@]}"} (inside a quoted string
        # ${x[*]+${x[*]}}) is fine; any other ${x[@]} of a
        # possibly empty array is not.
        bare = re.sub(r"\$\{(" + NAME + r")\[[@*]\]\+\"?\$\{\1\[[@*]\]\}\"?\}", "", c)
        for name in re.findall(r"\$\{(" + NAME + r")\[[@*]\]\}", bare):
            if name in maybe_empty:
                found.append((n, EMPTY_ARRAY_RULE + f": use ${{{name}[@]+\"${{{name}[@]}}\"}}",
                              lines[n - 1].strip()))
    return found


def self_test():
    failed = 0
    for rule, rx, bad, good in RULES:
        hit_bad = bool(lint("t.sh", bad))
        hit_good = bool(lint("t.sh", good))
        if not hit_bad or hit_good:
            failed += 1
            print(f"FAIL  {rule}: bad example {'found' if hit_bad else 'MISSED'}, "
                  f"portable form {'FLAGGED' if hit_good else 'passed'}")
        else:
            print(f"ok    {rule}")
    cases = [
        ("find . -name x \\\n  -printf '%h'", True),
        ("if x; then\n  timeout 9 y\nfi", True),
        ("set -u; a=(); f \"${a[@]}\"", True),
        ("set -euo pipefail\nlocal -a a\nf \"${a[@]}\"", True),
        ("set -u; a=(); f ${a[@]+\"${a[@]}\"}", False),
        ("set -u; a=(x); f \"${a[@]}\"", False),
        ("a=(); f \"${a[@]}\"", False),
        ("set -u\ncat <<EOF\nmapfile ${x,,}\nEOF\necho ok # mapfile", False),
    ]
    for text, want in cases:
        got = bool(lint("t.sh", text))
        if got != want:
            failed += 1
            print(f"FAIL  {text!r}: expected {'a finding' if want else 'none'}")
        else:
            print(f"ok    {'flags' if want else 'passes'}: {text!r}")
    print(f"RESULT: {len(RULES) + len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bad = 0
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            for n, rule, text in lint(path, f.read()):
                print(f"{path}:{n}: {rule}: {text}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
