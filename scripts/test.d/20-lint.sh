# Style is enforced by tools: clang-format must have nothing to change.
set -e
make -s format-check
echo "clang-format: clean"
