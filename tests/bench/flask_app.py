#!/usr/bin/env python3
"""flask_app.py -- the baseline s3json replaces, for `make bench` only.

Provenance: this re-creates the design of the interview exercise s3json
started from (thefunkjunky/interview-flask-ecs, app/app.py): a Flask app
with one global boto3 S3 client that, on every request, re-reads
config.json for the bucket and key, calls s3.get_object, parses the body
with json.loads and returns the dict (Flask turns it into JSON), any
exception becoming a 500. It is run as it shipped: the Flask development
server through app.run(host=..., port=...), with Flask's default
threaded=True (one thread per connection). Written here from that
description, not copied; the only changes are for the bench: host and port
come from the command line (the original bound 0.0.0.0:8080), config.json's
path from the environment, and the S3 endpoint and credentials from the
usual AWS_* variables (AWS_ENDPOINT_URL_S3 points boto3 at the emulator).

Usage: BENCH_FLASK_CONFIG=/path/config.json \
         python3 flask_app.py --host 127.0.0.1 --port 8081
config.json: {"bucket": "...", "key": "foo.json"}; GET /api/foo serves it.
"""

import argparse
import json
import logging
import os

import boto3
from botocore.config import Config
from flask import Flask

app = Flask(__name__)

# One client for the process, as in the original (clients are thread-safe).
# Path-style addressing: the emulator is an IP address, not a domain.
s3_client = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))

CONFIG = os.environ.get("BENCH_FLASK_CONFIG", "config.json")


def get_s3_object(bucket, key):
    """The object's JSON and a status, or an error dict and 500."""
    try:
        obj = s3_client.get_object(Bucket=bucket, Key=key)
    except Exception:  # as shipped: every S3 failure is one opaque 500
        return {"error": "Could not load s3 object."}, 500
    try:
        message = json.loads(obj["Body"].read().decode("utf-8"))
    except Exception:
        return {"error": "Could not decode s3 object as json."}, 500
    return message, 200


@app.route("/api/foo")
def foo():
    # As shipped: the configuration is read again on every request.
    with open(CONFIG, "r") as f:
        config = json.load(f)
    message, status = get_s3_object(config["bucket"], config["key"])
    return message, status


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Flask + boto3 baseline")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    args = ap.parse_args()
    # The dev server logs every request to stderr; the bench discards it
    # (as it drops s3json's access log with S3JSON_LOG_LEVEL=warn).
    if os.environ.get("BENCH_FLASK_QUIET"):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.run(host=args.host, port=args.port)
