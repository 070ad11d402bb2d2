# shellcheck shell=bash
# Unit tests (cmocka), normal build.
make -s unit
