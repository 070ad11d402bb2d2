# shellcheck shell=bash
# Style and static analysis are enforced by tools: clang-format must have
# nothing to change, clang-tidy (checks in .clang-tidy) must find nothing.
# The generated doc tables (settings from build/s3json --help, errors from
# routes_error() calls) must be current and every relative Markdown link
# must resolve inside the repository (scripts/docs-gen.py; needs the build).
set -e
make -s format-check
echo "clang-format: clean"
make -s tidy
echo "clang-tidy: clean"
python3 scripts/docs-gen.py --self-test
python3 scripts/docs-gen.py --check
echo "docs: tables current, links resolve"
