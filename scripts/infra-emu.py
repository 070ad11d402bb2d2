#!/usr/bin/env python3
"""infra-emu.py -- the project's AWS emulator (scripts/emulator/emu.py) plus
one moto fix that scripts/infra-e2e.sh needs. Same CLI, same ready line, same
state directory as emu.py:

    python3 scripts/infra-emu.py --port 0 --tls --state-dir DIR [--http-port 0]

Fix (moto 5.2.1): s3 DeleteObjects naming a version of a key whose current
version is a delete marker fails with a 500 (`FakeDeleteMarker` has no
`dispose`), so emptying a versioned bucket -- force_destroy of the state
bucket, whose .tflock objects leave delete markers behind -- retries until
the provider gives up. AWS deletes the version. The fix belongs in
scripts/emulator/patches.py; it lives here until the emulator takes it.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "emulator"))

import emu  # noqa: E402  (sets moto's environment before moto is imported)


def _patch_s3_delete_marker_dispose() -> None:
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        # A delete marker holds no data buffer: nothing to release.
        FakeDeleteMarker.dispose = lambda self, garbage=False: None


if __name__ == "__main__":
    _patch_s3_delete_marker_dispose()
    sys.exit(emu.main())
