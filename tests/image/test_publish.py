"""Publication test: the multi-architecture image scripts/image/publish.sh pushed.

Reads the registry's own answers (the Docker Registry HTTP API v2 that ECR
also speaks), not the local engine's view: the tag resolves to the digest
publish.sh printed; that digest is a manifest list with exactly one image
for linux/amd64 and one for linux/arm64; each entry's image config says the
same CPU and runs /s3json as uid 10001; each entry is also tagged
`<tag>-<arch>` (ECR's lifecycle policy expires untagged manifests, and a tag
on the list does not protect its entries). ECS picks the entry matching the
task's cpu_architecture from such a list.

Run: S3JSON_TEST_REGISTRY=127.0.0.1:5000 S3JSON_TEST_REPOSITORY=s3json \
     S3JSON_TEST_TAG=t S3JSON_TEST_DIGEST=sha256:... \
     PYTHONPATH=tests python3 -m unittest -v tests/image/test_publish.py
(tests/steps/70-image.sh runs it against a local registry.)
"""

from __future__ import annotations

import hashlib
import json
import os
import unittest
import urllib.request

REGISTRY = os.environ.get("S3JSON_TEST_REGISTRY", "")
REPOSITORY = os.environ.get("S3JSON_TEST_REPOSITORY", "s3json")
TAG = os.environ.get("S3JSON_TEST_TAG", "")
DIGEST = os.environ.get("S3JSON_TEST_DIGEST", "")

LIST_TYPES = ["application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json"]
IMAGE_TYPES = ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"]


def fetch(path: str, accept: list[str]) -> tuple[bytes, dict[str, str]]:
    req = urllib.request.Request(f"http://{REGISTRY}/v2/{REPOSITORY}/{path}", headers={"Accept": ", ".join(accept)})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read(), {k.lower(): v for k, v in r.getheaders()}


@unittest.skipUnless(REGISTRY and TAG and DIGEST, "needs S3JSON_TEST_REGISTRY, _TAG and _DIGEST (70-image.sh)")
class MultiArchImage(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.body, cls.headers = fetch(f"manifests/{TAG}", LIST_TYPES + IMAGE_TYPES)
        cls.index = json.loads(cls.body)

    def test_tag_is_the_printed_digest(self) -> None:
        self.assertEqual(self.headers["docker-content-digest"], DIGEST)
        self.assertEqual("sha256:" + hashlib.sha256(self.body).hexdigest(), DIGEST)

    def test_is_a_list_of_amd64_and_arm64(self) -> None:
        self.assertIn(self.index["mediaType"], LIST_TYPES)
        platforms = sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in self.index["manifests"])
        self.assertEqual(platforms, [("linux", "amd64"), ("linux", "arm64")])

    def test_each_image_is_for_its_cpu(self) -> None:
        for entry in self.index["manifests"]:
            arch = entry["platform"]["architecture"]
            with self.subTest(arch=arch):
                body, _ = fetch(f"manifests/{entry['digest']}", IMAGE_TYPES)
                self.assertEqual("sha256:" + hashlib.sha256(body).hexdigest(), entry["digest"])
                config_digest = json.loads(body)["config"]["digest"]
                config = json.loads(fetch(f"blobs/{config_digest}", ["*/*"])[0])
                self.assertEqual((config["os"], config["architecture"]), ("linux", arch))
                self.assertEqual(config["config"]["Entrypoint"], ["/s3json"])
                self.assertEqual(config["config"]["User"], "10001:10001")

    def test_each_image_is_tagged_with_its_cpu(self) -> None:
        # ECR's lifecycle rules judge every manifest by its own tags: an
        # untagged entry expires while the list's tag is kept.
        for entry in self.index["manifests"]:
            arch = entry["platform"]["architecture"]
            with self.subTest(arch=arch):
                _, headers = fetch(f"manifests/{TAG}-{arch}", IMAGE_TYPES)
                self.assertEqual(headers["docker-content-digest"], entry["digest"])


if __name__ == "__main__":
    unittest.main()
