# Unit tests (cmocka), normal build.
make -s unit
