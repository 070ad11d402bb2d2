"""Fault injection: S3 and the credentials endpoint misbehaving.

The service talks to S3 through faults.FaultProxy (or a server that never
answers), and to a local stand-in for the ECS credentials endpoint; every
outcome must be a clean JSON error, a bounded wait and a recovery, never a
crash or a wrong body.
"""

from __future__ import annotations

import json
import threading
import time
import unittest

from lib.ecs import StsEndpoint
from lib.faults import FaultProxy, HangingServer, threads_of, wait_for
from lib.harness import (BUCKET, PREFIX, Service, create_table_reader, emulator,  # fmt: skip
                         seed_bucket, seed_table, service_env)

DDB = "com.amazonaws.dynamodb.v20120810#"


class S3FaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        cls.creds = cls.emu.create_restricted_user(BUCKET, PREFIX)

    def service(self, endpoint: str, **env) -> Service:
        base = {"S3JSON_CACHE_TTL_SECONDS": "0", "AWS_ENDPOINT_URL_S3": endpoint,
                "S3JSON_S3_TIMEOUT_MS": "1500"}  # fmt: skip
        base.update(env)
        return Service(service_env(self.emu, self.creds, **base))

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.json()["error"], code)
        self.assertNotIn(b"<", r.body)
        self.assertNotIn(b"FAULT", r.body)

    def test_5xx_and_slowdown_are_retried_then_succeed(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint) as svc:
            for fault in [("status", 503, "SlowDown"), ("status", 500, "InternalError"),
                          ("status", 503, "ServiceUnavailable")]:  # fmt: skip
                with self.subTest(fault=fault):
                    fp.reset()
                    fp.queue(fault, fault, match="/foo.json")
                    r = svc.get("/api/foo")
                    self.assertEqual((r.status, r.body), (200, b'{"greeting":"I am the Foo"}'))
                    self.assertEqual(fp.count("/foo.json"), 3)

    def test_bounded_retries_then_503(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint) as svc:
            fp.always(("status", 503, "SlowDown"), match="/foo.json")
            t0 = time.monotonic()
            r = svc.get("/api/foo")
            self.assertError(r, 503, "upstream_unavailable")
            self.assertEqual(r.headers["retry-after"], "1")
            self.assertLess(time.monotonic() - t0, 1.5 + 0.5)
            self.assertEqual(fp.count("/foo.json"), 3)  # S3JSON_S3_MAX_ATTEMPTS
            line = svc.wait_event("access", lambda d: d["path"] == "/api/foo")
            self.assertEqual(line["s3_status"], 503)
            fp.always(None)
            self.assertEqual(svc.get("/api/foo").status, 200)

    def test_403_is_not_retried(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint) as svc:
            fp.queue(("status", 403, "AccessDenied"), match="/foo.json")
            self.assertError(svc.get("/api/foo"), 502, "upstream_forbidden")
            self.assertEqual(fp.count("/foo.json"), 1)

    def test_slow_s3_gives_504_within_timeout_without_pile_up(self):
        with HangingServer() as hs, self.service(hs.endpoint, S3JSON_S3_TIMEOUT_MS="500",
                                                 S3JSON_THREADS="4") as svc:  # fmt: skip
            t0 = time.monotonic()
            r = svc.get("/api/foo")
            took = time.monotonic() - t0
            self.assertError(r, 504, "upstream_timeout")
            self.assertLess(took, 0.5 + 0.4)
            # Counted after the first S3 call: threads the service starts
            # once (slower to appear under ASan) are not a pile-up.
            base_threads = threads_of(svc.proc.pid)
            results = []

            def one():
                results.append(svc.get("/api/foo", timeout=10).status)

            ts = [threading.Thread(target=one) for _ in range(16)]
            for t in ts:
                t.start()
            # S3 calls wait on worker threads: the HTTP threads stay free,
            # so health checks and cache hits do not queue behind S3.
            time.sleep(0.1)
            t1 = time.monotonic()
            self.assertEqual(svc.get("/healthz").status, 200)
            self.assertLess(time.monotonic() - t1, 0.25)
            for t in ts:
                t.join(15)
            self.assertEqual(results, [504] * 16)
            self.assertEqual(threads_of(svc.proc.pid), base_threads)
            self.assertEqual(svc.get("/healthz").status, 200)

    def test_malformed_responses_are_502_never_a_wrong_body(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint,
                                                               S3JSON_S3_MAX_ATTEMPTS="1") as svc:  # fmt: skip
            fp.queue(("truncate",), match="/platform.json")
            r = svc.get("/api/team/platform")
            self.assertIn(r.status, (502, 503), r)
            self.assertNotEqual(r.status, 200)
            fp.queue(("garbage",), match="/foo.json")
            r = svc.get("/api/foo")
            self.assertIn(r.status, (502, 503), r)
            fp.queue(("body", 200, b"<ListBucketResult><Contents><Key>a"), match="max-keys=1000")
            self.assertError(svc.get("/api"), 502, "bad_upstream_response")
            fp.queue(("body", 200, b"not xml at all"), match="max-keys=1000")
            self.assertError(svc.get("/api"), 502, "bad_upstream_response")
            fp.queue(("body", 404, b"<Error><Code>NoSuchKey</Code><Message>" + b"x" * 100000), match="/foo.json")
            self.assertEqual(svc.get("/api/foo").status, 404)
            # And the service is fine afterwards.
            self.assertEqual(svc.get("/api/foo").status, 200)

    def test_s3_header_values_are_checked_or_rewritten(self):
        """ETag and Last-Modified from S3 reach clients only when ETag has
        RFC 9110's grammar (else 502), and Last-Modified is re-written by us
        as an IMF-fixdate (not a date: 502)."""
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint,
                                                               S3JSON_S3_MAX_ATTEMPTS="1") as svc:  # fmt: skip
            for bad in ({"ETag": '"abc\x01def"'}, {"ETag": "abc"}, {"ETag": '"a"b"'},
                        {"ETag": None}, {"ETag": '"' + "a" * 200 + '"'},
                        {"Last-Modified": "garbage"},
                        {"Last-Modified": "Thu, 03 Dec 2026 11:50:07 GMT\x01"}):  # fmt: skip
                with self.subTest(bad=bad):
                    fp.queue(("headers", bad), match="/foo.json")
                    r = svc.get("/api/foo")
                    self.assertError(r, 502, "bad_upstream_response")
                    self.assertNotIn("etag", r.headers)
            fp.queue(("headers", {"Last-Modified": "Thursday, 03-Dec-26 11:50:07 GMT",
                                  "ETag": 'W/"weak-1"'}), match="/foo.json")  # fmt: skip
            r = svc.get("/api/foo")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["last-modified"], "Thu, 03 Dec 2026 11:50:07 GMT")
            self.assertEqual(r.headers["etag"], 'W/"weak-1"')
            self.assertEqual(svc.get("/api/foo").status, 200)

    def test_s3_stopped_then_back(self):
        with self.service(self.emu.endpoint, S3JSON_READY_PROBE_SECONDS="1") as svc:
            self.assertTrue(wait_for(lambda: svc.get("/readyz").status == 200, 5))
            self.emu.stop()
            try:
                self.assertError(svc.get("/api/foo"), 503, "upstream_unavailable")
                self.assertTrue(wait_for(lambda: svc.get("/readyz").status == 503, 5))
                self.assertEqual(svc.get("/readyz").json()["reason"], "s3_probe_failed")
            finally:
                self.emu.start()
            self.assertEqual(svc.get("/api/foo").status, 200)
            self.assertTrue(wait_for(lambda: svc.get("/readyz").status == 200, 5))

    def test_object_replaced_under_load_never_torn(self):
        s3 = self.emu.client("s3")
        a = json.dumps({"v": "a" * 200000}).encode()
        b = json.dumps({"v": "b" * 150000}).encode()
        key = f"{PREFIX}swap.json"
        s3.put_object(Bucket=BUCKET, Key=key, Body=a)
        for ttl in ("0", "1"):
            with self.subTest(ttl=ttl), self.service(self.emu.endpoint, S3JSON_CACHE_TTL_SECONDS=ttl) as svc:
                stop, bad, seen = threading.Event(), [], set()

                def reader():
                    while not stop.is_set():
                        r = svc.get("/api/swap")
                        if r.status != 200 or r.body not in (a, b):
                            bad.append((r.status, len(r.body)))
                        else:
                            seen.add(r.body[7:8])

                def writer():
                    i = 0
                    while not stop.is_set() and i < 40:
                        s3.put_object(Bucket=BUCKET, Key=key, Body=b if i % 2 == 0 else a)
                        i += 1
                        time.sleep(0.05)

                ts = [threading.Thread(target=reader) for _ in range(4)] + [threading.Thread(target=writer)]
                for t in ts:
                    t.start()
                time.sleep(3)
                stop.set()
                for t in ts:
                    t.join(20)
                self.assertEqual(bad, [])
                if ttl == "0":  # uncached, both versions must have shown
                    self.assertEqual(seen, {b"a", b"b"})


class DynamoFaultTest(unittest.TestCase):
    """Issue 14: the DynamoDB store behind the fault proxy. Throttling is
    retried (bounded) then 503, an auth refusal is 502 at once, a silent
    endpoint 504 within the budget, a malformed answer 502: never a wrong
    body."""

    FOO = '"docs/foo"'  # in the GetItem body of GET /api/foo

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_table(cls.emu)
        cls.creds = create_table_reader(cls.emu)

    def service(self, endpoint: str, **env) -> Service:
        base = {"S3JSON_CACHE_TTL_SECONDS": "0", "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
                "S3JSON_S3_TIMEOUT_MS": "1500"}  # fmt: skip
        base.update(env)
        return Service(service_env(self.emu, self.creds, store="dynamodb", **base))

    assertError = S3FaultTest.assertError

    def test_throttling_is_retried_then_succeeds(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint) as svc:
            for fault in [("ddb", 400, DDB + "ProvisionedThroughputExceededException"),
                          ("ddb", 400, "com.amazon.coral.availability#ThrottlingException"),
                          ("ddb", 500, DDB + "InternalServerError"),
                          ("status", 503, "ServiceUnavailable")]:  # fmt: skip
                with self.subTest(fault=fault):
                    fp.reset()
                    fp.queue(fault, fault, match=self.FOO)
                    r = svc.get("/api/foo")
                    self.assertEqual((r.status, r.body), (200, b'{"greeting":"I am the Foo"}'))
                    self.assertEqual(fp.count(self.FOO), 3)

    def test_throttled_throughout_is_bounded_retries_then_503(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint) as svc:
            fp.always(("ddb", 400, DDB + "ProvisionedThroughputExceededException"), match=self.FOO)
            t0 = time.monotonic()
            r = svc.get("/api/foo")
            self.assertError(r, 503, "upstream_unavailable")
            self.assertEqual(r.headers["retry-after"], "1")
            self.assertLess(time.monotonic() - t0, 1.5 + 0.5)
            self.assertEqual(fp.count(self.FOO), 3)  # S3JSON_S3_MAX_ATTEMPTS
            fp.always(("ddb", 400, DDB + "ProvisionedThroughputExceededException"), match="Scan")
            self.assertError(svc.get("/api"), 503, "upstream_unavailable")
            fp.always(None)
            self.assertEqual(svc.get("/api/foo").status, 200)
            self.assertEqual(svc.get("/api").status, 200)

    def test_access_denied_is_502_and_not_retried(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint) as svc:
            for t in ("com.amazon.coral.service#AccessDeniedException",
                      "com.amazon.coral.service#UnrecognizedClientException"):  # fmt: skip
                with self.subTest(type=t):
                    fp.reset()
                    fp.queue(("ddb", 400, t), match=self.FOO)
                    self.assertError(svc.get("/api/foo"), 502, "upstream_forbidden")
                    self.assertEqual(fp.count(self.FOO), 1)

    def test_silent_endpoint_is_504_within_the_budget(self):
        with HangingServer() as hs, self.service(hs.endpoint, S3JSON_S3_TIMEOUT_MS="500") as svc:
            t0 = time.monotonic()
            r = svc.get("/api/foo")
            self.assertError(r, 504, "upstream_timeout")
            self.assertLess(time.monotonic() - t0, 0.5 + 0.4)
            rid = r.headers["x-request-id"]
            line = svc.wait_event("access", lambda d: d.get("request_id") == rid)
            self.assertLessEqual(line["s3_ms"], 500 + 50)
            self.assertError(svc.get("/api"), 504, "upstream_timeout")
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint, S3JSON_S3_TIMEOUT_MS="500") as svc:
            fp.always(("delay", 2.0), match=self.FOO)
            t0 = time.monotonic()
            self.assertError(svc.get("/api/foo"), 504, "upstream_timeout")
            self.assertLess(time.monotonic() - t0, 0.5 + 0.4)

    def test_malformed_answers_are_502_never_a_wrong_body(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint, S3JSON_S3_MAX_ATTEMPTS="1") as svc:
            for bad in (b"not json at all", b'{"Item": ', b"[]", b'{"Item": {"name": {"S": "docs/foo"}}}',
                        b'{"Item": {"name": {"S": "docs/foo"}, "body": {"N": "1"}}}',
                        b'{"Item": {"name": {"S": "docs/foo"}, "body": "raw"}}'):  # fmt: skip
                with self.subTest(bad=bad):
                    fp.queue(("body", 200, bad), match=self.FOO)
                    self.assertError(svc.get("/api/foo"), 502, "bad_upstream_response")
            for fault in (("truncate",), ("garbage",)):
                with self.subTest(fault=fault):
                    fp.queue(fault, match=self.FOO)
                    r = svc.get("/api/foo")
                    self.assertIn(r.status, (502, 503), r)
            for bad in (b"not json", b'{"Items": {}}', b'{"Items": [{"name": {"N": "1"}}], "Count": 1'):
                with self.subTest(scan=bad):
                    fp.queue(("body", 200, bad), match="Scan")
                    self.assertError(svc.get("/api"), 502, "bad_upstream_response")
            fp.queue(("ddb", 400, DDB + "ValidationException"), match=self.FOO)
            self.assertEqual(svc.get("/api/foo").status, 502)
            self.assertEqual(svc.get("/api/foo").status, 200)  # and fine afterwards

    def test_revalidation_of_an_unchanged_item_does_not_transfer_its_body(self):
        with FaultProxy(self.emu.endpoint) as fp, self.service(fp.endpoint, S3JSON_CACHE_TTL_SECONDS="1") as svc:
            self.assertEqual(svc.get("/api/foo").headers["x-cache"], "MISS")
            time.sleep(1.1)
            fp.reset()
            r = svc.get("/api/foo")
            self.assertEqual((r.status, r.headers["x-cache"]), (200, "REVALIDATED"))
            with fp.lock:
                gets = [p for _, p in fp.seen if self.FOO in p and "GetItem" in p]
            self.assertEqual(len(gets), 1, gets)
            req = json.loads(gets[0].split("\n", 2)[2])
            names = set(req.get("ExpressionAttributeNames", {}).values())
            self.assertEqual(names, {"sha256"}, req)


def _ecs_endpoint(emu, lifetime: int) -> StsEndpoint:
    """The ECS credentials endpoint with the emulator's restricted keys,
    declared to expire after `lifetime` s; when down it answers 500."""
    ep = StsEndpoint(emu, BUCKET, PREFIX, lifetime=lifetime, expire=False)
    ep.set(auth_tokens={"secret-token"}, down_status=500)
    return ep.start()


class CredentialFaultTest(unittest.TestCase):
    def test_endpoint_down_at_refresh(self):
        """Valid keys keep working until they expire, then 503, then
        recovery when the endpoint is back."""
        emu = emulator()
        seed_bucket(emu)
        ep = _ecs_endpoint(emu, lifetime=8)
        env = service_env(emu, {"access_key_id": "", "secret_access_key": ""},
                          S3JSON_CACHE_TTL_SECONDS="0",
                          AWS_CONTAINER_CREDENTIALS_FULL_URI=ep.full_uri,
                          AWS_CONTAINER_AUTHORIZATION_TOKEN="secret-token")  # fmt: skip
        env.pop("AWS_ACCESS_KEY_ID")
        env.pop("AWS_SECRET_ACCESS_KEY")
        try:
            with Service(env) as svc:
                self.assertEqual(svc.get("/api/foo").status, 200)
                self.assertEqual(svc.events("start")[0]["credentials"], "ecs")
                ep.set(down=True)
                t0 = time.monotonic()
                # Until the keys expire (8 s after the fetch), requests work.
                while time.monotonic() - t0 < 5:
                    r = svc.get("/api/foo")
                    self.assertEqual(r.status, 200, (r, svc.lines[-5:]))
                    time.sleep(0.25)
                # After expiry: no credentials, a clean 503.
                self.assertTrue(wait_for(lambda: svc.get("/api/foo").status == 503, 8))
                r = svc.get("/api/foo")
                self.assertEqual(r.json()["error"], "no_credentials")
                self.assertGreater(ep.fetches, 1)
                ep.set(down=False)
                self.assertTrue(wait_for(lambda: svc.get("/api/foo").status == 200, 20))
                text = "\n".join(svc.lines)
                self.assertNotIn("SecretAccessKey", text)
        finally:
            ep.stop()


    def test_credential_work_counts_in_the_s3_budget(self):
        """A credential fetch made inside an S3 call is part of that call's
        S3JSON_S3_TIMEOUT_MS: the request ends within the budget, whatever
        the endpoint's speed (issue 9, item 3)."""
        emu = emulator()
        seed_bucket(emu)
        # Expiration is whole seconds: keys expire 9-10 s after a fetch and
        # are due for refresh 2 s before that (80% of their life).
        ep = _ecs_endpoint(emu, lifetime=10)
        budget = 1.0
        try:
            with FaultProxy(emu.endpoint) as fp:
                env = service_env(emu, {"access_key_id": "", "secret_access_key": ""},
                                  S3JSON_CACHE_TTL_SECONDS="0", S3JSON_S3_MAX_ATTEMPTS="1",
                                  S3JSON_S3_TIMEOUT_MS=str(int(budget * 1000)),
                                  S3JSON_READY_PROBE_SECONDS="3600",
                                  AWS_ENDPOINT_URL_S3=fp.endpoint,
                                  AWS_CONTAINER_CREDENTIALS_FULL_URI=ep.full_uri,
                                  AWS_CONTAINER_AUTHORIZATION_TOKEN="secret-token")  # fmt: skip
                env.pop("AWS_ACCESS_KEY_ID")
                env.pop("AWS_SECRET_ACCESS_KEY")
                with Service(env) as svc:
                    # (a loaded machine may need a second try at start-up)
                    self.assertTrue(wait_for(lambda: svc.get("/api/foo").status == 200, 10))
                    self.assertTrue(wait_for(lambda: ep.served, 5))
                    fetched = ep.served[-1]
                    # 1. Refresh due, keys still valid, endpoint far slower
                    # than the budget, S3 slowish: the refresh may take only
                    # part of the budget, the old keys serve the request.
                    ep.set(delay=3.0)
                    fp.always(("delay", 0.2), match="/foo.json")
                    time.sleep(max(0.0, fetched + 8.2 - time.monotonic()))
                    r = svc.get("/api/foo")
                    self.assertEqual(r.status, 200, r)
                    # The service's own clock (access log): client-side
                    # times on a loaded machine add scheduling noise.
                    # s3_ms: the S3 call as the service timed it, from its
                    # start to its end, credential work included (client
                    # times on a loaded machine add scheduling noise)
                    rid = r.headers["x-request-id"]
                    line = svc.wait_event("access", lambda d: d.get("request_id") == rid)
                    self.assertLessEqual(line["s3_ms"], budget * 1000)
                    # 2. Keys expired: the fetch takes 0.7 s of the 1 s, S3
                    # 0.6 s; before, 1.3 s and a 200; now 504 at the budget.
                    time.sleep(max(0.0, fetched + 10.2 - time.monotonic()))
                    ep.set(delay=0.7)
                    fp.always(("delay", 0.6), match="/foo.json")
                    r = svc.get("/api/foo")
                    self.assertEqual((r.status, r.json()["error"]), (504, "upstream_timeout"), r)
                    rid = r.headers["x-request-id"]
                    line = svc.wait_event("access", lambda d: d.get("request_id") == rid)
                    self.assertLessEqual(line["s3_ms"], budget * 1000 + 50)
                    # the whole request: the budget plus queueing and reply
                    self.assertLess(line["duration_ms"], budget * 1000 + 500)
                    # 3. And with a fast endpoint again, all is well.
                    ep.set(delay=0.0)
                    fp.always(None)
                    self.assertTrue(wait_for(lambda: svc.get("/api/foo").status == 200, 5))
        finally:
            ep.stop()


if __name__ == "__main__":
    unittest.main()
