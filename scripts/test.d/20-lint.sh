# Style and static analysis are enforced by tools: clang-format must have
# nothing to change, clang-tidy (checks in .clang-tidy) must find nothing.
set -e
make -s format-check
echo "clang-format: clean"
make -s tidy
echo "clang-tidy: clean"
