"""Image test: the built s3json image, run as ECS runs it, against the emulator.

The image ($S3JSON_TEST_IMAGE, built by scripts/image/build.sh) runs with a
read-only root filesystem and no writable tmpfs at all (as ECS's
readonlyRootFilesystem), on the host network so it reaches the strict
emulator on 127.0.0.1 over TLS (the emulator's CA mounted read-only), with
an IAM user that may only read the documents. Checked: the image's size,
labels, user and health check; the documents served byte for byte; the
process's uid; `s3json healthcheck` inside the container; a clean drain on
`stop` well under 3 s (exit 0, not a SIGKILL); no shell in the image.

The image's CPU ($S3JSON_TEST_ARCH, amd64 or arm64) is checked in its config
and in every ELF file it holds. An image for another CPU than the machine's
runs the same tests through a static qemu-user ($S3JSON_TEST_QEMU, e.g.
/usr/bin/qemu-aarch64-static) mounted read-only into the container as its
entrypoint: the container is real (read-only, uid 10001, no shell, signals
reach s3json through qemu), only the CPU is emulated. Needed where the
kernel has no binfmt_misc handler for that CPU (as here).

Run: S3JSON_TEST_IMAGE=s3json:test PYTHONPATH=tests python3 -m unittest -v tests/image/test_image.py
(tests/steps/70-image.sh builds the images and runs this for each.)
Every wait is bounded; containers are removed by id.
"""

from __future__ import annotations

import http.client
import json
import os
import io
import struct
import subprocess
import sys
import tarfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

from emulator.emu import Emulator
from lib.net import free_port

IMAGE = os.environ.get("S3JSON_TEST_IMAGE", "s3json:test")
ENGINE = os.environ.get("S3JSON_TEST_ENGINE", "podman")
ARCH = os.environ.get("S3JSON_TEST_ARCH", "amd64")
QEMU = os.environ.get("S3JSON_TEST_QEMU", "")
# ELF e_machine of each image architecture, and the loader its binaries name.
ELF_MACHINE = {"amd64": 62, "arm64": 183}
LOADER = {"amd64": "/lib64/ld-linux-x86-64.so.2", "arm64": "/lib/ld-linux-aarch64.so.1"}
MAX_BYTES = 25 * 1024 * 1024  # the budget for the runtime image
STOP_BUDGET_S = 3.0
BUCKET = "s3json-image-test"
PREFIX = "docs/"
UID = 10001


def eng(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, check=check, timeout=timeout)


def documents() -> dict[str, bytes]:
    docs = {}
    data = os.path.join(ROOT, "data")
    for dirpath, _, files in os.walk(data):
        for f in files:
            if f.endswith(".json"):
                path = os.path.join(dirpath, f)
                with open(path, "rb") as fh:
                    docs[os.path.relpath(path, data)[: -len(".json")]] = fh.read()
    return docs


def get(port: int, path: str) -> tuple[int, bytes, dict[str, str]]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def inspect_image() -> dict:
    return json.loads(eng("image", "inspect", IMAGE).stdout)[0]


def run_args() -> list[str]:
    """`run` options that start the image's binary (through qemu, for a foreign CPU)."""
    return ["-v", f"{QEMU}:/qemu:ro", "--entrypoint", "/qemu"] if QEMU else []


def cmd(*args: str) -> list[str]:
    """The binary's arguments after the image name (qemu takes the binary first)."""
    return ["/s3json", *args] if QEMU else list(args)


def image_files() -> dict[str, bytes]:
    """Path -> content of every regular file in the image (podman export)."""
    cid = eng("create", IMAGE).stdout.strip()
    try:
        tar = subprocess.run([ENGINE, "export", cid], capture_output=True, check=True, timeout=60).stdout
    finally:
        eng("rm", "-f", cid, check=False)
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for m in t.getmembers():
            if m.isfile():
                files["/" + m.name.lstrip("./")] = t.extractfile(m).read()
    return files


class ImageMetadata(unittest.TestCase):
    """What the image says about itself, without running it."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.img = inspect_image()

    def test_size_within_budget(self) -> None:
        size = int(self.img["Size"])
        print(f"\nimage size: {size} bytes ({size / 1048576:.1f} MiB)", file=sys.stderr)
        self.assertLessEqual(size, MAX_BYTES)

    def test_oci_labels(self) -> None:
        labels = self.img.get("Labels") or self.img["Config"].get("Labels") or {}
        with open(os.path.join(ROOT, "VERSION")) as f:
            self.assertEqual(labels["org.opencontainers.image.version"], f.read().strip())
        # The commit the image was built from (build/image/last.env), else HEAD.
        head = os.environ.get("S3JSON_TEST_REVISION") or subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()  # fmt: skip
        self.assertRegex(labels["org.opencontainers.image.revision"], r"^[0-9a-f]{40}(-dirty)?$")
        if head:
            self.assertEqual(labels["org.opencontainers.image.revision"], head)
        self.assertIn("org.opencontainers.image.source", labels)

    def test_architecture(self) -> None:
        self.assertEqual(self.img.get("Architecture"), ARCH)
        self.assertEqual(self.img.get("Os"), "linux")

    def test_every_binary_is_for_that_cpu(self) -> None:
        # The binary, the loader it names and every library are ELF for the
        # image's CPU: a cross build that picked up a host library fails here.
        files = image_files()
        for path in ("/s3json", LOADER[ARCH]):
            self.assertTrue(path in files, f"{path} is not in the image: {sorted(files)}")
        elves = {p: b for p, b in files.items() if b[:4] == b"\x7fELF"}
        self.assertGreater(len(elves), 10, sorted(files))
        for path, body in elves.items():
            (machine,) = struct.unpack_from("<H", body, 18)
            self.assertEqual(machine, ELF_MACHINE[ARCH], path)
        self.assertIn(LOADER[ARCH].encode(), files["/s3json"])

    def test_runs_as_non_root_user(self) -> None:
        self.assertEqual(self.img["Config"]["User"], f"{UID}:{UID}")

    def test_health_check_is_the_binary(self) -> None:
        # podman: top-level "Healthcheck"; docker: Config.Healthcheck
        hc = self.img.get("Healthcheck") or self.img["Config"].get("Healthcheck")
        self.assertEqual(hc["Test"], ["CMD", "/s3json", "healthcheck"])

    def test_entrypoint_and_port(self) -> None:
        self.assertEqual(self.img["Config"]["Entrypoint"], ["/s3json"])
        self.assertIn("8080/tcp", self.img["Config"]["ExposedPorts"])

    def test_no_shell(self) -> None:
        if QEMU:
            r = eng("run", "--rm", "--network=none", *run_args(), IMAGE, "/bin/sh", "-c", "true", check=False)
        else:
            r = eng("run", "--rm", "--network=none", "--entrypoint", "/bin/sh", IMAGE, "-c", "true",
                    check=False)  # fmt: skip
        self.assertNotEqual(r.returncode, 0)

    def test_version(self) -> None:
        r = eng("run", "--rm", "--read-only", "--network=none", *run_args(), IMAGE, *cmd("--version"))
        self.assertRegex(r.stdout, r"^s3json \d+\.\d+\.\d+ \([0-9a-f]{40}")


class ImageServes(unittest.TestCase):
    """The image against the emulator, read-only, as a non-root user."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.emu = Emulator(tls=True, subprocess=True).start()
        s3 = cls.emu.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        cls.docs = documents()
        for name, body in cls.docs.items():
            s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}{name}.json", Body=body)
        creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        cls.port = free_port()
        env = {
            "S3JSON_BUCKET": BUCKET,
            "S3JSON_PREFIX": PREFIX,
            "S3JSON_PORT": str(cls.port),
            "S3JSON_BIND": "127.0.0.1",
            "S3JSON_DRAIN_SECONDS": "10",
            "AWS_REGION": cls.emu.region,
            "AWS_ENDPOINT_URL_S3": cls.emu.endpoint,
            "AWS_CA_BUNDLE": "/etc/emulator-ca.pem",
            "AWS_ACCESS_KEY_ID": creds["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
        }
        args = ["run", "-d", "--read-only", "--network=host", "--cap-drop=ALL",
                "--security-opt=no-new-privileges",
                "-v", f"{cls.emu.ca_bundle}:/etc/emulator-ca.pem:ro"]  # fmt: skip
        if ENGINE == "podman":
            # No writable tmpfs either (ECS gives none); no systemd health timer.
            args += ["--read-only-tmpfs=false", "--health-interval=disable"]
        for k, v in env.items():
            args += ["-e", f"{k}={v}"]
        cls.cid = eng(*args, *run_args(), IMAGE, *cmd()).stdout.strip()
        cls.stopped_in: float | None = None
        deadline = time.monotonic() + 20
        while True:
            try:
                if get(cls.port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                logs = eng("logs", cls.cid, check=False)
                eng("rm", "-f", cls.cid, check=False)
                cls.emu.close()
                raise AssertionError(f"container not healthy in 20 s:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls) -> None:
        eng("rm", "-f", "-t", "0", cls.cid, check=False)
        cls.emu.close()

    def state(self) -> dict:
        return json.loads(eng("inspect", self.cid).stdout)[0]["State"]

    def test_1_serves_documents_byte_for_byte(self) -> None:
        for name, body in self.docs.items():
            status, got, headers = get(self.port, f"/api/{name}")
            self.assertEqual(status, 200, f"/api/{name}: {got[:200]!r}")
            self.assertEqual(got, body)
            self.assertTrue(headers["content-type"].startswith("application/json"))
        status, got, _ = get(self.port, "/api/foo")
        self.assertEqual(json.loads(got), json.loads(self.docs["foo"]))

    def test_1_lists_and_misses(self) -> None:
        status, got, _ = get(self.port, "/api")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(got)["documents"], sorted(self.docs))
        self.assertEqual(get(self.port, "/api/nope")[0], 404)

    def test_1_ready_over_tls(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            status, body, _ = get(self.port, "/readyz")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200, body)

    def test_1_process_uid_is_not_root(self) -> None:
        pid = self.state()["Pid"]
        with open(f"/proc/{pid}/status") as f:
            ids = {line.split(":")[0]: line.split()[1:] for line in f if line.startswith(("Uid", "Gid"))}
        self.assertEqual(ids["Uid"], [str(UID)] * 4)
        self.assertEqual(ids["Gid"], [str(UID)] * 4)

    def test_1_healthcheck_subcommand(self) -> None:
        probe = ["/qemu", "/s3json"] if QEMU else ["/s3json"]
        r = eng("exec", self.cid, *probe, "healthcheck", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = eng("exec", "-e", "S3JSON_PORT=1", self.cid, *probe, "healthcheck", check=False)
        self.assertEqual(r.returncode, 1)

    def test_1_root_filesystem_is_read_only(self) -> None:
        self.assertTrue(json.loads(eng("inspect", self.cid).stdout)[0]["HostConfig"]["ReadonlyRootfs"])

    def test_2_stop_drains_fast_and_cleanly(self) -> None:
        t0 = time.monotonic()
        eng("stop", "-t", "10", self.cid, timeout=30)
        took = time.monotonic() - t0
        print(f"\nstop took {took:.2f} s", file=sys.stderr)
        self.assertLess(took, STOP_BUDGET_S)
        self.assertEqual(self.state()["ExitCode"], 0)  # drained, not SIGKILLed (137)
        logs = eng("logs", self.cid).stdout
        events = [json.loads(line).get("event") for line in logs.splitlines() if line.startswith("{")]
        self.assertIn("drain", events)
        self.assertEqual(events[-1], "stop")


if __name__ == "__main__":
    unittest.main()
