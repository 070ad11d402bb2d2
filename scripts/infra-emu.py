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

Fix (moto 5.2.1, issue 14): with IAM enforced, moto checks DynamoDB actions
against the resource `*`, not the table the request names, so a task role
allowed GetItem on its table's ARN (what AWS evaluates) is refused. The
check gets the table's ARN from the request's TableName. Applied only when
scripts/emulator/patches.py does not already do it (branch ddb-emu's
`dynamodb_table_arn`), so the two never stack.
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


def _table_arn(account_id: str, region: str, body: bytes) -> str:
    """arn:aws:dynamodb:REGION:ACCOUNT:table/NAME of a JSON request's
    TableName; `*` when it names none (ListTables)."""
    import json

    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return "*"
    name = doc.get("TableName") if isinstance(doc, dict) else None
    if not isinstance(name, str) or not name:
        return "*"
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"


def _patch_dynamodb_iam_resource() -> None:
    import patches  # scripts/emulator/patches.py, installed by emu.main()

    if hasattr(patches, "dynamodb_table_arn"):
        return
    orig = patches._check_action_permitted

    def check(self, resource: str) -> None:  # type: ignore[no-untyped-def]
        if resource == "*" and self._action.startswith("dynamodb:"):
            resource = _table_arn(self.account_id, self._region, self._body)
        return orig(self, resource)

    # emu.main() installs patches._check_action_permitted by name: replacing
    # the module's function before that puts this check in front of it.
    patches._check_action_permitted = check


if __name__ == "__main__":
    _patch_s3_delete_marker_dispose()
    _patch_dynamodb_iam_resource()
    sys.exit(emu.main())
