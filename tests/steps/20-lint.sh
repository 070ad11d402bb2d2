# shellcheck shell=bash
# Style and static analysis are enforced by tools: clang-format must have
# nothing to change, clang-tidy (checks in .clang-tidy) must find nothing.
# The generated doc tables (settings from build/s3json --help, errors from
# routes_error() calls) must be current and every relative Markdown link
# must resolve inside the repository (scripts/docs-gen.py; needs the build).
set -u
. tests/lib/lib.sh
check "clang-format: clean" make -s format-check
check "clang-tidy: clean" make -s tidy
check "docs-gen self-test" python3 scripts/docs-gen.py --self-test
check "docs: tables current, links resolve" python3 scripts/docs-gen.py --check
done_testing
