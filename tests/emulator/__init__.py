"""The strict AWS emulator: moto with auth enforced and the fixes listed in
README.md (each one a function in patches.py, installed by patches.apply()).

Import it as `emulator` with the tests/ directory on the import path: the
Makefile and tests/run export PYTHONPATH=tests (see lib/__init__.py). Run it
with `python3 -m emulator.emu`, or with the bench's request counter,
`python3 -m emulator.counting`."""
