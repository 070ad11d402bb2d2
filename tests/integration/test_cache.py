"""The document cache end to end: s3json against the emulator (S3, or with
S3JSON_TEST_STORE=dynamodb the emulator's DynamoDB)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
import unittest

from lib.harness import (STORE, Service, ddb_reads, emulator, projected_fields,  # fmt: skip
                         put_document, seed_store, service_env, store_reader)


def store_gets(svc: Service, name: str) -> float:
    """Reads of document 'name' from the store: S3 GetObjects as the
    service counts them, DynamoDB whole-item GetItems as the emulator saw
    them (a probe or a sha256-only revalidation is not a document read)."""
    if STORE == "dynamodb":
        return len(ddb_reads(svc.emu, 0, name, with_body=True))
    return s3_gets(svc)


def s3_gets(svc: Service) -> float:
    return sum(
        float(m.group(1)) for m in re.finditer(
            r'^s3json_s3_requests_total\{operation="GetObject",[^}]*\} (\S+)$',
            svc.get("/metrics").body.decode(), re.M))  # fmt: skip


class CacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_store(cls.emu)
        cls.creds = store_reader(cls.emu)

    def service(self, **env) -> Service:
        base = {"S3JSON_CACHE_TTL_SECONDS": "1"}
        base.update(env)
        svc = Service(service_env(self.emu, self.creds, **base))
        svc.emu = self.emu
        return svc

    def put(self, name: str, body: bytes, with_sha: bool = True) -> None:
        put_document(self.emu, name, body, with_sha)

    def test_hit_miss_revalidated(self):
        self.put("c1", b'{"v":1}')
        with self.service() as svc:
            self.assertEqual(svc.get("/api/c1").headers["x-cache"], "MISS")
            r = svc.get("/api/c1")
            self.assertEqual((r.headers["x-cache"], r.body), ("HIT", b'{"v":1}'))
            time.sleep(1.1)
            r = svc.get("/api/c1")
            self.assertEqual((r.headers["x-cache"], r.body), ("REVALIDATED", b'{"v":1}'))
            self.assertEqual(svc.metric("s3json_cache_revalidations_total"), 1)
            self.assertEqual(svc.metric("s3json_cache_hits_total"), 1)
            line = svc.wait_event("access", lambda d: d.get("cache") == "REVALIDATED")
            self.assertEqual(line["s3_status"], 200 if STORE == "dynamodb" else 304)

    def test_freshness_within_ttl_plus_one_second(self):
        self.put("c2", b'{"v":1}')
        with self.service() as svc:
            self.assertEqual(svc.get("/api/c2").body, b'{"v":1}')
            self.put("c2", b'{"v":2}')
            t0 = time.monotonic()
            while time.monotonic() - t0 < 5:
                if svc.get("/api/c2").body == b'{"v":2}':
                    break
                time.sleep(0.05)
            took = time.monotonic() - t0
            self.assertEqual(svc.get("/api/c2").body, b'{"v":2}')
            self.assertLessEqual(took, 1 + 1)  # TTL + 1 s

    def test_single_flight(self):
        self.put("c3", b'{"hot":true}')
        with self.service(S3JSON_CACHE_TTL_SECONDS="30") as svc:
            before = store_gets(svc, "c3")
            results, barrier = [], threading.Barrier(32)

            def hit():
                barrier.wait(5)
                results.append(svc.get("/api/c3").status)

            threads = [threading.Thread(target=hit) for _ in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(20)
            self.assertEqual(results, [200] * 32)
            self.assertEqual(store_gets(svc, "c3") - before, 1)

    def test_stale_if_error_and_recovery(self):
        self.put("c4", b'{"stale":"ok"}')
        with self.service(S3JSON_S3_TIMEOUT_MS="500", S3JSON_READY_PROBE_SECONDS="1") as svc:
            self.assertEqual(svc.get("/api/c4").status, 200)
            time.sleep(1.1)
            self.emu.stop()
            try:
                r = svc.get("/api/c4")
                self.assertEqual((r.status, r.body), (200, b'{"stale":"ok"}'))
                self.assertEqual(r.headers["x-cache"], "STALE")
                self.assertIn("110", r.headers["warning"])
                r = svc.get("/api/foo-never-cached")
                self.assertEqual(r.status, 503)
                self.assertEqual(r.json()["error"], "upstream_unavailable")
                deadline = time.monotonic() + 5
                while svc.get("/readyz").status != 503 and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertEqual(svc.get("/readyz").status, 503)
            finally:
                self.emu.start()
            deadline = time.monotonic() + 5
            while svc.get("/api/c4").headers.get("x-cache") == "STALE" and time.monotonic() < deadline:
                time.sleep(0.1)
            r = svc.get("/api/c4")
            self.assertIn(r.headers["x-cache"], ("HIT", "REVALIDATED", "MISS"))
            deadline = time.monotonic() + 5
            while svc.get("/readyz").status != 200 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(svc.get("/readyz").status, 200)

    def test_gzip(self):
        body = json.dumps({"items": [{"id": i, "name": f"item {i}"} for i in range(200)]}).encode()
        self.put("c5", body)
        with self.service() as svc:
            r = svc.get("/api/c5", headers={"Accept-Encoding": "gzip, deflate"})
            self.assertEqual(r.headers["content-encoding"], "gzip")
            self.assertEqual(r.headers["vary"], "Accept-Encoding")
            self.assertEqual(gzip.decompress(r.body), body)
            self.assertLess(len(r.body), len(body) / 3)
            gz_etag = r.headers["etag"]
            self.assertTrue(gz_etag.endswith('-gz"'))
            self.assertEqual(svc.get("/api/c5", headers={"Accept-Encoding": "gzip",
                                                        "If-None-Match": gz_etag}).status, 304)  # fmt: skip
            r = svc.get("/api/c5")
            self.assertNotIn("content-encoding", r.headers)
            self.assertEqual(r.body, body)
            r = svc.get("/api/c5", headers={"Accept-Encoding": "gzip;q=0, identity"})
            self.assertNotIn("content-encoding", r.headers)
            # Parameter names and codings are case-insensitive (RFC 9110).
            for refused in ("gzip;Q=0", "gzip ; Q=0.000", "br, GZIP;q=0"):
                r = svc.get("/api/c5", headers={"Accept-Encoding": refused})
                self.assertNotIn("content-encoding", r.headers, refused)
                self.assertEqual(r.body, body, refused)
            for accepted in ("GZip", "gzip;Q=0.5", "identity;q=0, gzip ;q=1"):
                r = svc.get("/api/c5", headers={"Accept-Encoding": accepted})
                self.assertEqual(r.headers.get("content-encoding"), "gzip", accepted)
            r = svc.get("/api/foo", headers={"Accept-Encoding": "gzip"})
            self.assertNotIn("content-encoding", r.headers)  # under 1 KiB

    def test_304_content_length_is_the_representations(self):
        """Issue 9 item 10: a 304 carries no Content-Length: 0 (RFC 9110
        8.6); libmicrohttpd 0.9.75 writes one on every 304, so it is the
        length of the representation a 200 would send: identity or gzip."""
        body = json.dumps({"items": [{"id": i, "name": f"item {i}"} for i in range(200)]}).encode()
        self.put("c304", body)
        with self.service() as svc:
            for enc in ("gzip", "identity"):
                r = svc.get("/api/c304", headers={"Accept-Encoding": enc})
                self.assertEqual(r.status, 200)
                n = svc.get("/api/c304", headers={"Accept-Encoding": enc, "If-None-Match": r.headers["etag"]})
                self.assertEqual(n.status, 304)
                self.assertEqual(n.body, b"")
                self.assertEqual(n.headers.get("content-length"), str(len(r.body)), enc)
            self.assertNotEqual(*[svc.get("/api/c304", headers={"Accept-Encoding": e}).headers["content-length"]
                                  for e in ("gzip", "identity")])  # fmt: skip

    def test_client_max_age_and_negative_cache(self):
        with self.service(S3JSON_CLIENT_MAX_AGE="30") as svc:
            self.assertEqual(svc.get("/api/foo").headers["cache-control"], "max-age=30")
            before = store_gets(svc, "absent")
            for _ in range(5):
                self.assertEqual(svc.get("/api/absent").status, 404)
            self.assertEqual(store_gets(svc, "absent") - before, 1)

    def test_cache_off(self):
        with self.service(S3JSON_CACHE_TTL_SECONDS="0") as svc:
            before = store_gets(svc, "foo")
            for _ in range(3):
                r = svc.get("/api/foo")
                self.assertEqual((r.status, r.headers["x-cache"]), (200, "MISS"))
            self.assertEqual(store_gets(svc, "foo") - before, 3)

    def test_metrics_exposition(self):
        with self.service() as svc:
            svc.get("/api/foo")
            # Request counters are updated when a reply has been sent, which
            # can be just after the client read it: wait for the count.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and 'route="document",status="200"' not in svc.get("/metrics").body.decode():
                time.sleep(0.05)
            text = svc.get("/metrics")
            self.assertTrue(text.headers["content-type"].startswith("text/plain; version=0.0.4"))
            body = text.body.decode()
            for series in ['s3json_http_requests_total{route="document",status="200"}',
                           's3json_http_request_duration_seconds_bucket{route="document",le="+Inf"}',
                           "s3json_cache_hits_total", "s3json_cache_misses_total",
                           "s3json_cache_evictions_total", "s3json_cache_stale_total",
                           "s3json_cache_revalidations_total", "s3json_cache_bytes",
                           's3json_s3_requests_total{operation="GetObject",outcome="ok"}',
                           's3json_s3_request_duration_seconds_count{operation="GetObject"}',
                           "s3json_credential_refreshes_total", "s3json_http_requests_in_flight"]:  # fmt: skip
                self.assertIn(series, body)


@unittest.skipIf(STORE != "dynamodb", "DynamoDB only: revalidation by sha256 (S3 revalidates with If-None-Match)")
class DynamoRevalidationTest(unittest.TestCase):
    """Issue 14: DynamoDB has no conditional GET; an item with sha256 is
    revalidated by reading that attribute alone (the body is not
    transferred), an item without it is re-read whole."""

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_store(cls.emu)
        cls.creds = store_reader(cls.emu)

    def revalidate(self, name: str, body: bytes, with_sha: bool) -> list[dict]:
        put_document(self.emu, name, body, with_sha)
        with Service(service_env(self.emu, self.creds, S3JSON_CACHE_TTL_SECONDS="1")) as svc:
            self.assertEqual(svc.get(f"/api/{name}").body, body)
            time.sleep(1.1)
            n = len(self.emu.dynamodb_requests())
            r = svc.get(f"/api/{name}")
            self.assertEqual((r.status, r.headers["x-cache"], r.body), (200, "REVALIDATED", body))
            return ddb_reads(self.emu, n, name)

    def test_unchanged_item_with_sha256_is_revalidated_without_its_body(self):
        reads = self.revalidate("rv1", b'{"rv":1}', with_sha=True)
        self.assertEqual(len(reads), 1, reads)
        fields = projected_fields(reads[0])
        self.assertIn("sha256", fields, reads[0])
        self.assertNotIn("body", fields, reads[0])

    def test_item_without_sha256_is_reread_whole(self):
        reads = self.revalidate("rv2", b'{"rv":2}', with_sha=False)
        self.assertTrue(reads, "no GetItem at revalidation")
        self.assertIn("body", projected_fields(reads[-1]) or {"body"}, reads)  # None: the whole item

    def test_changed_item_is_served_new_after_ttl(self):
        put_document(self.emu, "rv3", b'{"v":1}')
        with Service(service_env(self.emu, self.creds, S3JSON_CACHE_TTL_SECONDS="1")) as svc:
            self.assertEqual(svc.get("/api/rv3").body, b'{"v":1}')
            put_document(self.emu, "rv3", b'{"v":2}')
            time.sleep(1.1)
            r = svc.get("/api/rv3")
            self.assertEqual(r.body, b'{"v":2}')
            self.assertEqual(r.headers["etag"], '"%s"' % hashlib.sha256(b'{"v":2}').hexdigest())


if __name__ == "__main__":
    unittest.main()
