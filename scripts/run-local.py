#!/usr/bin/env python3
"""run-local.py -- `make run`: s3json against a local S3 emulator.

Starts the signature-checking emulator (moto, tests/emulator/) on
127.0.0.1, creates the bucket with every data/**/*.json as a document, an
IAM user that may only read them (as the ECS task role does in AWS), then
runs build/s3json against it in the foreground. Ctrl-C stops both.

Usage: scripts/run-local.py [--port 8080] [--emulator-port 0] [--prefix P]
The same binary runs against real AWS by setting S3JSON_BUCKET, AWS_REGION
and credentials instead (see README.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

from emulator.emu import Emulator

BUCKET = "s3json-local"


def seed(emu: Emulator, prefix: str) -> list[str]:
    s3 = emu.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    names = []
    data = os.path.join(ROOT, "data")
    for dirpath, _, files in os.walk(data):
        for f in sorted(files):
            if f.endswith(".json"):
                path = os.path.join(dirpath, f)
                name = os.path.relpath(path, data)[: -len(".json")]
                with open(path, "rb") as fh:
                    s3.put_object(Bucket=BUCKET, Key=f"{prefix}{name}.json", Body=fh.read(),
                                  ContentType="application/json")  # fmt: skip
                names.append(name)
    return sorted(names)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=int(os.environ.get("S3JSON_PORT", "8080")))
    ap.add_argument("--emulator-port", type=int, default=0)
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()

    binary = os.path.join(ROOT, "build", "s3json")
    if not os.access(binary, os.X_OK):
        print("run-local: build/s3json is missing: run `make` first", file=sys.stderr)
        return 1
    emu = Emulator(port=args.emulator_port, subprocess=True).start()
    try:
        names = seed(emu, args.prefix)
        creds = emu.create_restricted_user(BUCKET, args.prefix)
        env = dict(os.environ)
        env.update({
            "S3JSON_BUCKET": BUCKET, "S3JSON_PREFIX": args.prefix,
            "S3JSON_BIND": "127.0.0.1", "S3JSON_PORT": str(args.port),
            "AWS_REGION": emu.region, "AWS_ENDPOINT_URL_S3": emu.endpoint,
            "AWS_ACCESS_KEY_ID": creds["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
            "AWS_EC2_METADATA_DISABLED": "true",
        })  # fmt: skip
        env.pop("AWS_SESSION_TOKEN", None)
        base = f"http://127.0.0.1:{args.port}"
        print(f"""
s3json on {base}  (S3 emulator on {emu.endpoint}, bucket {BUCKET})
  documents:  {", ".join(names)}
  {base}/api/foo
  {base}/api
  {base}/healthz   {base}/readyz
try:  curl -i {base}/api/foo
Ctrl-C stops both.
""", file=sys.stderr, flush=True)  # fmt: skip
        proc = subprocess.Popen([binary], env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGTERM)
            return proc.wait(30)
    finally:
        emu.close()


if __name__ == "__main__":
    sys.exit(main())
