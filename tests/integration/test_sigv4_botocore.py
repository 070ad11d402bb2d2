"""test_sigv4_botocore.py -- s3/sigv4 against botocore's S3SigV4Auth.

A differential test: a few hundred S3 requests generated from a fixed seed
(keys with spaces, unicode, + = & ~ %, nested paths; ListObjectsV2 queries
whose prefix and continuation-token hold + / =; session tokens; conditional
headers; virtual-hosted and path-style hosts) are signed by our C signer
(build/tools/sigv4_tool, one JSON line per request) and by botocore. The
canonical request, signature and Authorization header must be identical,
and the path and query the client would send must be what botocore signs.

botocore builds its URL the way its S3 serializer does: the key quoted with
safe='/~', query values with safe='-_.~'.

DynamoDB (service "dynamodb", botocore's SigV4Auth): POST / with the body
ddb/json builds (keys, prefixes and cursors with quotes, backslashes,
Unicode), its SHA-256 signed in the canonical request and no
x-amz-content-sha256 header, as ddb/client sends it. Run from the
repository root:
    PYTHONPATH=tests python3 -m unittest tests/integration/test_sigv4_botocore.py -v
"""

import datetime
import json
import os
import random
import subprocess
import sys
import unittest
from unittest import mock
from urllib.parse import quote, urlsplit

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lib.harness import built_tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Under the ASan run of the suite (S3JSON_TEST_BINARY=build/asan/...), the
# signer is checked in its ASan build too.
SEED = 20261124
CASES = 400

WORDS = ["data", "v1", "report", "a", "Z9", "index", "x-y_z.q", "~tilde"]
SPECIAL = [" ", "+", "=", "&", "~", "%", "%20", "%2F", "!", "*", "'", "(", ")",
           ";", ":", "@", "$", ",", "?", "#", "[", "]", "^", "`", "{", "}",
           "|", "\\", "<", ">", '"']
UNICODE = ["\u00e9", "\u00fc", "\u65e5\u672c", "\U0001f600", "\u0391",
           "\u1234", "\u00a0", "\ufeff"]
REGIONS = ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def rand_segment(rng):
    parts = []
    for _ in range(rng.randint(1, 4)):
        pick = rng.random()
        if pick < 0.45:
            parts.append(rng.choice(WORDS))
        elif pick < 0.8:
            parts.append(rng.choice(SPECIAL))
        else:
            parts.append(rng.choice(UNICODE))
    return "".join(parts)


def rand_key(rng):
    segs = [rand_segment(rng) for _ in range(rng.randint(1, 4))]
    key = "/".join(segs)
    if rng.random() < 0.1:
        key += "/"  # a "directory" marker key
    if rng.random() < 0.05:
        key = key.replace("/", "//", 1)  # S3 keeps empty segments
    return key + rng.choice([".json", "", ".JSON"])


def rand_token(rng, n):
    body = "".join(rng.choice(B64) for _ in range(n))
    return body + "=" * rng.randint(0, 2)


def rand_list_query(rng):
    q = [("list-type", "2")]
    if rng.random() < 0.8:
        q.append(("prefix", rand_key(rng).rsplit(".", 1)[0] + rng.choice(["", "/"])))
    if rng.random() < 0.6:
        q.append(("continuation-token", rand_token(rng, rng.randint(8, 120))))
    if rng.random() < 0.5:
        q.append(("max-keys", str(rng.randint(0, 1000))))
    if rng.random() < 0.2:
        q.append(("delimiter", rng.choice(["/", "+", "=", " "])))
    if rng.random() < 0.2:
        q.append(("start-after", rand_key(rng)))
    if rng.random() < 0.1:
        q.append(("encoding-type", "url"))
    rng.shuffle(q)
    return q


def rand_case(rng, i):
    path_style = rng.random() < 0.4
    bucket = rng.choice(["my-bucket", "b.with.dots", "s3json-docs-123"])
    region = rng.choice(REGIONS)
    if path_style:
        host = rng.choice(["127.0.0.1:4566", "localhost:9000",
                           "s3.%s.amazonaws.com" % region])
        base = "/" + bucket
    else:
        host = "%s.s3.%s.amazonaws.com" % (bucket, region)
        base = ""
    listing = rng.random() < 0.35
    if listing:
        path, query = base + "/", rand_list_query(rng)
    else:
        path, query = base + "/" + rand_key(rng), []
    headers = []
    if not listing and rng.random() < 0.3:
        headers.append(("If-None-Match", '"%032x"' % rng.getrandbits(128)))
    if not listing and rng.random() < 0.3:
        headers.append(("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"))
    if rng.random() < 0.2:
        headers.append(("X-Amz-Request-Payer", "requester"))
    if rng.random() < 0.1:
        headers.append(("X-Pad", "  a   b\t c  "))
    token = None
    if rng.random() < 0.4:
        token = "IQoJb3JpZ2luX2Vj" + rand_token(rng, rng.randint(100, 900))
    return {
        "id": i,
        "method": "GET",
        "path": path,
        "query": query,
        "headers": headers,
        "host": host,
        "access_key": "AKIA%016d" % rng.randint(0, 10**15),
        "secret_key": rand_token(rng, 40)[:40],
        "token": token,
        "region": region,
        "time": rng.randint(1420070400, 1924991999),  # 2015..2030
        # botocore derives host from the URL; half the time let it
        "host_in_headers": rng.random() < 0.5,
    }


def botocore_sign(case):
    """Signs 'case' with S3SigV4Auth at the case's time; returns the parts."""
    query = "&".join("%s=%s" % (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
                     for k, v in case["query"])
    url = "https://%s%s" % (case["host"], quote(case["path"], safe="/~"))
    if query:
        url += "?" + query
    headers = dict(case["headers"])
    if case["host_in_headers"]:
        headers["Host"] = case["host"]
    req = AWSRequest(method=case["method"], url=url, headers=headers)
    creds = Credentials(case["access_key"], case["secret_key"], case["token"])
    auth = S3SigV4Auth(creds, "s3", case["region"])
    when = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc)
    seen = []
    real_cr = auth.canonical_request

    def spy(r):  # the canonical request botocore signed, not a recomputation
        seen.append(real_cr(r))
        return seen[-1]

    with mock.patch("botocore.auth.get_current_datetime", return_value=when), \
            mock.patch.object(auth, "canonical_request", side_effect=spy):
        auth.add_auth(req)
    cr = seen[0]
    return {
        "canonical_request": cr,
        "signature": req.headers["Authorization"].rsplit("Signature=", 1)[1],
        "authorization": req.headers["Authorization"],
        "amz_date": req.headers["X-Amz-Date"],
        "path": urlsplit(url).path,
        "canonical_query": cr.split("\n")[2],
    }


def tool_input(case):
    headers = [["Host", case["host"]]] + [list(h) for h in case["headers"]]
    d = {k: case[k] for k in ("method", "path", "access_key", "secret_key",
                              "region", "time")}
    d.update(query=[list(q) for q in case["query"]], headers=headers)
    if case["token"]:
        d["token"] = case["token"]
    return d


def ensure_tool():
    """The tool's path (lib.harness.built_tool; $SIGV4_TOOL picks another build)."""
    return built_tool("sigv4_tool", "SIGV4_TOOL")


def run_tool(inputs):
    data = "".join(json.dumps(d) + "\n" for d in inputs)
    p = subprocess.run([ensure_tool()], input=data.encode(), capture_output=True,
                       timeout=60, check=True)
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


class SigV4DifferentialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(SEED)
        cls.cases = [rand_case(rng, i) for i in range(CASES)]
        cls.ours = run_tool([tool_input(c) for c in cls.cases])

    def test_generated_cases_cover_the_hard_parts(self):
        paths = "".join(c["path"] for c in self.cases)
        for ch in [" ", "+", "=", "&", "~", "%", "\u00e9", "//"]:
            self.assertIn(ch, paths)
        tokens = [v for c in self.cases for k, v in c["query"]
                  if k == "continuation-token"]
        self.assertTrue(any("+" in t and "/" in t and "=" in t for t in tokens))
        self.assertGreater(sum(1 for c in self.cases if c["token"]), 50)

    def test_same_as_botocore(self):
        self.assertEqual(len(self.ours), len(self.cases))
        for case, ours in zip(self.cases, self.ours):
            with self.subTest(case=case["id"], path=case["path"]):
                self.assertNotIn("error", ours)
                ref = botocore_sign(case)
                self.assertEqual(ours["canonical_request"],
                                 ref["canonical_request"])
                self.assertEqual(ours["amz_date"], ref["amz_date"])
                self.assertEqual(ours["signature"], ref["signature"])
                self.assertEqual(ours["authorization"], ref["authorization"])
                # what the client sends is what botocore signed
                self.assertEqual(ours["path_encoded"], ref["path"])
                self.assertEqual(ours["query_encoded"], ref["canonical_query"])

    def test_one_changed_byte_changes_the_signature(self):
        case = dict(self.cases[0], path="/my-bucket/a+b.json", query=[])
        other = dict(case, path="/my-bucket/a b.json")
        a, b = run_tool([tool_input(case), tool_input(other)])
        self.assertNotEqual(a["signature"], b["signature"])
        self.assertEqual(a["signature"], botocore_sign(case)["signature"])
        self.assertEqual(b["signature"], botocore_sign(other)["signature"])

    def test_tool_rejects_bad_input(self):
        bad = [{"method": "GET"}, {"method": "GET", "path": "/", "time": 0,
                                   "headers": [], "access_key": "a",
                                   "secret_key": "b", "region": "r"}]
        out = run_tool(bad)
        self.assertEqual(out[0], {"error": "malformed input"})
        self.assertEqual(out[1], {"error": "bad_input"})  # no host header


DDB_OPS = ["GetItem", "GetItemSha", "Scan", "DescribeTable"]
DDB_TYPE = "application/x-amz-json-1.0"


def rand_ddb_case(rng, i):
    region = rng.choice(REGIONS)
    op = rng.choice(DDB_OPS)
    spec = {"op": "GetItem" if op == "GetItemSha" else op,
            "table": rng.choice(["docs", "s3json-docs.prod_1", "T-9"])}
    if op.startswith("GetItem"):
        spec.update(key=rand_key(rng), sha_only=op == "GetItemSha")
    elif op == "Scan":
        spec.update(prefix=rng.choice(["", "docs/", rand_segment(rng)]),
                    limit=rng.randint(1, 1000))
        if rng.random() < 0.5:
            spec["start"] = rand_key(rng)
    token = None
    if rng.random() < 0.4:
        token = "IQoJb3JpZ2luX2Vj" + rand_token(rng, rng.randint(100, 900))
    return {
        "id": i,
        "host": rng.choice(["dynamodb.%s.amazonaws.com" % region,
                            "127.0.0.1:5000", "localhost:8000"]),
        "target": "DynamoDB_20120810." + spec["op"],
        "ddb": spec,
        "access_key": "ASIA%016d" % rng.randint(0, 10**15),
        "secret_key": rand_token(rng, 40)[:40],
        "token": token,
        "region": region,
        "time": rng.randint(1420070400, 1924991999),
    }


def ddb_tool_input(case):
    d = {k: case[k] for k in ("access_key", "secret_key", "region", "time", "ddb")}
    d.update(method="POST", path="/", service="dynamodb", add_content_sha256=False,
             headers=[["Host", case["host"]], ["Content-Type", DDB_TYPE],
                      ["X-Amz-Target", case["target"]]])
    if case["token"]:
        d["token"] = case["token"]
    return d


def botocore_sign_ddb(case, body):
    """Signs the DynamoDB call as boto3 does (SigV4Auth, service dynamodb)."""
    req = AWSRequest(method="POST", url="https://%s/" % case["host"],
                     data=body.encode("utf-8"),
                     headers={"Content-Type": DDB_TYPE, "X-Amz-Target": case["target"]})
    creds = Credentials(case["access_key"], case["secret_key"], case["token"])
    auth = SigV4Auth(creds, "dynamodb", case["region"])
    when = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc)
    seen = []
    real_cr = auth.canonical_request

    def spy(r):
        seen.append(real_cr(r))
        return seen[-1]

    with mock.patch("botocore.auth.get_current_datetime", return_value=when), \
            mock.patch.object(auth, "canonical_request", side_effect=spy):
        auth.add_auth(req)
    return {"canonical_request": seen[0], "authorization": req.headers["Authorization"],
            "amz_date": req.headers["X-Amz-Date"]}


class SigV4DynamoDBTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(SEED + 14)
        cls.cases = [rand_ddb_case(rng, i) for i in range(CASES // 2)]
        cls.ours = run_tool([ddb_tool_input(c) for c in cls.cases])

    def test_same_as_botocore(self):
        self.assertEqual(len(self.ours), len(self.cases))
        for case, ours in zip(self.cases, self.ours):
            with self.subTest(case=case["id"], ddb=case["ddb"]):
                self.assertNotIn("error", ours)
                ref = botocore_sign_ddb(case, ours["body"])
                self.assertEqual(ours["canonical_request"], ref["canonical_request"])
                self.assertEqual(ours["amz_date"], ref["amz_date"])
                self.assertEqual(ours["authorization"], ref["authorization"])
                self.assertIn("SignedHeaders=content-type;host;x-amz-date;"
                              + ("x-amz-security-token;" if case["token"] else "")
                              + "x-amz-target,", ours["authorization"])

    def test_bodies_say_what_boto3_would(self):
        """The body signed is the request boto3 would send for the call."""
        for case, ours in zip(self.cases, self.ours):
            spec, body = case["ddb"], json.loads(ours["body"])
            with self.subTest(case=case["id"]):
                self.assertEqual(body["TableName"], spec["table"])
                if spec["op"] == "GetItem":
                    self.assertEqual(body["Key"], {"name": {"S": spec["key"]}})
                    self.assertIs(body["ConsistentRead"], False)
                elif spec["op"] == "Scan":
                    self.assertEqual(body["Limit"], spec["limit"])
                    if spec["prefix"]:
                        self.assertEqual(body["ExpressionAttributeValues"],
                                         {":p": {"S": spec["prefix"]}})
                    if "start" in spec:
                        self.assertEqual(body["ExclusiveStartKey"],
                                         {"name": {"S": spec["start"]}})

    def test_cases_cover_escaping(self):
        names = "".join(c["ddb"].get("key", "") + c["ddb"].get("prefix", "")
                        + c["ddb"].get("start", "") for c in self.cases)
        for ch in ['"', "\\", "\u00e9", "\U0001f600"]:
            self.assertIn(ch, names)
        self.assertTrue(any('\\"' in o["body"] for o in self.ours))  # escaped
        self.assertGreater(sum(1 for c in self.cases if c["token"]), 20)


if __name__ == "__main__":
    unittest.main()
